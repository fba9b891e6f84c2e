package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/dashboard"
)

// clusterNode is a whole program, one node of a cluster, run in-process
// on free loopback ports: its dashboard, and its embedded NATS server.
type clusterNode struct {
	name   string
	file   string // its config file
	p      *program
	base   string // the dashboard, http://127.0.0.1:port
	route  string // its NATS route URL, for the nodes started after it
	cancel context.CancelFunc
	served chan error
	logs   *lockedBuffer
}

// clusterConfig is a node's config file: one simulated source "demo"
// polled every 100 ms, memory-only history, an embedded NATS on free
// ports routed to routes.
func clusterConfig(name string, routes []string) string {
	quoted := make([]string, len(routes))
	for i, r := range routes {
		quoted[i] = fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf(`server:
  listen: 127.0.0.1:0
  auth: {admin_token: cluster-test-admin}
broadcast: {interval: 50ms}
storage: {path: ""}
cluster:
  name: lab
  node: %s
  embedded:
    listen: 127.0.0.1:0
    cluster_listen: 127.0.0.1:0
    routes: [%s]
sources:
  - name: demo
    type: simulated
    interval: 100ms
    series:
      - {metric: temperature_celsius, shape: sine, min: 18, max: 26, period: 1m}
      - {metric: requests_total, shape: counter, rate: 50}
`, name, strings.Join(quoted, ", "))
}

// startClusterNode loads the node's config, runs its program and waits
// until its dashboard listens and it is connected to its NATS.
func startClusterNode(t *testing.T, name string, routes ...string) *clusterNode {
	t.Helper()
	return startClusterNodeFrom(t, name, clusterConfig(name, routes))
}

// startClusterNodeFrom is startClusterNode with a config file of the
// caller's (clusterConfig's, changed).
func startClusterNodeFrom(t *testing.T, name, config string) *clusterNode {
	t.Helper()
	// The config is a file, as a user's is: a reload re-reads it.
	file := filepath.Join(t.TempDir(), name+".yaml")
	require.NoError(t, os.WriteFile(file, []byte(config), 0o600))
	cfg, err := configs.Load(file)
	require.NoError(t, err)
	n := &clusterNode{name: name, file: file, served: make(chan error, 1), logs: &lockedBuffer{}}
	log := slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	n.p, err = newProgram(cfg, reloadSetup{path: file, noWatch: true}, log)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go func() { n.served <- n.p.Serve(ctx) }()
	t.Cleanup(func() { n.stop(t) })

	wait, done := context.WithTimeout(context.Background(), waitLong)
	defer done()
	select {
	case <-n.p.dashboard.Listening():
	case <-wait.Done():
		t.Fatal("the dashboard never listened")
	}
	n.base = n.p.dashboard.URL()
	require.NoError(t, n.p.cluster.node.WaitConnected(wait), "node %s never connected to NATS", name)
	if cfg.Cluster.Embedded != nil {
		_, n.route = n.p.cluster.node.EmbeddedURLs()
		require.NotEmpty(t, n.route)
	}
	return n
}

// stop ends the program and waits for it; stopping twice is harmless.
func (n *clusterNode) stop(t *testing.T) {
	n.cancel()
	if err, ok := <-n.served; ok {
		close(n.served)
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("node %s: %v\n%s", n.name, err, n.logs.String())
		}
	}
}

// get reads a viewer route's JSON into into (a *string takes the body as
// is). It returns an error rather than failing, so that Eventually's
// conditions, which run on a goroutine of their own, may call it.
func (n *clusterNode) get(path string, into any) error {
	resp, err := http.Get(n.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %d %s", path, resp.StatusCode, body)
	}
	if s, ok := into.(*string); ok {
		*s = string(body)
		return nil
	}
	return json.Unmarshal(body, into)
}

// nodes is n's GET /api/v1/nodes by name; nil if it could not be read or
// does not list n first.
func (n *clusterNode) nodes() map[string]dashboard.Node {
	var list struct{ Nodes []dashboard.Node }
	if n.get("/api/v1/nodes", &list) != nil || len(list.Nodes) == 0 || list.Nodes[0].Name != n.name {
		return nil
	}
	out := map[string]dashboard.Node{}
	for _, x := range list.Nodes {
		out[x.Name] = x
	}
	return out
}

// remoteSeries returns n's series of peer's source demo, by metric (nil
// if the snapshot could not be read).
func (n *clusterNode) remoteSeries(peer string) map[string]protocol.Series {
	var snap protocol.Snapshot
	if n.get("/api/v1/snapshot?points=0", &snap) != nil {
		return nil
	}
	out := map[string]protocol.Series{}
	for _, s := range snap.Series {
		if s.Source == remoteSource(peer, "demo") {
			out[s.Metric] = s
		}
	}
	return out
}

