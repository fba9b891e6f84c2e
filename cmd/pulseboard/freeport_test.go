package main

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// freePort picks a loopback port that is free now, for a server that must
// come back on the same address or that a config names before its
// process starts.
//
// It picks below the kernel's ephemeral range (ip_local_port_range), from
// which every listener on port 0 is given one: the tests beside it listen
// on port 0, and a port picked by listening on 0 and closing was once
// taken by one of them before the process that was to use it bound it
// (a cluster node's "address already in use" in a full run). Each call
// takes the next port of a sequence started at a random place, so the
// tests of one process never pick the same port, and the test binaries of
// other packages running at once are unlikely to. A port found in use is
// passed over.
func freePort(t *testing.T) string {
	t.Helper()
	ports.Lock()
	defer ports.Unlock()
	lo, hi := 10_000, ephemeralStart()
	if hi-lo < 1000 {
		lo = 1024 // an ephemeral range that starts low leaves little room
	}
	if hi-lo < 1000 { // none: any port the kernel gives
		addr, err := listenAndClose(0)
		if err != nil {
			t.Fatal(err)
		}
		return addr
	}
	if ports.next < lo || ports.next >= hi {
		ports.next = lo + rand.IntN(hi-lo)
	}
	for range hi - lo {
		p := ports.next
		if ports.next++; ports.next >= hi {
			ports.next = lo
		}
		if addr, err := listenAndClose(p); err == nil {
			return addr
		}
	}
	t.Fatalf("no free loopback port in %d–%d", lo, hi-1)
	return ""
}

// listenAndClose listens on loopback port p (0: one the kernel picks) and
// closes at once, returning the address it had: a port free now.
func listenAndClose(p int) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// ports is freePort's sequence.
var ports struct {
	sync.Mutex
	next int
}

// ephemeralStart is the first port of the kernel's ephemeral range, from
// /proc/sys/net/ipv4/ip_local_port_range; 32768 (Linux's default; other
// systems start higher) when it cannot be read.
func ephemeralStart() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(data))
	if len(f) != 2 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1024 {
		return 32768
	}
	return n
}
