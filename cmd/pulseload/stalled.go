package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
)

// stalledRcvBuf is the receive buffer of a stalled connection: tiny, so
// that the server's writes to it block after a few messages, as a client
// on a stuck network or a frozen tab would.
const stalledRcvBuf = 4096

// stalledSet is -stalled: connections that finish the handshake and never
// read again. They measure what a slow client costs everyone else: the
// measured clients' delay and the server's CPU and memory beside them, and
// whether the server drops them (its mailbox policy) or keeps them until
// its write deadline.
type stalledSet struct {
	conns      []*websocket.Conn
	dialFailed int
	firstErr   error
}

// openStalled dials n stalled connections, at most maxDialing at once.
func openStalled(ctx context.Context, url string, header http.Header, n int) *stalledSet {
	nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, stalledRcvBuf)
		}); err != nil {
			return err
		}
		return serr
	}}
	d := &websocket.Dialer{NetDialContext: nd.DialContext, HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 256}
	s := &stalledSet{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxDialing)
	for range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			conn, resp, err := d.DialContext(ctx, url, header)
			if resp != nil && resp.Body != nil {
				resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				s.dialFailed++
				if s.firstErr == nil {
					s.firstErr = err
				}
				return
			}
			s.conns = append(s.conns, conn)
		}()
	}
	wg.Wait()
	return s
}

// cut counts the connections the server has ended: reading one drains
// what the server had sent, then meets the end of the stream rather than
// a timeout.
func (s *stalledSet) cut() int {
	var n int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, conn := range s.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc := conn.NetConn()
			buf := make([]byte, 32<<10)
			_ = nc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			for {
				_, err := nc.Read(buf)
				if err == nil {
					continue
				}
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					mu.Lock()
					n++
					mu.Unlock()
				}
				return
			}
		}()
	}
	wg.Wait()
	return n
}

func (s *stalledSet) close() {
	for _, conn := range s.conns {
		_ = conn.Close()
	}
}
