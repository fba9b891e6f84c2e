package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/cluster"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/configs"
)

func TestIdentityRoundTrip(t *testing.T) {
	smp := aggregator.Sample{Metric: "http_requests_total", Kind: aggregator.KindCounter,
		Labels: aggregator.Labels{{Name: "code", Value: "200"}, {Name: "node", Value: "exporter-1"}, {Name: "path", Value: "/a\x00b\"c"}}}
	id := string(appendIdentity(nil, "web", &smp))
	rs, err := parseIdentity("b", id)
	require.NoError(t, err)
	require.Equal(t, remoteSeries{
		source: "b/web",
		metric: "http_requests_total",
		kind:   aggregator.KindCounter,
		labels: aggregator.Labels{
			{Name: "code", Value: "200"},
			{Name: "exported_node", Value: "exporter-1"}, // the series' own node label, kept aside
			{Name: "node", Value: "b"},
			{Name: "path", Value: "/a\x00b\"c"},
		},
	}, rs)

	plain := aggregator.Sample{Metric: "load"}
	rs, err = parseIdentity("c", string(appendIdentity(nil, "host", &plain)))
	require.NoError(t, err)
	require.Equal(t, aggregator.Labels{{Name: "node", Value: "c"}}, rs.labels)
	require.Equal(t, aggregator.KindGauge, rs.kind)
	require.True(t, isRemoteSource(rs.source))
	require.False(t, isRemoteSource("host"))
}

func TestIdentityMalformed(t *testing.T) {
	good := string(appendIdentity(nil, "s", &aggregator.Sample{Metric: "m", Labels: aggregator.Labels{{Name: "a", Value: "1"}}}))
	clash := string(appendIdentity(nil, "s", &aggregator.Sample{Metric: "m",
		Labels: aggregator.Labels{{Name: "exported_node", Value: "1"}, {Name: "node", Value: "2"}}}))
	for name, id := range map[string]string{
		"empty":               "",
		"kind unknown":        "\x02" + good[1:],
		"no source":           "\x00\x00\x01m\x00",
		"no metric":           "\x00\x01s\x00\x00",
		"cut in a string":     good[:4],
		"cut in a label":      good[:len(good)-1],
		"trailing bytes":      good + "x",
		"length too long":     "\x00\x7fs",
		"varint overflow":     "\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
		"labels > bytes":      "\x00\x01s\x01m\x7f",
		"exported_node twice": clash,
	} {
		_, err := parseIdentity("b", id)
		require.ErrorIs(t, err, aggregator.ErrIdentity, name)
	}
}

// FuzzParseIdentity: any bytes give an error or a series whose labels are
// sorted, unique and carry the node.
func FuzzParseIdentity(f *testing.F) {
	f.Add(string(appendIdentity(nil, "s", &aggregator.Sample{Metric: "m", Labels: aggregator.Labels{{Name: "z", Value: "1"}, {Name: "a", Value: "2"}}})))
	f.Add("\x00\x01s\x01m\x00")
	f.Fuzz(func(t *testing.T, id string) {
		rs, err := parseIdentity("n", id)
		if err != nil {
			return
		}
		require.Equal(t, "n", rs.labels.Get("node"))
		require.True(t, slices.IsSortedFunc(rs.labels, func(a, b aggregator.Label) int { return strings.Compare(a.Name, b.Name) }))
		require.True(t, strings.HasPrefix(rs.source, "n/"))
	})
}

// recordingSink is the aggregator's place in clusterSink tests.
type recordingSink struct{ batches []aggregator.Batch }

func (r *recordingSink) Push(_ context.Context, b aggregator.Batch) bool {
	r.batches = append(r.batches, b)
	return true
}

// The tap hands every batch on unchanged and never waits for the cluster:
// with nothing serving the node and its queue of one full, a thousand
// batches go through at once.
func TestClusterSinkNeverBlocksCollection(t *testing.T) {
	node, err := cluster.New(cluster.Options{Cluster: "lab", Node: "a", PublishQueue: 1,
		Embedded: &cluster.Embedded{Listen: "127.0.0.1:0", ClusterListen: "127.0.0.1:0"}, Logger: discardLog()})
	require.NoError(t, err)
	next := &recordingSink{}
	sink := clusterSink{next: next, node: node}
	for i := range 1000 {
		b := aggregator.Batch{Source: "demo", Complete: true, Samples: []aggregator.Sample{{Metric: "m", TimeMs: int64(i), Value: float64(i)}}}
		require.True(t, sink.Push(context.Background(), b))
	}
	require.True(t, sink.Push(context.Background(), aggregator.Batch{Source: "demo", Failed: true}))
	require.Len(t, next.batches, 1001)
	require.Equal(t, 999.0, next.batches[999].Samples[0].Value)
	require.True(t, next.batches[1000].Failed)
}

func TestToClusterSamples(t *testing.T) {
	b := aggregator.Batch{Source: "demo", Samples: []aggregator.Sample{
		{Metric: "a", TimeMs: 1, Value: 1.5},
		{Metric: "b", Labels: aggregator.Labels{{Name: "x", Value: "y"}}, Kind: aggregator.KindCounter, TimeMs: 2, Value: 7},
	}}
	got := toClusterSamples(b)
	require.Len(t, got, 2)
	for i, s := range got {
		require.Equal(t, string(appendIdentity(nil, "demo", &b.Samples[i])), s.Series)
		require.Equal(t, b.Samples[i].TimeMs, s.Time)
		require.Equal(t, b.Samples[i].Value, s.Value)
	}
}

