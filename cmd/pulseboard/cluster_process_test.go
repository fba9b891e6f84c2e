package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/cmd/testtool"
	"github.com/pulseboard/pulseboard/dashboard"
)

// processNodeInterval is how often the process test's nodes poll their
// source: several points in a two-second NATS outage.
const processNodeInterval = 200 * time.Millisecond

// processNode is one pulseboard process of the process test, joined to an
// existing NATS (cluster.nats.urls).
type processNode struct {
	name   string
	cmd    *exec.Cmd
	base   string
	stderr *lockedBuffer
	client *http.Client
}

// startProcessNode writes node name's config (a simulated source "demo"
// every processNodeInterval, memory-only history, cluster lab over the
// NATS at url) and starts a pulseboard process on it.
func startProcessNode(t *testing.T, client *http.Client, name, url string) *processNode {
	t.Helper()
	cfg := fmt.Sprintf(`server: {listen: "127.0.0.1:0"}
broadcast: {interval: 100ms}
storage: {path: ""}
cluster:
  name: lab
  node: %s
  nats: {urls: [%q]}
sources:
  - name: demo
    type: simulated
    interval: %s
    series:
      - {metric: temperature_celsius, shape: sine, min: 18, max: 26, period: 1m}
      - {metric: requests_total, shape: counter, rate: 50}
`, name, url, processNodeInterval)
	path := filepath.Join(t.TempDir(), name+".yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	stderr := &lockedBuffer{} // read while the process writes, for failure messages
	cmd, base := startPulseboardTo(t, stderr, "-config", path)
	return &processNode{name: name, cmd: cmd, base: base, stderr: stderr, client: client}
}

// getJSON reads path's JSON into into; any failure is an error (the
// process may be gone, or its answer not there yet).
func (n *processNode) getJSON(path string, into any) error {
	resp, err := n.client.Get(n.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}

// status is path's status code, 0 when it could not be asked.
func (n *processNode) status(path string) int {
	resp, err := n.client.Get(n.base + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// nodes is the node's GET /api/v1/nodes by name (nil on any failure).
func (n *processNode) nodes() map[string]dashboard.Node {
	var list struct{ Nodes []dashboard.Node }
	if n.getJSON("/api/v1/nodes", &list) != nil {
		return nil
	}
	out := map[string]dashboard.Node{}
	for _, x := range list.Nodes {
		out[x.Name] = x
	}
	return out
}

// points are the node's history of source src's metric, oldest first (nil
// on any failure).
func (n *processNode) points(src, metric string) []protocol.Point {
	var snap protocol.Snapshot
	if n.getJSON("/api/v1/snapshot", &snap) != nil {
		return nil
	}
	for _, s := range snap.Series {
		if s.Source == src && s.Metric == metric {
			return s.Points
		}
	}
	return nil
}

// newest is the time of the last point of the node's series src/metric, 0
// if none.
func (n *processNode) newest(src, metric string) int64 {
	pts := n.points(src, metric)
	if len(pts) == 0 {
		return 0
	}
	return pts[len(pts)-1].T
}

// sees reports whether the node lists every peer up and holds each peer's
// demo series.
func (n *processNode) sees(peers ...string) bool {
	nodes := n.nodes()
	for _, p := range peers {
		if !nodes[p].Up || n.newest(remoteSource(p, "demo"), "requests_total") == 0 {
			return false
		}
	}
	return true
}

// stop ends the process with SIGTERM and checks it stopped cleanly.
func (n *processNode) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, n.cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, waitExit(t, n.cmd, 20*time.Second), "node %s, stderr:\n%s", n.name, n.stderr.String())
}

// poll checks cond every 20 ms on the test's goroutine until it holds,
// and fails after bound (a guard for a broken machine, not a wait) with
// what logs returns.
// Separate processes cannot tell a test anything: they are polled.
func poll(t *testing.T, logs func() string, bound time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Since(start) > bound {
			t.Fatalf("%s: not within %s\n%s", what, bound, logs())
		}
		<-tick.C
	}
	return time.Since(start)
}

// TestProcessClusterOverDebianNATS runs three pulseboard processes joined
// to Debian's nats-server (cluster.nats.urls, not embedded): one view on
// every node; a node killed with SIGKILL shown down on the others within
// two seconds; the NATS server killed, every node goes on collecting and
// serving its own dashboard; the server back on its port, the nodes
// reconnect by themselves and backfill what they missed of each other.
func TestProcessClusterOverDebianNATS(t *testing.T) {
	besideOthers(t)
	nats := testtool.StartNATSServer(t)
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	a := startProcessNode(t, client, "a", nats.URL)
	b := startProcessNode(t, client, "b", nats.URL)
	c := startProcessNode(t, client, "c", nats.URL)
	logs := func() string {
		return fmt.Sprintf("nats-server:\n%s\na:\n%s\nb:\n%s", nats.Output(), a.stderr.String(), b.stderr.String())
	}

	took := poll(t, logs, 20*time.Second, "one view on every node", func() bool {
		return a.sees("b", "c") && b.sees("a", "c") && c.sees("a", "b")
	})
	t.Logf("one view on every node %s after the last start", took.Round(time.Millisecond))

	require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
	killed := time.Now()
	waitExit(t, c.cmd, 10*time.Second)
	poll(t, logs, 10*time.Second, "c shown down on a and b", func() bool {
		na, nb := a.nodes(), b.nodes()
		return na != nil && nb != nil && !na["c"].Up && !nb["c"].Up
	})
	took = time.Since(killed)
	t.Logf("c shown down on a and b %s after its SIGKILL", took.Round(time.Millisecond))
	// Two silent heartbeats after the last one, which came before the
	// kill; 100 ms more is this poll's own tick and request.
	require.LessOrEqual(t, took, 2*time.Second+100*time.Millisecond, "a killed node is shown down within 2 s\n%s", logs())

	// NATS gone: each node collects and serves alone.
	nats.Kill()
	down := time.Now().UnixMilli()
	poll(t, logs, 10*time.Second, "a and b collecting and serving without NATS", func() bool {
		since := down + 2*processNodeInterval.Milliseconds()
		return a.newest("demo", "requests_total") > since && b.newest("demo", "requests_total") > since &&
			a.status("/readyz") == http.StatusOK && b.status("/readyz") == http.StatusOK &&
			a.status("/") == http.StatusOK && b.status("/") == http.StatusOK
	})
	poll(t, logs, 10*time.Second, "a and b see each other down without NATS", func() bool {
		return !a.nodes()["b"].Up && !b.nodes()["a"].Up
	})
	// Let b collect for a while that a can only learn of by backfilling.
	outageEnd := b.newest("demo", "requests_total") + 3*processNodeInterval.Milliseconds()
	poll(t, logs, 10*time.Second, "b collecting alone", func() bool { return b.newest("demo", "requests_total") >= outageEnd })

	nats.Restart()
	took = poll(t, logs, 20*time.Second, "a and b reconnected and up again on each other", func() bool {
		return a.sees("b") && b.sees("a")
	})
	t.Logf("a and b up again on each other %s after NATS came back", took.Round(time.Millisecond))
	// What each collected while NATS was down reaches the other only by
	// backfill.
	poll(t, logs, 20*time.Second, "the outage backfilled on a", func() bool {
		return coversPoints(a.points(remoteSource("b", "demo"), "requests_total"), down, outageEnd, 3*processNodeInterval)
	})
	poll(t, logs, 20*time.Second, "the outage backfilled on b", func() bool {
		return coversPoints(b.points(remoteSource("a", "demo"), "requests_total"), down, outageEnd, 3*processNodeInterval)
	})

	a.stop(t)
	b.stop(t)
}

// coversPoints reports whether pts reach from at or before from to at or
// after to, with no two neighbours in between further apart than maxGap.
func coversPoints(pts []protocol.Point, from, to int64, maxGap time.Duration) bool {
	if len(pts) == 0 || pts[0].T > from || pts[len(pts)-1].T < to {
		return false
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].T > from && pts[i-1].T < to && pts[i].T-pts[i-1].T > maxGap.Milliseconds() {
			return false
		}
	}
	return true
}
