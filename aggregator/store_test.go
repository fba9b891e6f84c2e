package aggregator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clock is an injected clock for tests that drive the aggregator by hand.
type clock struct{ ms int64 }

func (c *clock) now() time.Time { return time.UnixMilli(c.ms) }

func newTestAgg(o Options) (*Aggregator, *clock) {
	c := &clock{ms: 1_700_000_000_000}
	o.Now = c.now
	return New(o), c
}

func batch(source string, ss ...Sample) Batch { return Batch{Source: source, Samples: ss} }

// rejected returns the store's reject counters by reason name.
func rejected(a *Aggregator) map[string]uint64 {
	m := map[string]uint64{}
	for r := range a.stats.rejected {
		if n := a.stats.rejected[r].Load(); n > 0 {
			m[rejectReasonNames[r]] = n
		}
	}
	return m
}

func TestTooFarAheadRejected(t *testing.T) {
	a, c := newTestAgg(Options{})
	// Stamped further ahead than the history: a broken clock.
	a.ingest(batch("s", gauge("m", c.ms+a.opts.History.Milliseconds()+1, 1), gauge("m", c.ms+60_000, 2)))
	require.Equal(t, map[string]uint64{"too_far_ahead": 1}, rejected(a))
	require.Equal(t, uint64(1), a.stats.ingested.Load(), "a minute ahead is skew, and kept")
}

func TestOutOfOrderAndDuplicatesRejected(t *testing.T) {
	a, c := newTestAgg(Options{})
	a.ingest(batch("s", gauge("m", c.ms, 1), gauge("m", c.ms-1, 2), gauge("m", c.ms, 3), gauge("m", c.ms, 1)))
	require.Equal(t, map[string]uint64{"out_of_order": 1, "duplicate": 1}, rejected(a),
		"the same time again is one sample: counted only when its value differs")
	var got []point
	a.st.all[0].hist.each(10, func(p point) { got = append(got, p) })
	require.Equal(t, []point{{c.ms, 1}}, got)
}

func TestSeriesCaps(t *testing.T) {
	a, c := newTestAgg(Options{MaxSeries: 3, MaxSeriesPerSource: 2})
	a.ingest(batch("a", gauge("m1", c.ms, 1), gauge("m2", c.ms, 1), gauge("m3", c.ms, 1)))
	require.Len(t, a.st.byKey, 2, "per-source cap")
	require.Equal(t, uint64(1), a.stats.refused.Load())
	a.ingest(batch("b", gauge("m1", c.ms, 1), gauge("m2", c.ms, 1)))
	require.Len(t, a.st.byKey, 3, "overall cap")
	require.Equal(t, uint64(2), a.stats.refused.Load())
	// Known series still take samples at the cap.
	a.ingest(batch("a", gauge("m1", c.ms+1, 2)))
	require.Equal(t, uint64(2), a.stats.refused.Load())
	require.Equal(t, uint64(4), a.stats.ingested.Load())
}

func TestEvictionAnnouncedAsRemoved(t *testing.T) {
	a, c := newTestAgg(Options{History: time.Minute, Windows: []time.Duration{time.Minute}, MailboxSize: 64})
	sub := a.Subscribe(0)
	defer sub.Close()
	_, err := sub.Next(t.Context()) // the empty snapshot
	require.NoError(t, err)

	a.ingest(batch("s", gauge("old", c.ms, 1), gauge("new", c.ms, 1)))
	a.tick()
	f := decodeDelta(t, next(t, sub).Data)
	require.Len(t, f.Added, 2)
	var oldID string
	for _, s := range f.Added {
		if s.Metric == "old" {
			oldID = s.ID
		}
	}
	for range 61 {
		c.ms += 1000
		a.ingest(batch("s", gauge("new", c.ms, 1)))
		a.tick()
	}
	var removed []string
	for {
		f := decodeDelta(t, next(t, sub).Data)
		if removed = f.Removed; len(removed) > 0 {
			break
		}
	}
	require.Equal(t, []string{oldID}, removed)
	require.Equal(t, uint64(1), a.stats.evicted.Load())
	_, ok := a.SeriesJSON(oldID)
	require.False(t, ok)
	require.Len(t, a.st.byKey, 1)
	require.Len(t, a.st.bySrc["s"], 1)
}

