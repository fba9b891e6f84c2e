// Command rangeflood is scripts/rangeflood-bench.sh's attack (issue 14,
// trial round 10's range flood): -conns WebSocket connections to a
// pulseboard on loopback, each asking every -every for the history of
// -series series (the ids of the first snapshot it was sent, taken in turn) over
// the last -span at -points points a series, for -duration. Each
// connection reads everything the server sends. It reports the range
// answers it got, how many of them were refused (an error such as the
// range budget or the server's dear budget) and the answers' bytes. It
// dials again every 200 ms while the server refuses it. It
// only targets loopback and is bounded in size and length.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// seriesID finds the series ids of a snapshot (16 hex digits, protocol's
// formatID) without decoding it whole.
var seriesID = regexp.MustCompile(`"id":"([0-9a-f]{16})"`)

type counts struct {
	opened, answers, refused, bytes atomic.Int64
}

func main() {
	target := flag.String("url", "ws://127.0.0.1:8080/ws", "WebSocket URL (loopback only)")
	conns := flag.Int("conns", 100, "connections (1…500)")
	series := flag.Int("series", 150, "series a request (1…150)")
	points := flag.Int("points", 2000, "points a series (1…2000)")
	span := flag.Duration("span", 15*time.Minute, "how far back a request reaches")
	every := flag.Duration("every", time.Second, "a request this often on each connection (≥ 10ms)")
	duration := flag.Duration("duration", 20*time.Second, "how long (max 5m)")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || *conns < 1 || *conns > 500 || *series < 1 || *series > 150 || *points < 1 || *points > 2000 ||
		*every < 10*time.Millisecond || *duration <= 0 || *duration > 5*time.Minute || *span <= 0 {
		fmt.Fprintln(os.Stderr, "rangeflood: bad -url, -conns, -series, -points, -every, -span or -duration")
		os.Exit(2)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		fmt.Fprintln(os.Stderr, "rangeflood: loopback addresses only")
		os.Exit(2)
	}
	deadline := time.Now().Add(*duration)
	var c counts
	var wg sync.WaitGroup
	for i := range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			flood(*target, i, *series, *points, *span, *every, deadline, &c)
		}()
	}
	wg.Wait()
	fmt.Printf("rangeflood: %d connections, %d range answers (%d refused), %d MB of answers\n",
		c.opened.Load(), c.answers.Load(), c.refused.Load(), c.bytes.Load()>>20)
}

// flood runs one connection until deadline: a request every every, and a
// reader that counts the range answers.
func flood(target string, nth, series, points int, span, every time.Duration, deadline time.Time, c *counts) {
	var conn *websocket.Conn
	for conn == nil {
		if time.Now().After(deadline) {
			return
		}
		var resp *http.Response
		var err error
		conn, resp, err = websocket.DefaultDialer.Dial(target, nil)
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if err != nil {
			time.Sleep(200 * time.Millisecond) // refused (the session budget): dial again, as a page would
		}
	}
	c.opened.Add(1)
	defer conn.Close()
	_ = conn.SetReadDeadline(deadline.Add(5 * time.Second))
	var ids []string
	for len(ids) == 0 { // the hello, then the snapshot
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		for _, m := range seriesID.FindAllSubmatch(msg, -1) {
			ids = append(ids, string(m[1]))
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var head struct {
				Type  string `json:"type"`
				Error string `json:"error"`
			}
			if len(msg) > 16 && string(msg[:15]) == `{"type":"range"` {
				_ = json.Unmarshal(msg, &head)
				c.answers.Add(1)
				c.bytes.Add(int64(len(msg)))
				if head.Error != "" {
					c.refused.Add(1)
				}
			}
		}
	}()
	_ = conn.SetWriteDeadline(deadline.Add(time.Second))
	tick := time.NewTicker(every)
	defer tick.Stop()
	end := time.NewTimer(time.Until(deadline))
	defer end.Stop()
	for n := 0; ; n++ {
		req := map[string]any{"type": "range", "id": n, "points": points}
		ask := make([]string, 0, series)
		for j := range series {
			ask = append(ask, ids[(nth*series+n+j)%len(ids)])
		}
		now := time.Now()
		req["series"], req["from"], req["to"] = ask, now.Add(-span).UnixMilli(), now.UnixMilli()
		b, _ := json.Marshal(req)
		if conn.WriteMessage(websocket.TextMessage, b) != nil {
			break
		}
		select {
		case <-tick.C:
			continue
		case <-end.C:
		}
		break
	}
	conn.Close()
	<-done
}
