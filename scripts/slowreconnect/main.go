// Command slowreconnect is the slow-reader reconnect attack of issue 14
// (trial 14 round 7, N3): -conns WebSocket connections to a pulseboard on
// loopback, each reading -rate bytes a second through a small receive
// buffer, and each dialling again at once when the server cuts it (as
// slow) or refuses its handshake. It never answers a ping, as a tool that
// reads the raw socket would not. It reports dials, upgrades, refusals by
// status (with the Retry-After seen) and cuts. Loopback only, bounded in
// size and length.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// handshake is a fixed WebSocket upgrade request without
// permessage-deflate, as the trial's tool sent it.
const handshake = "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

type counts struct {
	dials, dialFailed, upgrades, cuts, bytes atomic.Int64
	mu                                       sync.Mutex
	status                                   map[string]int
	retryAfter                               map[string]int
}

func (c *counts) refused(status, retry string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status[status]++
	if retry != "" {
		c.retryAfter[retry]++
	}
}

func main() {
	target := flag.String("url", "ws://127.0.0.1:8080/ws", "WebSocket URL (loopback only)")
	conns := flag.Int("conns", 1000, "connections (1…5000)")
	rateB := flag.Int("rate", 1000, "bytes read per second per connection")
	rcvbuf := flag.Int("rcvbuf", 4096, "SO_RCVBUF of each connection")
	duration := flag.Duration("duration", 20*time.Second, "how long (max 5m)")
	honour := flag.Bool("honour-retry-after", false, "wait the Retry-After of a refused handshake before dialling again")
	refusedWait := flag.Duration("refused-wait", 500*time.Millisecond, "without -honour-retry-after, the wait after a refused handshake (the trial's tool: 500ms)")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || *conns < 1 || *conns > 5000 || *rateB < 10 || *duration <= 0 || *duration > 5*time.Minute {
		fmt.Fprintln(os.Stderr, "slowreconnect: bad -url, -conns, -rate or -duration")
		os.Exit(2)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		fmt.Fprintln(os.Stderr, "slowreconnect: loopback addresses only")
		os.Exit(2)
	}
	req := fmt.Sprintf(handshake, u.RequestURI(), u.Host)
	end := time.Now().Add(*duration)
	c := &counts{status: map[string]int{}, retryAfter: map[string]int{}}
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, *rcvbuf)
		})
	}}
	var wg sync.WaitGroup
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				if wait := once(&d, u.Host, req, *rateB, end, c); wait > 0 {
					if !*honour {
						wait = *refusedWait
					}
					time.Sleep(min(wait, time.Until(end)))
				}
			}
		}()
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Printf("slowreconnect: conns=%d dials=%d dial_failed=%d upgrades=%d cuts=%d read=%d refused=%s retry_after=%s\n",
		*conns, c.dials.Load(), c.dialFailed.Load(), c.upgrades.Load(), c.cuts.Load(), c.bytes.Load(), fmtMap(c.status), fmtMap(c.retryAfter))
}

// once runs one connection until the server ends it or the run ends; it
// returns how long to wait before the next dial (0: at once).
func once(d *net.Dialer, host, req string, rateB int, end time.Time, c *counts) time.Duration {
	c.dials.Add(1)
	conn, err := d.Dial("tcp", host)
	if err != nil {
		c.dialFailed.Add(1)
		return 200 * time.Millisecond
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(req)); err != nil {
		c.dialFailed.Add(1)
		return 200 * time.Millisecond
	}
	br := bufio.NewReaderSize(conn, 512)
	status, retry, err := readHead(br)
	if err != nil {
		c.dialFailed.Add(1)
		return 200 * time.Millisecond
	}
	if status != "101" {
		c.refused(status, retry)
		if s, err := time.ParseDuration(retry + "s"); err == nil && s > 0 {
			return s
		}
		return time.Second
	}
	c.upgrades.Add(1)
	buf := make([]byte, max(rateB/10, 1))
	for time.Now().Before(end) {
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := br.Read(buf)
		c.bytes.Add(int64(n))
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			c.cuts.Add(1)
			return 0
		}
		time.Sleep(100 * time.Millisecond)
	}
	return 0
}

// readHead reads a response's status line and headers, returning the
// status code and the Retry-After header.
func readHead(br *bufio.Reader) (status, retry string, err error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", "", err
	}
	if f := strings.Fields(line); len(f) > 1 {
		status = f[1]
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return "", "", err
		}
		if l == "\r\n" {
			return status, retry, nil
		}
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "Retry-After") {
			retry = strings.TrimSpace(v)
		}
	}
}

func fmtMap(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}
