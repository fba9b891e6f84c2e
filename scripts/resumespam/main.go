// Command resumespam is one of scripts/longlived.sh's attacks (issue 14):
// -conns WebSocket connections to a pulseboard on loopback, each sending
// resumes far past the allowance (docs/protocol.md, "resume") and, once
// the server closes it with 1008, more frames into the closed connection,
// for -duration. It reports how many connections it opened and how many
// the server closed. It only targets loopback and is bounded in size and
// length.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

func main() {
	target := flag.String("url", "ws://127.0.0.1:8080/ws", "WebSocket URL (loopback only)")
	conns := flag.Int("conns", 20, "connections (1…200)")
	duration := flag.Duration("duration", 10*time.Second, "how long (max 2m)")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || *conns < 1 || *conns > 200 || *duration <= 0 || *duration > 2*time.Minute {
		fmt.Fprintln(os.Stderr, "resumespam: bad -url, -conns or -duration")
		os.Exit(2)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		fmt.Fprintln(os.Stderr, "resumespam: loopback addresses only")
		os.Exit(2)
	}
	deadline := time.Now().Add(*duration)
	var opened, closed, frames atomic.Int64
	var wg sync.WaitGroup
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				spam(*target, deadline, &opened, &closed, &frames)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("resumespam: %d connections, %d closed by the server, %d frames sent\n", opened.Load(), closed.Load(), frames.Load())
}

// spam runs one connection: resumes as fast as the socket takes them, a
// reader that drops everything, and frames on after the close.
func spam(target string, deadline time.Time, opened, closed, frames *atomic.Int64) {
	conn, resp, err := websocket.DefaultDialer.Dial(target, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		time.Sleep(50 * time.Millisecond) // a refused dial: do not spin
		return
	}
	opened.Add(1)
	defer conn.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				closed.Add(1)
				return
			}
		}
	}()
	msg := []byte(`{"type":"resume","seq":1}`)
	_ = conn.SetWriteDeadline(deadline)
	for time.Now().Before(deadline) {
		if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			break
		}
		frames.Add(1)
	}
	conn.Close()
	<-done
}
