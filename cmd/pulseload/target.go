package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"
)

var errNotLoopback = errors.New("pulseload only targets loopback addresses")

// checkTarget accepts ws:// URLs on a loopback IP or "localhost" only: the
// tool opens thousands of connections and must not be pointed at someone
// else's server. Host names are not resolved, so DNS cannot widen that.
func checkTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("url %q: scheme must be ws", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("url %q: %w", raw, errNotLoopback)
	}
	return u, nil
}

// raiseFileLimit lifts the soft RLIMIT_NOFILE to need (and the hard limit
// too when allowed, as root), since every client is a file descriptor. It
// returns the soft limit in force afterwards.
func raiseFileLimit(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= need {
		return lim.Cur, nil
	}
	want := lim
	want.Cur = need
	if want.Max < need {
		want.Max = need
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		// Not allowed above the hard limit: take what there is.
		want = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return lim.Cur, err
		}
	}
	return want.Cur, nil
}