// TestThreeNodeCluster runs three whole programs joined over embedded
// NATS (b routed to a, c to a and b; the routes gossip into a mesh): each
// holds the others' series under "<node>/demo" with their node label, lists
// three nodes up, and sees a stopped node down, its series stale, within
// two seconds; /metrics stays each node's own.
func TestThreeNodeCluster(t *testing.T) {
	besideOthers(t)
	a := startClusterNode(t, "a")
	b := startClusterNode(t, "b", a.route)
	c := startClusterNode(t, "c", a.route, b.route)
	all := []*clusterNode{a, b, c}

	require.Eventually(t, func() bool {
		for _, n := range all {
			for _, peer := range all {
				if peer == n {
					continue
				}
				got := n.remoteSeries(peer.name)
				if len(got) != 2 {
					return false
				}
				for _, s := range got {
					if s.Labels["node"] != peer.name || s.Stale || s.Last == nil {
						return false
					}
				}
			}
		}
		return true
	}, waitLong, 50*time.Millisecond, "every node holds the two others' series, live, with their node label")

	got := a.remoteSeries("b")
	require.Equal(t, "counter", got["requests_total"].Kind, "the kind travels")
	require.Equal(t, map[string]string{"node": "b"}, got["temperature_celsius"].Labels)

	// A node is listed from its first heartbeat (every second), which may
	// come after its first samples.
	require.Eventually(t, func() bool {
		for _, n := range all {
			nodes := n.nodes()
			if len(nodes) != 3 {
				return false
			}
			for _, peer := range all {
				p := nodes[peer.name]
				if !p.Up || p.Series != 2 || p.Sources != 1 || p.LastSeen == 0 {
					return false
				}
			}
		}
		return true
	}, waitLong, 50*time.Millisecond, "every node lists the three up, with 1 source and 2 series each")

	// One view: every node lists the others' sources as sources, with
	// their node, and their trees under its own.
	require.Eventually(t, func() bool {
		for _, n := range all {
			srcs := n.sources()
			if srcs["demo"].Node != n.name || srcs["demo"].State != "running" {
				return false
			}
			for _, peer := range all {
				s, ok := srcs[remoteSource(peer.name, "demo")]
				if peer != n && (!ok || s.Node != peer.name || s.State != "running" || s.Type != "simulated") {
					return false
				}
			}
		}
		return true
	}, waitLong, 50*time.Millisecond, "every node lists the three nodes' sources with their node")
	var snap protocol.Snapshot
	require.Eventually(t, func() bool {
		if a.get("/api/v1/snapshot?points=0", &snap) != nil || snap.Tree == nil || len(snap.Tree.Nodes) != 2 {
			return false
		}
		return snap.Tree.Nodes[1].Node == "c" && hasChild(&snap.Tree.Nodes[1], "collectors")
	}, waitLong, 50*time.Millisecond, "a's tree holds b's and c's under their names")
	require.Equal(t, "a", snap.Tree.Node)
	require.Equal(t, "b", snap.Tree.Nodes[0].Node)

	var metrics string
	require.NoError(t, a.get("/metrics", &metrics))
	require.Contains(t, metrics, `temperature_celsius{source="demo"}`)
	require.NotContains(t, metrics, `source="b/demo"`, "cluster.export own: a node exports its own series only")

	var tree protocol.Snapshot
	require.NoError(t, a.get("/api/v1/snapshot?points=0", &tree))
	require.NotNil(t, tree.Tree)
	require.True(t, hasChild(tree.Tree, "cluster"), "the cluster node is a child of the root")

	stopped := time.Now()
	c.cancel()
	require.Eventually(t, func() bool {
		for _, n := range []*clusterNode{a, b} {
			if n.nodes()["c"].Up {
				return false
			}
			for _, s := range n.remoteSeries("c") {
				if !s.Stale {
					return false
				}
			}
			if s := n.sources()["c/demo"]; s.State != "down" || s.Up {
				return false
			}
		}
		return true
	}, 2*time.Second-time.Since(stopped), 20*time.Millisecond, "c is down, its sources down and its series stale on a and b within 2 s")
	c.stop(t)
	for _, n := range []*clusterNode{a, b} {
		require.True(t, n.nodes()["c"].LastSeen > 0)
		// The tree is published by the aggregator's next tick after the
		// change (as the sources are): it may follow them by a tick.
		var down protocol.Process
		require.Eventually(t, func() bool {
			var snap protocol.Snapshot
			if n.get("/api/v1/snapshot?points=0", &snap) != nil || snap.Tree == nil || len(snap.Tree.Nodes) == 0 {
				return false
			}
			down = snap.Tree.Nodes[len(snap.Tree.Nodes)-1]
			return down.State == "down"
		}, time.Second, 10*time.Millisecond, "a lost node's tree is down; last: %+v", &down)
		require.Equal(t, "c", down.Node)
		require.Positive(t, down.LastSeen)
		require.True(t, hasChild(&down, "collectors"), "and keeps the last tree it sent")
		require.Len(t, n.remoteSeries("c"), 2, "a lost node's series are kept, stale")
		for _, s := range n.remoteSeries(map[*clusterNode]string{a: "b", b: "a"}[n]) {
			require.False(t, s.Stale, "the nodes still up stay live")
		}
	}
}

// sources is n's GET /api/v1/sources by name (nil if unreadable).
func (n *clusterNode) sources() map[string]protocol.Source {
	var list protocol.SourceList
	if n.get("/api/v1/sources", &list) != nil {
		return nil
	}
	out := map[string]protocol.Source{}
	for _, s := range list.Sources {
		out[s.Name] = s
	}
	return out
}

func hasChild(p *protocol.Process, name string) bool {
	for _, c := range p.Children {
		if c.Name == name {
			return true
		}
	}
	return false
}
