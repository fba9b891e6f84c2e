package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/cluster"
)

// rawPoints are n's raw points of source src's metric, oldest first.
func (n *clusterNode) rawPoints(src, metric string) []aggregator.RawPoint {
	var out []aggregator.RawPoint
	n.p.aggregator.WalkRaw(0, aggregator.RawCursor{}, 1<<20, func(s string) bool { return s == src },
		func(s aggregator.RawSeries, pts []aggregator.RawPoint) {
			if s.Metric == metric {
				out = append(out, pts...)
			}
		})
	return out
}

// pointsIn is the points of pts from from to to, inclusive.
func pointsIn(pts []aggregator.RawPoint, from, to int64) []aggregator.RawPoint {
	var out []aggregator.RawPoint
	for _, p := range pts {
		if p.TimeMs >= from && p.TimeMs <= to {
			out = append(out, p)
		}
	}
	return out
}

// holdsAs reports whether c holds peer's own points of metric from from
// to to, point for point, and peer's own reach from at or before from to
// at or after to. (Against the peer's points, not a rhythm: a node starved
// of its core for a second misses polls of its own, and a node started
// late has none from before it started.)
func holdsAs(c, peer *clusterNode, metric string, from, to int64) bool {
	own := peer.rawPoints("demo", metric)
	if len(own) == 0 || own[0].TimeMs > from || own[len(own)-1].TimeMs < to {
		return false
	}
	return slices.Equal(pointsIn(own, from, to), pointsIn(c.rawPoints(peer.name+"/demo", metric), from, to))
}

func (n *clusterNode) backfills(result string) float64 {
	return metricValueOr0(n, "pulseboard_cluster_backfills_total", map[string]string{"result": result})
}

// metricValueOr0 is a node's metric (metricValue), -1 when its registry
// cannot be gathered.
func metricValueOr0(n *clusterNode, name string, labels map[string]string) float64 {
	v, err := gatheredValue(n.p.registry, name, labels)
	if err != nil {
		return -1
	}
	return v
}

// A node that joins late holds the others' history from before it
// started, merged with their live samples without a gap; stopped and
// started again, it holds what it missed meanwhile.
func TestClusterHistoryOnJoinAndRestart(t *testing.T) {
	besideOthers(t)
	a := startClusterNode(t, "a")
	b := startClusterNode(t, "b", a.route)
	const metric = "temperature_celsius"
	// The source polls every 100 ms: 1.5 s of a's and b's own history
	// first.
	for _, n := range []*clusterNode{a, b} {
		require.Eventually(t, func() bool {
			p := n.rawPoints("demo", metric)
			return len(p) > 0 && p[len(p)-1].TimeMs-p[0].TimeMs >= 1500
		}, waitLong, 20*time.Millisecond)
	}

	started := time.Now().UnixMilli()
	c := startClusterNode(t, "c", a.route, b.route)
	for _, peer := range []*clusterNode{a, b} {
		require.Eventually(t, func() bool {
			return holdsAs(c, peer, metric, started-1000, started+500)
		}, waitLong, 20*time.Millisecond, "c holds %s's history from before it started, and its live samples after", peer.name)
	}
	// One backfill a peer at least: a live batch c cannot decode after a
	// peer's backfill ended (coded against a key frame sent before c
	// subscribed, when c's first batches were slow to come) asks again.
	if !assert.Eventually(t, func() bool { return c.backfills("done") >= 2 }, waitLong, 20*time.Millisecond) {
		for _, r := range []string{"done", "refused", "not_served", "truncated", "gave_up", "cancelled"} {
			t.Logf("c's backfills %s: %v", r, c.backfills(r))
		}
		t.FailNow()
	}

	stopped := time.Now().UnixMilli()
	c.stop(t)
	require.Eventually(t, func() bool {
		p := a.rawPoints("demo", metric)
		return p[len(p)-1].TimeMs >= stopped+1500
	}, waitLong, 20*time.Millisecond, "a and b go on while c is away")
	doneOnA := a.backfills("done")

	restarted := time.Now().UnixMilli()
	c = startClusterNode(t, "c", a.route, b.route)
	for _, peer := range []*clusterNode{a, b} {
		require.Eventually(t, func() bool {
			return holdsAs(c, peer, metric, started-1000, restarted+500)
		}, waitLong, 20*time.Millisecond, "c holds %s's history over the time it was stopped", peer.name)
	}
	require.Eventually(t, func() bool { return a.backfills("done") > doneOnA }, waitLong, 20*time.Millisecond,
		"a asks c back for what c has since it was last seen")
	// Over the join, point for point: no sample of a live batch c could
	// not decode (coded against a key frame c never saw) is missing.
	until := restarted + 1500
	for _, peer := range []*clusterNode{a, b} {
		require.Eventually(t, func() bool {
			p := c.rawPoints(peer.name+"/demo", metric)
			return len(p) > 0 && p[len(p)-1].TimeMs > until
		}, waitLong, 20*time.Millisecond)
		require.Equal(t, pointsIn(peer.rawPoints("demo", metric), restarted-1000, until),
			pointsIn(c.rawPoints(peer.name+"/demo", metric), restarted-1000, until),
			"c holds %s's series as %s does, over the join", peer.name, peer.name)
	}
	for _, s := range a.remoteSeries("c") {
		require.Equal(t, "c", s.Labels["node"])
	}
}