func TestEvictedBeforeAnnouncedIsNeverSent(t *testing.T) {
	a, c := newTestAgg(Options{History: time.Minute, Windows: []time.Duration{time.Minute}})
	a.ingest(batch("s", gauge("m", c.ms, 1)))
	c.ms += 2 * 60_000
	a.tick() // evicts it within the same tick it would have been announced
	require.Equal(t, uint64(0), a.Seq(), "nothing to publish")
	require.Empty(t, a.st.byKey)
}

func TestHashCollisionKeepsBothSeries(t *testing.T) {
	a, c := newTestAgg(Options{})
	smp := gauge("m", c.ms, 1, "k", "v")
	h := identityHash("s", smp.Metric, smp.Labels)
	// A different identity that happens to hash the same.
	impostor := &series{key: h, id: formatID(h), hash: h, source: "other", metric: "x"}
	a.st.byHash[h] = impostor
	a.st.byKey[h] = impostor

	a.ingest(batch("s", smp))
	s := a.st.lookup("s", &smp)
	require.NotNil(t, s)
	require.NotSame(t, impostor, s)
	require.Equal(t, h+1, s.key, "the collision takes the next id")
	require.Same(t, impostor, s.collision)

	// Evicting the first of the chain keeps the second reachable.
	a.st.evict(s)
	require.Same(t, impostor, a.st.byHash[h])
	require.Nil(t, a.st.lookup("s", &smp))
}

func TestIdentityHashSeparatesFields(t *testing.T) {
	require.NotEqual(t, identityHash("ab", "c", nil), identityHash("a", "bc", nil))
	require.NotEqual(t,
		identityHash("s", "m", Labels{{"a", "bc"}}),
		identityHash("s", "m", Labels{{"ab", "c"}}))
	k, ok := parseID(formatID(0xdeadbeef))
	require.True(t, ok)
	require.Equal(t, uint64(0xdeadbeef), k)
	_, ok = parseID("xyz")
	require.False(t, ok)
	_, ok = parseID("zzzzzzzzzzzzzzzz")
	require.False(t, ok)
	for _, bad := range []string{"00000000DEADBEEF", "00000000deadbeeF"} {
		_, ok = parseID(bad)
		require.False(t, ok, "%q: ids are 16 lowercase hex digits", bad)
	}
}

func TestIngestDoesNotAllocatePerSample(t *testing.T) {
	a, c := newTestAgg(Options{})
	ss := make([]Sample, 100)
	for i := range ss {
		ss[i] = gauge("m", c.ms, float64(i), "i", string(rune('a'+i%26)), "j", string(rune('a'+i/26)))
	}
	a.ingest(batch("s", ss...))
	a.tick()
	allocs := testing.AllocsPerRun(50, func() {
		c.ms += 1000
		for i := range ss {
			ss[i].TimeMs = c.ms
		}
		a.st.ingest(batch("s", ss...), c.ms)
		a.st.settle(c.ms, len(a.st.dirty))
		for _, s := range a.st.all { // as publishing does
			s.pending = s.pending[:0]
		}
	})
	// Chunk buffers grow now and then; a per-sample allocation would show
	// as >= 100.
	require.Less(t, allocs, 15.0)
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{Windows: []time.Duration{5 * time.Minute, time.Minute, time.Minute, -1}, History: time.Minute}.withDefaults()
	require.Equal(t, []time.Duration{time.Minute, 5 * time.Minute}, o.Windows)
	require.Equal(t, 5*time.Minute, o.History, "history covers the longest window")
	d := Options{}.withDefaults()
	require.Equal(t, DefaultWindows(), d.Windows)
	require.Equal(t, DefaultHistory, d.History)
	require.Equal(t, DefaultQueueSize, d.QueueSize)
	a := New(Options{})
	require.Equal(t, DefaultWindows(), a.Windows())
	require.Equal(t, []string{"1m", "5m", "15m"}, a.WindowNames())
	require.Equal(t, DefaultHistory, a.History())

	// A span that is not a whole number of milliseconds a slice is rounded
	// up inside, and keeps its configured name outside.
	a = New(Options{Windows: []time.Duration{100 * time.Second, 7 * time.Second, 7001 * time.Millisecond}})
	require.Equal(t, []time.Duration{7020 * time.Millisecond, 100020 * time.Millisecond}, a.Windows())
	require.Equal(t, []string{"7s", "1m40s"}, a.WindowNames(), "7.001s rounds to the same window as 7s: the first name stays")
}

