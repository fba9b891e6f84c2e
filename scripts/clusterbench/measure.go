package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// lags are what latencies measures of each remote point.
type lags struct {
	// built is the delta's ts minus the point's time: collected on its
	// node → in a delta of this node's stream, the server side.
	built []time.Duration
	// seen is the receive time minus the point's time: the same, and the
	// delta's way to the client and its decoding.
	seen []time.Duration
	// local is built for node 0's own points: the baseline, what the
	// stream takes without the cluster.
	local []time.Duration
	// bytes and decode are the messages' size and this client's time
	// decoding them.
	bytes  int
	decode time.Duration
	// cuts counts connections the server closed.
	cuts int
}

// latencies watches n's stream for d and returns, for every point of a
// remote source (a peer's, "<node>/<source>") that a delta brings, how
// long after it was collected on its node the delta that brings it was
// built, and its client saw it. Same machine, one clock. A connection the
// server cuts (a client that fell behind is cut: dashboard/slow.go) is
// counted and opened again for the rest of d.
func latencies(ctx context.Context, n *node, d time.Duration) (lags, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var out lags
	for ctx.Err() == nil {
		err := watch(ctx, n, &out)
		if ctx.Err() != nil {
			break
		}
		var closed *websocket.CloseError
		if !errors.As(err, &closed) {
			return out, err
		}
		out.cuts++
	}
	return out, nil
}

// watch reads one connection to n's stream into out until ctx ends (nil)
// or the connection fails.
func watch(ctx context.Context, n *node, out *lags) error {
	url := "ws" + strings.TrimPrefix(n.base, "http") + "/ws"
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() {
		_ = conn.SetReadDeadline(time.Now()) // ends ReadMessage below
	})
	defer stop()
	remote := map[string]bool{} // series id -> of a remote source
	note := func(series []protocol.Series) {
		for _, s := range series {
			remote[s.ID] = strings.Contains(s.Source, "/")
		}
	}
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		now := time.Now()
		out.bytes += len(data)
		msg, err := protocol.Decode(data)
		out.decode += time.Since(now)
		if err != nil {
			return fmt.Errorf("undecodable message: %w", err)
		}
		switch m := msg.(type) {
		case *protocol.Snapshot:
			note(m.Series)
		case *protocol.Delta:
			note(m.Added)
			for id, pts := range m.Points {
				if isRemote, known := remote[id]; known && !isRemote {
					for _, p := range pts {
						out.local = append(out.local, time.Duration(m.TS-p.T)*time.Millisecond)
					}
				}
				if !remote[id] {
					continue
				}
				for _, p := range pts {
					out.built = append(out.built, time.Duration(m.TS-p.T)*time.Millisecond)
					out.seen = append(out.seen, now.Sub(time.UnixMilli(p.T)))
				}
			}
		}
	}
}

// quantile is the q-quantile (0…1) of sorted ds, nearest rank.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

func sortDurations(ds []time.Duration) { slices.Sort(ds) }

// varz is what nats-server's monitoring port says of its traffic: payload
// bytes and messages in (from clients) and out (to subscribers).
type varz struct {
	InMsgs   float64 `json:"in_msgs"`
	InBytes  float64 `json:"in_bytes"`
	OutMsgs  float64 `json:"out_msgs"`
	OutBytes float64 `json:"out_bytes"`
}

func readVarz(monitor string) (varz, error) {
	var v varz
	resp, err := httpClient.Get(monitor + "/varz")
	if err != nil {
		return v, err
	}
	defer resp.Body.Close()
	return v, json.NewDecoder(resp.Body).Decode(&v)
}

// traffic is the counters (c) reads at both ends of a window.
type traffic struct {
	samples, sampleBytes float64 // published by every node: samples sent, their payload bytes
	keyFrames            float64 // key frame requests received by every node
	server               varz
}

func readTraffic(nodes []*node, monitor string) (traffic, error) {
	var t traffic
	for _, n := range nodes {
		s, err := n.metric(`pulseboard_cluster_samples_total{direction="published",fate="sent"`)
		if err != nil {
			return t, err
		}
		b, err := n.metric(`pulseboard_cluster_bytes_published_total{kind="samples"`)
		if err != nil {
			return t, err
		}
		k, err := n.metric(`pulseboard_cluster_key_frame_requests_total{direction="received"`)
		if err != nil {
			return t, err
		}
		t.samples += s
		t.sampleBytes += b
		t.keyFrames += k
	}
	var err error
	t.server, err = readVarz(monitor)
	return t, err
}

// cpuSeconds is the CPU time (user + system) process pid used so far.
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(fields[11], 64)
	k, _ := strconv.ParseFloat(fields[12], 64)
	return (u + k) / 100 // USER_HZ
}

// loadavg is the first field of /proc/loadavg.
func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}
