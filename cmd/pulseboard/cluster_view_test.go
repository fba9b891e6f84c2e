package main

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/cluster"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/configs"
)

func healthOf(t *testing.T, srcs ...aggregator.SourceInfo) healthMsg {
	t.Helper()
	m, err := decodeHealth(encodeHealth(1, srcs)[0])
	require.NoError(t, err)
	return m
}

// A peer's sources show as it last said while it is up, "down" (not up)
// while it is down, and as it says again once back; its tree likewise.
func TestRemoteViewDownAndBack(t *testing.T) {
	v := newRemoteView()
	require.True(t, v.setHealth("b", healthOf(t, testSource("web"), testSource("demo"))))
	require.False(t, v.setHealth("b", healthOf(t, testSource("web"), testSource("demo"))), "the same health changes nothing")
	require.True(t, v.setHealth("a", healthOf(t, testSource("demo"))))
	names := func() (out []string) {
		for _, s := range v.sources(nil) {
			out = append(out, s.Name+":"+s.State)
		}
		return out
	}
	require.Equal(t, []string{"a/demo:running", "b/demo:running", "b/web:running"}, names())
	require.True(t, v.setTree("b", aggregator.Process{Name: "root", State: "running", Children: []aggregator.Process{{Name: "collectors"}}}))
	require.False(t, v.setTree("b", aggregator.Process{Name: "root", State: "running", Children: []aggregator.Process{{Name: "collectors"}}}))

	seen := time.UnixMilli(1700000000000)
	v.setUp("b", false, seen)
	require.Equal(t, []string{"a/demo:running", "b/demo:down", "b/web:down"}, names())
	for _, s := range v.sources(nil) {
		require.Equal(t, s.Node == "a", s.Up, "a down peer's sources are not up")
	}
	trees := v.trees()
	require.Len(t, trees, 2)
	require.Equal(t, aggregator.Process{Name: "root", State: "running", Node: "a"}, trees[0], "a bare root before its first tree")
	require.Equal(t, "down", trees[1].State)
	require.Equal(t, int64(1700000000000), trees[1].LastSeen)
	require.Equal(t, "collectors", trees[1].Children[0].Name, "the last tree it sent")

	v.setUp("b", true, time.Time{})
	require.Equal(t, []string{"a/demo:running", "b/demo:running", "b/web:running"}, names(), "back by itself")
	require.Zero(t, v.trees()[1].LastSeen)
	require.Equal(t, 2, v.count("b"))
}

// A part of a newer generation drops an unfinished one.
func TestRemoteViewPartsOfOneGeneration(t *testing.T) {
	v := newRemoteView()
	part := func(gen uint64, i, n int, name string) healthMsg {
		return healthMsg{V: 1, Gen: gen, Part: i, Parts: n, Sources: []protocol.Source{testSource(name)}}
	}
	require.False(t, v.setHealth("b", part(1, 0, 2, "x")))
	require.False(t, v.setHealth("b", part(2, 0, 2, "y")))
	require.True(t, v.setHealth("b", part(2, 1, 2, "z")))
	var names []string
	for _, s := range v.sources(nil) {
		names = append(names, s.Name)
	}
	require.Equal(t, []string{"b/y", "b/z"}, names)
}

