package aggregator

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

func complete(source string, ss ...Sample) Batch {
	return Batch{Source: source, Samples: ss, Complete: true}
}

// requireStale checks a series' stale state and, if stale, since when.
func requireStale(t *testing.T, a *Aggregator, metric string, stale bool, sinceMs int64) {
	t.Helper()
	s := seriesNamed(a, metric)
	require.NotNil(t, s, metric)
	gotStale, gotSince := s.isStale()
	require.Equal(t, stale, gotStale, "%s stale", metric)
	require.Equal(t, sinceMs, gotSince, "%s stale since", metric)
}

// exported counts the /metrics samples of a family.
func exported(t *testing.T, a *Aggregator, family string) int {
	t.Helper()
	n, err := testutil.GatherAndCount(registry(t, a), family)
	require.NoError(t, err)
	return n
}

func TestStaleWhenMissingFromCompleteBatch(t *testing.T) {
	a, c := newTestAgg(Options{})
	a.ingest(complete("s", gauge("a", c.ms, 1), gauge("b", c.ms, 2)))
	a.tick()
	sub := a.Subscribe(a.Seq())
	defer sub.Close()
	require.Equal(t, 1, exported(t, a, "b"))
	require.Equal(t, 6, exported(t, a, "pulseboard_window_min"), "a and b, three windows each")

	c.ms += 1000
	a.ingest(complete("s", gauge("a", c.ms, 1)))
	a.tick()
	requireStale(t, a, "a", false, 0)
	requireStale(t, a, "b", true, c.ms)
	b := seriesNamed(a, "b")
	require.Equal(t, 1, b.hist.len(), "its history stays")
	require.Zero(t, exported(t, a, "b"), "a stale series leaves /metrics")
	require.Equal(t, 3, exported(t, a, "pulseboard_window_min"), "its windows too")
	d := decodeDelta(t, next(t, sub).Data)
	require.Equal(t, map[string]int64{b.id: c.ms}, d.Stale, "the next delta carries it")
	snap := decodeSnapshot(t, a.SnapshotJSON(false))
	for _, s := range snap.Series {
		require.Equal(t, s.Metric == "b", s.Stale, s.Metric)
		if s.Stale {
			require.Equal(t, c.ms, s.StaleSince)
		}
	}

	// It stays stale, and stale since then, while it is missing.
	since := c.ms
	c.ms += 1000
	a.ingest(complete("s", gauge("a", c.ms, 1)))
	a.tick()
	requireStale(t, a, "b", true, since)
	d = decodeDelta(t, next(t, sub).Data)
	require.Nil(t, d.Stale, "no change, not in the delta")

	// Its next sample brings it back.
	c.ms += 1000
	a.ingest(complete("s", gauge("a", c.ms, 1), gauge("b", c.ms, 3)))
	a.tick()
	requireStale(t, a, "b", false, 0)
	require.Equal(t, 1, exported(t, a, "b"))
	d = decodeDelta(t, next(t, sub).Data)
	require.Equal(t, map[string]int64{b.id: 0}, d.Stale, "live again")
}

func TestStaleWhenPollFails(t *testing.T) {
	a, c := newTestAgg(Options{})
	a.ingest(complete("s", gauge("a", c.ms, 1), gauge("b", c.ms, 2)))
	a.ingest(complete("other", gauge("o", c.ms, 1)))
	a.tick()
	c.ms += 1000
	a.ingest(Batch{Source: "s", Failed: true, Samples: []Sample{gauge("a", c.ms, 9)}})
	a.tick()
	requireStale(t, a, "a", true, c.ms)
	requireStale(t, a, "b", true, c.ms)
	requireStale(t, a, "o", false, 0)
	require.Equal(t, 1, seriesNamed(a, "a").hist.len(), "a failed batch's samples are not stored")

	// The source is back: the same sample at the same time is live again
	// (an exporter's own timestamp that did not move).
	since := c.ms
	c.ms += 1000
	a.ingest(complete("s", gauge("a", c.ms-2000, 1)))
	a.tick()
	requireStale(t, a, "a", false, 0)
	requireStale(t, a, "b", true, since)
	require.Empty(t, rejected(a))
}