// fakePeer is a cluster node of the test's own on n's NATS, with a
// backfill answer of the test's.
func fakePeer(t *testing.T, n *clusterNode, name string, answer func(context.Context, cluster.BackfillRequest) (cluster.BackfillReply, error)) {
	t.Helper()
	client, _ := n.p.cluster.node.EmbeddedURLs()
	node, err := cluster.New(cluster.Options{Cluster: "lab", Node: name, NATS: &cluster.NATS{URLs: []string{client}},
		Backfill: answer, Logger: discardLog()})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- node.Serve(ctx) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-served) })
}

// A peer that fails to answer is asked again; one whose chunk is garbage
// is refused and counted, and nothing stalls: the live samples of the
// others go on.
func TestClusterBackfillRetriedAndGarbageRefused(t *testing.T) {
	a := startClusterNode(t, "a")
	startClusterNode(t, "b", a.route)
	require.Eventually(t, func() bool { return len(a.rawPoints("b/demo", "temperature_celsius")) > 0 }, waitLong, 20*time.Millisecond)

	past := time.Now().Add(-time.Minute).UnixMilli()
	var asked atomic.Int32
	fakePeer(t, a, "x", func(_ context.Context, req cluster.BackfillRequest) (cluster.BackfillReply, error) {
		// b asks x too; only a's asks are counted, so that a's first one
		// is the one that fails.
		if req.From == "a" && asked.Add(1) == 1 {
			return cluster.BackfillReply{}, errors.New("not now")
		}
		var samples []cluster.Sample
		for i := range 5 {
			samples = append(samples, cluster.Sample{Series: string(appendIdentity(nil, "fake", &aggregator.Sample{Metric: "m"})),
				Time: past + int64(i)*1000, Value: float64(i)})
		}
		chunk, err := encodeChunk(samples)
		return cluster.BackfillReply{Chunk: chunk, Done: true}, err
	})
	fakePeer(t, a, "y", func(context.Context, cluster.BackfillRequest) (cluster.BackfillReply, error) {
		return cluster.BackfillReply{Chunk: []byte{1, 0xff, 0xff, 0xff}, Done: true}, nil
	})

	require.Eventually(t, func() bool { return len(a.rawPoints("x/fake", "m")) == 5 }, waitLong, 20*time.Millisecond,
		"x's history stored after a second request")
	require.Equal(t, aggregator.RawPoint{TimeMs: past, Value: 0}, a.rawPoints("x/fake", "m")[0])
	require.Eventually(t, func() bool { return a.backfills("refused") == 1 }, waitLong, 20*time.Millisecond, "y's garbage refused")
	// Asked again after its failure: by a retry or, when a loaded machine
	// let x's heartbeats lapse meanwhile, by the backfill of its next Up
	// (the first one then cancelled, counted when its goroutine sees the
	// cancel, which may come after the second run stored x's history).
	require.GreaterOrEqual(t, asked.Load(), int32(2))
	require.Eventually(t, func() bool {
		return metricValueOr0(a, "pulseboard_cluster_backfill_retries_total", nil)+a.backfills("cancelled") >= 1
	}, waitLong, 20*time.Millisecond, "a retry or a cancelled first backfill counted")
	require.Equal(t, 0.0, a.backfills("gave_up"))

	last := a.rawPoints("b/demo", "temperature_celsius")
	require.Eventually(t, func() bool {
		p := a.rawPoints("b/demo", "temperature_celsius")
		return p[len(p)-1].TimeMs > last[len(last)-1].TimeMs
	}, waitLong, 20*time.Millisecond, "b's live samples go on")
}

// post sends an admin POST to n and returns the status and body.
func (n *clusterNode) post(t *testing.T, path, token string) (int, string) {
	t.Helper()
	code, body, _ := n.postHeader(t, path, token)
	return code, body
}

