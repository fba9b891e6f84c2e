package main

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/pulseboard/pulseboard/dashboard"
)

// listen binds the dashboard's address ("" is dashboard.DefaultListen).
// Its error says what a person needs and no more: "listen
// 127.0.0.1:8080: address already in use", not Go's "listen tcp
// 127.0.0.1:8080: bind: address already in use".
func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = dashboard.DefaultListen
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			err = opErr.Err
		}
		var sysErr *os.SyscallError
		if errors.As(err, &sysErr) {
			err = sysErr.Err
		}
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return ln, nil
}
