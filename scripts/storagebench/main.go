// Command storagebench is the client side of scripts/storage-bench.sh: it
// times range reads of a running pulseboard's stored history.
//
//	storagebench ids  -url http://127.0.0.1:18400 [-metric M]     series ids, one a line
//	storagebench rest -url … -id ID [-span 24h] [-step 1m] [-n 200]
//	storagebench ws   -url … -ids N [-span 24h] [-n 5]
//
// rest sends n GET /api/v1/series/{id}?from=now-span&step= one after the
// other over one keep-alive connection and prints p50, p99 and the body
// size; ws opens the stream, then sends n range requests for the first N
// series once its snapshot came (one at a time, each after the answer to the one before) and
// prints the median and the worst time from sending a request to having
// read its answer (the first, cold, apart), and the answer's size (uncompressed; the stream
// compresses it on the wire when the client asks, which this one does not).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: storagebench ids|rest|ws -url URL …")
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "ids":
		err = ids(args)
	case "rest":
		err = rest(args)
	case "ws":
		err = ws(args)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "storagebench:", err)
		os.Exit(1)
	}
}

// seriesIDs lists the ids of the snapshot's series, of metric if given.
func seriesIDs(base, metric string) ([]string, error) {
	resp, err := http.Get(base + "/api/v1/snapshot?points=0")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var snap struct {
		Series []struct {
			ID     string `json:"id"`
			Metric string `json:"metric"`
		} `json:"series"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	var out []string
	for _, s := range snap.Series {
		if metric == "" || s.Metric == metric {
			out = append(out, s.ID)
		}
	}
	return out, nil
}

func ids(args []string) error {
	fs := flag.NewFlagSet("ids", flag.ExitOnError)
	url := fs.String("url", "http://127.0.0.1:18400", "pulseboard's base URL")
	metric := fs.String("metric", "", "only series of this metric")
	_ = fs.Parse(args)
	list, err := seriesIDs(*url, *metric)
	if err != nil {
		return err
	}
	fmt.Println(strings.Join(list, "\n"))
	return nil
}

func rest(args []string) error {
	fs := flag.NewFlagSet("rest", flag.ExitOnError)
	url := fs.String("url", "http://127.0.0.1:18400", "pulseboard's base URL")
	id := fs.String("id", "", "series id")
	span := fs.Duration("span", 24*time.Hour, "range: from now-span to now")
	step := fs.String("step", "1m", "step parameter")
	n := fs.Int("n", 200, "requests")
	_ = fs.Parse(args)
	if *id == "" {
		return errors.New("-id is required")
	}
	var took []time.Duration
	size, points := 0, 0
	for range *n {
		from := time.Now().Add(-*span).UnixMilli()
		u := fmt.Sprintf("%s/api/v1/series/%s?from=%d&step=%s", *url, *id, from, *step)
		begun := time.Now()
		resp, err := http.Get(u)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		took = append(took, time.Since(begun))
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s: %s", u, resp.Status, body)
		}
		var ans protocol.RangeAnswer
		if err := json.Unmarshal(body, &ans); err != nil || len(ans.Series) != 1 {
			return fmt.Errorf("answer does not decode: %v", err)
		}
		size, points = len(body), len(ans.Series[0].Points)
	}
	slices.Sort(took)
	fmt.Printf("rest n=%d p50=%.2fms p99=%.2fms max=%.2fms bytes=%d points=%d\n",
		len(took), ms(quantile(took, 0.5)), ms(quantile(took, 0.99)), ms(took[len(took)-1]), size, points)
	return nil
}

func ws(args []string) error {
	fs := flag.NewFlagSet("ws", flag.ExitOnError)
	url := fs.String("url", "http://127.0.0.1:18400", "pulseboard's base URL")
	nids := fs.Int("ids", 100, "series in the request (the first ones of the snapshot)")
	span := fs.Duration("span", 24*time.Hour, "range: from now-span to now")
	n := fs.Int("n", 5, "requests, one after the other")
	_ = fs.Parse(args)
	list, err := seriesIDs(*url, "")
	if err != nil {
		return err
	}
	if len(list) < *nids {
		return fmt.Errorf("the server has %d series, fewer than -ids %d", len(list), *nids)
	}
	list = list[:*nids]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, "ws"+strings.TrimPrefix(*url, "http")+"/ws", nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	// A page switching its range has its stream open already: wait for
	// the snapshot (sent after the server's grace for a resume).
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		if protocol.ReadHeader(data).Type == protocol.TypeSnapshot {
			break
		}
	}
	var took []time.Duration
	size, points := 0, 0
	for i := 1; i <= *n; i++ {
		now := time.Now()
		req := protocol.RangeRequest{Type: "range", ID: int64(i), Series: list, From: now.Add(-*span).UnixMilli(), To: now.UnixMilli()}
		msg, _ := json.Marshal(req)
		begun := time.Now()
		if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			return err
		}
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return err
			}
			if protocol.ReadHeader(data).Type != protocol.TypeRange {
				continue // hello, snapshot, deltas
			}
			took = append(took, time.Since(begun))
			var ans protocol.RangeAnswer
			if err := json.Unmarshal(data, &ans); err != nil {
				return fmt.Errorf("range answer: %w", err)
			}
			if ans.Error != "" || ans.ID != int64(i) {
				return fmt.Errorf("range answer %d: %q", ans.ID, ans.Error)
			}
			size, points = len(data), 0
			for _, s := range ans.Series {
				points += len(s.Points)
			}
			fmt.Printf("ws request %d: %.1fms tier=%s step=%dms\n", i, ms(took[len(took)-1]), ans.Tier, ans.Step)
			break
		}
	}
	first := took[0]
	slices.Sort(took)
	fmt.Printf("ws ids=%d n=%d first=%.1fms median=%.1fms max=%.1fms bytes=%d points=%d\n",
		*nids, len(took), ms(first), ms(quantile(took, 0.5)), ms(took[len(took)-1]), size, points)
	return nil
}

// quantile of sorted durations, nearest rank.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