// A peer's garbage, another version's payloads and oversized ones are
// dropped and counted by kind and reason; good ones reach the stream,
// events with their node.
func TestIngestViewRefusesAndCounts(t *testing.T) {
	var link *clusterLink
	agg := aggregator.New(aggregator.Options{BroadcastInterval: 5 * time.Millisecond,
		Sources: func() []aggregator.SourceInfo { return link.view.sources(nil) }}) // as program.sourceList
	cfg := &configs.Cluster{Name: "lab", Node: "a", Embedded: &configs.ClusterEmbedded{Listen: "127.0.0.1:0", ClusterListen: "127.0.0.1:0"}}
	var err error
	link, err = newClusterLink(cfg, agg, 1000, discardLog())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- agg.Serve(ctx) }()
	defer func() { cancel(); require.NoError(t, <-served) }()
	sub := agg.Subscribe(0)
	defer sub.Close()

	in := func(k cluster.Kind, data string) {
		link.ingest(cluster.Inbound{Node: "b", Kind: k, Data: []byte(data)})
	}
	in(cluster.KindHealth, "\xff garbage")
	in(cluster.KindHealth, `{"v":2}`)
	in(cluster.KindHealth, `{"v":1,"sources":["`+strings.Repeat("x", maxHealthBytes)+`"]}`)
	in(cluster.KindTree, "[]")
	in(cluster.KindEvents, `{"v":1,"events":[{"kind":"x","ts":1,"m":"`+strings.Repeat("x", maxEventsBytes)+`"}]}`)
	refused := func(kind, reason string) float64 {
		return testutil.ToFloat64(link.payloadsRefused.WithLabelValues(kind, reason))
	}
	require.Equal(t, 1.0, refused("health", "malformed"))
	require.Equal(t, 1.0, refused("health", "version"))
	require.Equal(t, 1.0, refused("health", "too_large"))
	require.Equal(t, 1.0, refused("tree", "malformed"))
	require.Equal(t, 1.0, refused("events", "too_large"))
	require.Empty(t, link.view.sources(nil), "nothing refused is stored")

	in(cluster.KindHealth, string(encodeHealth(1, []aggregator.SourceInfo{testSource("demo")})[0]))
	ev, err := protocol.NewEvent("reload", 1700000000000, map[string]any{"ok": true, "message": "config reloaded"})
	require.NoError(t, err)
	data, err := encodeEvents([]protocol.Event{ev})
	require.NoError(t, err)
	in(cluster.KindEvents, string(data))
	var sawSource, sawEvent bool
	wait, done := context.WithTimeout(context.Background(), waitLong)
	defer done()
	for !sawSource || !sawEvent {
		msg, err := sub.Next(wait)
		require.NoError(t, err, "source seen %v, event seen %v", sawSource, sawEvent)
		var delta protocol.Delta
		if msg.Type != protocol.TypeDelta || json.Unmarshal(msg.Data, &delta) != nil {
			continue
		}
		for _, s := range delta.Sources {
			sawSource = sawSource || s.Name == "b/demo" && s.Node == "b"
		}
		for _, e := range delta.Events {
			var m map[string]any
			sawEvent = sawEvent || e.Kind == "reload" && e.DecodePayload(&m) == nil && m["node"] == "b"
		}
	}
}

// fakePublisher records what a healthPublisher sends.
type fakePublisher struct {
	mu   sync.Mutex
	sent map[cluster.Kind]int
}

func (f *fakePublisher) publish(k cluster.Kind, _ []byte) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent[k]++
	return true
}

func (f *fakePublisher) count(k cluster.Kind) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent[k]
}

// Everything is sent at start and every interval; a change of state at
// once but not sooner than minGap after the previous; a poll that changes
// only counters and times waits for the interval.
func TestHealthPublisherPacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pub := &fakePublisher{sent: map[cluster.Kind]int{}}
		var mu sync.Mutex
		src := testSource("demo")
		h := newHealthPublisher(pub.publish,
			func() []aggregator.SourceInfo { mu.Lock(); defer mu.Unlock(); return []aggregator.SourceInfo{src} },
			func() aggregator.Process { return aggregator.Process{Name: "root"} }, time.Second)
		set := func(f func(*aggregator.SourceInfo)) {
			mu.Lock()
			f(&src)
			mu.Unlock()
			h.changed()
			synctest.Wait()
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- h.Serve(ctx) }()
		synctest.Wait()
		require.Equal(t, 1, pub.count(cluster.KindHealth), "at start")
		require.Equal(t, 1, pub.count(cluster.KindTree))

		set(func(s *aggregator.SourceInfo) { s.Polls++; s.LastSuccess++ })
		require.Equal(t, 1, pub.count(cluster.KindHealth), "a poll's counters wait for the interval")

		set(func(s *aggregator.SourceInfo) { s.State = aggregator.StateBackoff })
		require.Equal(t, 1, pub.count(cluster.KindHealth), "held: minGap has not passed since the start")
		time.Sleep(h.minGap)
		synctest.Wait()
		require.Equal(t, 2, pub.count(cluster.KindHealth), "then sent")

		time.Sleep(time.Second - h.minGap)
		synctest.Wait()
		require.Equal(t, 3, pub.count(cluster.KindHealth), "every interval")
		time.Sleep(2 * h.minGap)
		set(func(s *aggregator.SourceInfo) { s.State = aggregator.StateRunning })
		require.Equal(t, 4, pub.count(cluster.KindHealth), "a change after minGap goes at once")
		cancel()
		require.NoError(t, <-done)
	})
}
