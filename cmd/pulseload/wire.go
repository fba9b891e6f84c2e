package main

import (
	"context"
	"net"
	"sync/atomic"
)

// countingDialer dials TCP and counts every byte read from the connections
// it made: the bytes on the wire (frame headers and, with -compress, the
// compressed payloads), beside the message bytes the clients decode.
type countingDialer struct {
	d    net.Dialer
	read *atomic.Uint64
}

func (cd *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := cd.d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, read: cd.read}, nil
}

type countingConn struct {
	net.Conn
	read *atomic.Uint64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(uint64(n))
	return n, err
}