// postHeader is post with the answer's headers.
func (n *clusterNode) postHeader(t *testing.T, path, token string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, n.base+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body), resp.Header
}

// The crash route of any node crashes a source of another: forwarded to
// its node, the token checked there, the codes a local request gets.
func TestClusterRemoteCrash(t *testing.T) {
	besideOthers(t)
	const admin = "cluster-test-admin"
	a := startClusterNode(t, "a")
	b := startClusterNode(t, "b", a.route)
	d := startClusterNodeFrom(t, "d", strings.Replace(clusterConfig("d", []string{a.route}), admin, "d-own-admin-token", 1))
	require.Eventually(t, func() bool {
		nodes := a.nodes()
		return nodes["b"].Up && nodes["d"].Up
	}, waitLong, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		st, err := b.p.collectors.Stats("demo")
		return err == nil && st.Polls > 0
	}, waitLong, 20*time.Millisecond)

	code, body := a.post(t, "/api/v1/sources/b/demo/crash", admin)
	require.Equal(t, http.StatusAccepted, code, body)
	require.Contains(t, body, `"source":"b/demo"`)
	require.Eventually(t, func() bool {
		st, err := b.p.collectors.Stats("demo")
		return err == nil && st.Restarts == 1
	}, waitLong, 20*time.Millisecond, "restarted by b's supervisor")
	st, err := a.p.collectors.Stats("demo")
	require.NoError(t, err)
	require.Zero(t, st.Restarts, "a's own demo untouched")

	code, _ = a.post(t, "/api/v1/sources/b/demo/crash", "wrong")
	require.Equal(t, http.StatusUnauthorized, code, "refused on a, as locally")
	localCode, localBody, localHeader := d.postHeader(t, "/api/v1/sources/demo/crash", admin)
	code, body, header := a.postHeader(t, "/api/v1/sources/d/demo/crash", admin)
	require.Equal(t, http.StatusUnauthorized, localCode)
	require.Equal(t, localCode, code, "a's token is not d's: d refuses it as it refuses it locally (%s)", body)
	require.Equal(t, localBody, body, "the same words for the same refusal, local or remote")
	require.NotEmpty(t, localHeader.Get("WWW-Authenticate"))
	require.Equal(t, localHeader.Get("WWW-Authenticate"), header.Get("WWW-Authenticate"), "and the same challenge")
	_, localBody = d.post(t, "/api/v1/nodes/d/reload", admin)
	_, body = a.post(t, "/api/v1/nodes/d/reload", admin)
	require.Equal(t, localBody, body, "a reload refused likewise")
	require.NotContains(t, body, admin)

	code, _ = a.post(t, "/api/v1/sources/nowhere/demo/crash", admin)
	require.Equal(t, http.StatusNotFound, code, "unknown node")
	code, _ = a.post(t, "/api/v1/sources/b/nothing/crash", admin)
	require.Equal(t, http.StatusNotFound, code, "unknown source of a known node")
	code, _ = a.post(t, "/api/v1/sources/a/demo/crash", admin)
	require.Equal(t, http.StatusAccepted, code, "a's own source by its cluster name")

	// Reload across nodes: b re-reads its own file; refused, its reason
	// comes back as b's own route would give it.
	code, body = a.post(t, "/api/v1/nodes/b/reload", admin)
	require.Equal(t, http.StatusOK, code, body)
	code, body = a.post(t, "/api/v1/nodes/a/reload", admin)
	require.Equal(t, http.StatusOK, code, "a's own, by its cluster name: %s", body)
	good, err := os.ReadFile(b.file)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(b.file, append(good, "no_such_key: 1\n"...), 0o600))
	code, body = a.post(t, "/api/v1/nodes/b/reload", admin)
	require.Equal(t, http.StatusUnprocessableEntity, code, body)
	require.Contains(t, body, "b.yaml:", "b's file, with its position")
	require.Contains(t, body, "no_such_key")
	require.NotContains(t, body, admin)
	code, _ = a.post(t, "/api/v1/nodes/b/reload", "wrong")
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = a.post(t, "/api/v1/nodes/nowhere/reload", admin)
	require.Equal(t, http.StatusNotFound, code)

	b.stop(t)
	require.Eventually(t, func() bool { return !a.nodes()["b"].Up }, waitLong, 20*time.Millisecond)
	code, body = a.post(t, "/api/v1/sources/b/demo/crash", admin)
	require.Equal(t, http.StatusServiceUnavailable, code, body)
	code, body = a.post(t, "/api/v1/nodes/b/reload", admin)
	require.Equal(t, http.StatusServiceUnavailable, code, body)
}