// A peer that goes Down has its series stale at once; its next samples
// make them live again. Bad identities are dropped and counted.
func TestPeerDownMakesItsSeriesStale(t *testing.T) {
	agg := aggregator.New(aggregator.Options{BroadcastInterval: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- agg.Serve(ctx) }()
	defer func() { cancel(); require.NoError(t, <-served) }()

	cfg := &configs.Cluster{Name: "lab", Node: "a", Export: configs.ExportOwn,
		Embedded: &configs.ClusterEmbedded{Listen: "127.0.0.1:0", ClusterListen: "127.0.0.1:0"}}
	link, err := newClusterLink(cfg, agg, 1000, discardLog())
	require.NoError(t, err)

	now := time.Now().UnixMilli()
	samples := func(ts int64) []cluster.Sample {
		return toClusterSamples(aggregator.Batch{Source: "demo", Samples: []aggregator.Sample{{Metric: "m", TimeMs: ts, Value: 1}}})
	}
	// Up while the link is not serving: nothing to backfill, so their
	// samples are stored as they come (not held).
	link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "b", Up: true}})
	link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "c", Up: true}})
	link.ingest(cluster.Inbound{Node: "b", Kind: cluster.KindSamples, Samples: append(samples(now), cluster.Sample{Series: "garbage", Time: now})})
	link.ingest(cluster.Inbound{Node: "c", Kind: cluster.KindSamples, Samples: samples(now)})
	link.ingest(cluster.Inbound{Node: "b", Kind: cluster.KindHealth, Data: []byte("ignored")})
	stale := func() map[string]bool {
		var snap protocol.Snapshot
		if json.Unmarshal(agg.SnapshotJSON(false), &snap) != nil {
			return nil // Eventually's condition runs on its own goroutine: no FailNow
		}
		out := map[string]bool{}
		for _, s := range snap.Series {
			out[s.Source] = s.Stale
		}
		return out
	}
	require.Eventually(t, func() bool { return len(stale()) == 2 }, waitLong, 5*time.Millisecond)
	require.Equal(t, map[string]bool{"b/demo": false, "c/demo": false}, stale())
	require.Equal(t, []string{"b/demo"}, link.peerSources("b"))
	require.Equal(t, 1.0, testutil.ToFloat64(link.refused))

	link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "b", Up: false}})
	require.Eventually(t, func() bool { return stale()["b/demo"] }, waitLong, 5*time.Millisecond)
	require.False(t, stale()["c/demo"], "only the lost peer's")

	link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "b", Up: true}})
	link.ingest(cluster.Inbound{Node: "b", Kind: cluster.KindSamples, Samples: samples(now + 1000)})
	require.Eventually(t, func() bool { return !stale()["b/demo"] }, waitLong, 5*time.Millisecond, "live again with its next samples")
}

func TestClusterLinkErrorsKeepSecrets(t *testing.T) {
	cfg := &configs.Cluster{Name: "lab", Node: "bad.node",
		NATS: &configs.ClusterNATS{URLs: []string{"nats://natsuser:s3cretpw@h:4222"}, User: "u", Password: "pa55word"}}
	_, err := newClusterLink(cfg, aggregator.New(aggregator.Options{}), 10, discardLog())
	require.Error(t, err)
	require.Contains(t, err.Error(), "node")
	for _, s := range []string{"s3cretpw", "natsuser", "pa55word"} {
		require.NotContains(t, err.Error(), s)
	}
}

func TestExportFilter(t *testing.T) {
	require.Nil(t, exportFilter(nil), "a single node exports everything it has")
	require.Nil(t, exportFilter(&configs.Cluster{Export: configs.ExportAll}))
	own := exportFilter(&configs.Cluster{Export: configs.ExportOwn})
	require.True(t, own("demo"))
	require.False(t, own("b/demo"))
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// A NATS port in use stops the program at start, with the key and the
// address, before anything runs.
func TestClusterPortInUseIsAnErrorAtStart(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	for _, key := range []string{"listen", "cluster_listen"} {
		e := &configs.ClusterEmbedded{Listen: "127.0.0.1:0", ClusterListen: "127.0.0.1:0"}
		if key == "listen" {
			e.Listen = busy.Addr().String()
		} else {
			e.ClusterListen = busy.Addr().String()
		}
		err := checkPortsFree(e)
		require.ErrorContains(t, err, "cluster.embedded."+key+" "+busy.Addr().String())
	}
	require.NoError(t, checkPortsFree(nil))

	cfg, err := configs.Parse("a.yaml", []byte(clusterConfig("a", nil)))
	require.NoError(t, err)
	cfg.Cluster.Embedded.ClusterListen = busy.Addr().String()
	_, err = newProgram(cfg, reloadSetup{noWatch: true}, discardLog())
	require.ErrorContains(t, err, "address already in use")
}