func TestStaleRulesOfPartialAndEmptyBatches(t *testing.T) {
	a, c := newTestAgg(Options{})
	a.ingest(complete("s", gauge("a", c.ms, 1), gauge("b", c.ms, 2)))
	c.ms += 1000
	// Not complete: a source that cannot tell; nothing goes stale by absence.
	a.ingest(batch("s", gauge("a", c.ms, 1)))
	requireStale(t, a, "b", false, 0)
	// A refused sample still says the target shows the series.
	a.ingest(complete("s", gauge("a", c.ms-500, 1), gauge("b", c.ms, 2)))
	requireStale(t, a, "a", false, 0)
	require.Equal(t, map[string]uint64{"out_of_order": 1}, rejected(a))
	a.ingest(complete("s", gauge("a", c.ms+time.Hour.Milliseconds(), 1), gauge("b", c.ms+1, 2)))
	requireStale(t, a, "a", false, 0)
	require.Equal(t, map[string]uint64{"out_of_order": 1, "too_far_ahead": 1}, rejected(a))
	// A complete batch of nothing: the target has no series any more.
	c.ms += 1000
	a.ingest(complete("s"))
	requireStale(t, a, "a", true, c.ms)
	requireStale(t, a, "b", true, c.ms)
}

func TestStaleSeriesEvictedAfterHistory(t *testing.T) {
	a, c := newTestAgg(Options{History: time.Minute, Windows: []time.Duration{time.Minute}})
	a.ingest(complete("s", gauge("a", c.ms, 1), gauge("b", c.ms, 1)))
	a.tick()
	c.ms += 1000
	a.ingest(Batch{Source: "s", Failed: true})
	a.tick()
	requireStale(t, a, "a", true, c.ms)
	c.ms += 60_000
	a.ingest(complete("s", gauge("b", c.ms, 2)))
	a.tick()
	require.Nil(t, seriesNamed(a, "a"), "evicted")
	requireStale(t, a, "b", false, 0)
	require.Equal(t, uint64(1), a.stats.evicted.Load())
}

// TestStaleSourceIndex: the per-source lists follow evictions and dropped
// sources, so a failed poll reaches exactly the series of its source.
func TestStaleSourceIndex(t *testing.T) {
	a, c := newTestAgg(Options{History: time.Minute, Windows: []time.Duration{time.Minute}})
	var ss []Sample
	for _, m := range []string{"m0", "m1", "m2", "m3", "m4"} {
		ss = append(ss, gauge(m, c.ms, 1))
	}
	a.ingest(complete("s", ss...))
	a.ingest(complete("t", gauge("t0", c.ms, 1)))
	a.tick()
	for range 61 { // m0 and m2 go quiet and are evicted; the rest stay
		c.ms += 1000
		a.ingest(batch("s", gauge("m1", c.ms, 1), gauge("m3", c.ms, 1), gauge("m4", c.ms, 1)))
		a.ingest(batch("t", gauge("t0", c.ms, 1)))
		a.tick()
	}
	require.Len(t, a.st.bySrc["s"], 3)
	for i, s := range a.st.bySrc["s"] {
		require.Equal(t, i, s.srcPos)
		require.NotEqual(t, "m0", s.metric)
		require.NotEqual(t, "m2", s.metric)
	}
	a.ingest(Batch{Source: "s", Failed: true})
	for _, m := range []string{"m1", "m3", "m4"} {
		requireStale(t, a, m, true, c.ms)
	}
	requireStale(t, a, "t0", false, 0)
	a.st.dropSource("s")
	require.NotContains(t, a.st.bySrc, "s")
	require.Len(t, a.st.bySrc["t"], 1)
}

// TestPushQueuesEmptyBatchesThatSaySomething: a failed poll and a complete
// one without samples carry staleness; an empty batch otherwise does not.
func TestPushQueuesEmptyBatchesThatSaySomething(t *testing.T) {
	a, _ := newTestAgg(Options{QueueSize: 4})
	ctx := context.Background()
	require.True(t, a.Push(ctx, Batch{Source: "s"}))
	require.Empty(t, a.queue)
	require.True(t, a.Push(ctx, Batch{Source: "s", Failed: true}))
	require.True(t, a.Push(ctx, Batch{Source: "s", Complete: true}))
	require.Len(t, a.queue, 2)
}