// TestSweepLeavesBusySeries: the sweep expires the windows of idle series
// only; a series with a sample in the last two sweep periods moves its
// windows with its samples, so its statistics may lag that long.
func TestSweepLeavesBusySeries(t *testing.T) {
	a, c := newTestAgg(Options{Windows: []time.Duration{time.Minute}})
	t0 := c.ms - c.ms%60_000
	c.ms = t0
	a.ingest(batch("s", gauge("busy", t0, 1), gauge("idle", t0, 1)))
	c.ms = t0 + 59_500
	a.ingest(batch("s", gauge("busy", c.ms, 2)))
	a.tick()
	var busy, idle *series
	for _, s := range a.st.all {
		if s.metric == "busy" {
			busy = s
		} else {
			idle = s
		}
	}
	sub := a.Subscribe(a.Seq())
	defer sub.Close()
	c.ms = t0 + 61_000 // the t0 samples have left the window
	a.tick()
	require.Equal(t, 0, idle.wins[0].stats().Count, "idle: swept")
	f := decodeDelta(t, next(t, sub).Data)
	require.Contains(t, f.Windows, idle.id, "idle: its emptied windows were published")
	require.NotContains(t, f.Windows, busy.id)
	require.Equal(t, 2, busy.wins[0].stats().Count, "busy: not swept, lags until its next sample")
	c.ms = t0 + 62_000 // busy has been quiet for two sweep periods
	a.tick()
	require.Equal(t, 1, busy.wins[0].stats().Count)
}

// TestBatchOrderFollowsTheSource: the series at a sample's position is a
// guess checked against the sample's identity, whatever the source does
// to its order, and the guesses never keep a forgotten series alive.
func TestBatchOrderFollowsTheSource(t *testing.T) {
	a, c := newTestAgg(Options{History: time.Minute})
	lastOf := func(metric string) float64 {
		for _, s := range a.st.all {
			if s.metric == metric {
				return s.last.v
			}
		}
		t.Fatalf("no series %s", metric)
		return 0
	}
	a.ingest(batch("s", gauge("a", c.ms, 1), gauge("b", c.ms, 2), gauge("c", c.ms, 3)))
	c.ms += 1000
	a.ingest(batch("s", gauge("c", c.ms, 30), gauge("a", c.ms, 10), gauge("b", c.ms, 20)))
	require.Equal(t, []float64{10, 20, 30}, []float64{lastOf("a"), lastOf("b"), lastOf("c")}, "reordered")
	c.ms += 1000
	a.ingest(batch("s", gauge("a", c.ms, 100), gauge("x", c.ms, 5)))
	require.Equal(t, []float64{100, 5, 20}, []float64{lastOf("a"), lastOf("x"), lastOf("b")}, "shorter, and a new series")
	require.Len(t, a.st.batchOrder["s"], 2, "positions past the batch are let go")
	c.ms += 1000
	a.ingest(batch("s", gauge("a", c.ms, 1000), gauge("a", c.ms+1, 1001), gauge("b", c.ms, 21)))
	require.Equal(t, 1001.0, lastOf("a"), "one series at two positions")
	require.Len(t, a.st.all, 4)

	// A series forgotten and made again: the guess is not taken.
	a.st.dropSource("s")
	require.NotContains(t, a.st.batchOrder, "s", "a dropped source keeps no guesses")
	c.ms += 1000
	a.ingest(batch("s", gauge("a", c.ms, 7)))
	require.Len(t, a.st.all, 1)
	require.Equal(t, 7.0, lastOf("a"))
	require.False(t, a.st.all[0].evicted)

	// A source whose every series was evicted keeps no guesses either.
	a.ingest(batch("t", gauge("m", c.ms, 1)))
	c.ms += a.opts.History.Milliseconds() + 1 // the history may be longer than asked: as long as the longest window
	a.st.sweep(c.ms, 0, 0, nil)
	require.Empty(t, a.st.bySrc["t"], "evicted")
	require.NotContains(t, a.st.batchOrder, "t")
}
