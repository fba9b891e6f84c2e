package aggregator

import (
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// liveHeap collects and returns the bytes the heap still holds.
func liveHeap() int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// A source a reload removes leaves nothing behind: what its series held
// is collectable when Dropped is told (the program then gives it back to
// the system): not its points in the deltas kept for resuming, not its
// series in the scrape's cache, not the room the store's indexes and the
// scrape's lists grew to.
//
// Not parallel: it measures the process' heap.
func TestRemovedSourceLeavesNothingBehind(t *testing.T) {
	const big = 5000
	srcs := []SourceInfo{{Name: "base"}}
	var atDrop int64
	a, c := newTestAgg(Options{
		Sources: func() []SourceInfo { return srcs },
		Dropped: func(int) { atDrop = liveHeap() },
	})
	bigLabels := make([]string, big)
	for i := range bigLabels {
		bigLabels[i] = strconv.Itoa(i)
	}
	round := func(withBig bool) {
		base := make([]Sample, 50)
		for i := range base {
			base[i] = gauge("s", c.ms, float64(i), "i", bigLabels[i])
		}
		a.ingest(batch("base", base...))
		if withBig {
			ss := make([]Sample, big)
			for i := range ss {
				ss[i] = gauge("m", c.ms, float64(i%7), "i", bigLabels[i])
			}
			a.ingest(batch("big", ss...))
		}
		c.ms += 100
		a.tick()
	}
	scrape := func() { a.AppendStoreMetrics(nil, nil) }
	for range 50 {
		round(false)
	}
	scrape()
	baseline := liveHeap()

	srcs = []SourceInfo{{Name: "base"}, {Name: "big"}}
	a.SourcesChanged()
	for range 100 {
		round(true)
	}
	scrape()
	withBig := liveHeap()
	require.Greater(t, withBig-baseline, int64(big*1000), "the big source's series take room")

	srcs = []SourceInfo{{Name: "base"}}
	a.SourcesChanged()
	round(false)
	require.Equal(t, 50, len(a.st.byKey))
	require.NotZero(t, atDrop, "Dropped was told")
	const slack = 1 << 20
	require.Less(t, atDrop-baseline, int64(slack), "nothing of the removed source is live when Dropped is told")
	scrape()
	require.Less(t, liveHeap()-baseline, int64(slack), "nor after the next scrape")
	t.Logf("live heap: %d B before, %d B with %d more series, %d B when Dropped is told", baseline, withBig, big, atDrop)
}

// The deltas kept for resuming are let go when a reload drops a source:
// a resume from before the drop gets a snapshot (without the source); one
// from the delta just before it still gets that delta, which says what
// was removed.
func TestResumeAcrossARemovedSourceGetsSnapshot(t *testing.T) {
	srcs := []SourceInfo{{Name: "kept"}, {Name: "removed"}}
	a, c := newTestAgg(Options{Sources: func() []SourceInfo { return srcs }})
	for range 5 {
		c.ms += 100
		a.ingest(batch("kept", gauge("k", c.ms, 1)))
		a.ingest(batch("removed", gauge("r", c.ms, 2)))
		a.tick()
	}
	srcs = srcs[:1]
	a.SourcesChanged()
	a.tick()
	seq := a.Seq()
	require.Len(t, a.broker.recent, 1, "only the delta that removed it")

	s := a.Subscribe(seq - 1)
	ms := drain(t, s)
	s.Close()
	require.Len(t, ms, 1)
	d := decodeDelta(t, ms[0].Data)
	require.Equal(t, []string{"removed"}, d.SourcesRemoved)
	require.Len(t, d.Removed, 1)

	s = a.Subscribe(seq - 3)
	ms = drain(t, s)
	s.Close()
	require.Len(t, ms, 1)
	require.Equal(t, "snapshot", ms[0].Type)
	f := decodeSnapshot(t, ms[0].Data)
	require.Len(t, f.Series, 1)
	require.Equal(t, "kept", f.Series[0].Source)
}

// A scrape that runs as a source is dropped keeps the scrape's cache
// (forgetDropped must not wait for it under the store's lock); the scrape
// drops the series itself, and the lists built over the cache shrink.
func TestScrapeRunningAtTheDropForgetsAfterwards(t *testing.T) {
	srcs := []SourceInfo{{Name: "kept"}, {Name: "removed"}}
	a, c := newTestAgg(Options{Sources: func() []SourceInfo { return srcs }})
	many := make([]Sample, 2*shrinkFloor)
	for i := range many {
		many[i] = gauge("r", c.ms, 1, "i", strconv.Itoa(i))
	}
	a.ingest(batch("kept", gauge("k", c.ms, 1)))
	a.ingest(batch("removed", many...))
	a.tick()
	a.AppendStoreMetrics(nil, nil)
	pc := a.Collector().(*promCollector)
	require.Len(t, pc.series, len(many)+1)

	pc.mu.Lock() // a scrape runs
	srcs = srcs[:1]
	a.SourcesChanged()
	a.tick()
	require.Len(t, pc.series, len(many)+1, "left to the scrape")
	pc.mu.Unlock()

	out := string(a.AppendStoreMetrics(nil, nil))
	require.NotContains(t, out, `source="removed"`)
	require.Len(t, pc.series, 1)
	require.Less(t, cap(pc.order), shrinkFloor, "the order let its room go")
	require.Less(t, cap(pc.cut), shrinkFloor)
}

// The store's indexes are rebuilt when evictions, not only a reload,
// bring the store down to a quarter of its peak.
func TestEvictionsCompactTheStore(t *testing.T) {
	a, c := newTestAgg(Options{})
	many := make([]Sample, 2*shrinkFloor)
	for i := range many {
		many[i] = gauge("r", c.ms, 1, "i", strconv.Itoa(i))
	}
	a.ingest(batch("old", many...))
	c.ms += a.opts.History.Milliseconds() / 2
	a.ingest(batch("new", gauge("k", c.ms, 1)))
	a.tick()
	require.Equal(t, len(many)+1, a.st.peak)
	c.ms += a.opts.History.Milliseconds()/2 + 1000
	a.tick() // sweeps: the old source's series are evicted
	require.Equal(t, 1, len(a.st.byKey))
	require.Equal(t, 1, a.st.peak, "rebuilt")
	require.Less(t, cap(a.st.all), shrinkFloor)
}

// An alert rule's selection that matched a removed source's series gives
// their room back with them.
func TestSelectionShrinksWithItsSeries(t *testing.T) {
	srcs := []SourceInfo{{Name: "kept"}, {Name: "removed"}}
	a, c := newTestAgg(Options{Sources: func() []SourceInfo { return srcs }})
	many := make([]Sample, 2*shrinkFloor)
	for i := range many {
		many[i] = gauge("m", c.ms, 1, "i", strconv.Itoa(i))
	}
	a.ingest(batch("kept", gauge("m", c.ms, 1)))
	a.ingest(batch("removed", many...))
	a.tick()
	sel := &Selection{Metric: "m", Match: func(string, string, Labels) bool { return true }}
	n := 0
	a.Select(sel, 0, func(SeriesView) { n++ })
	require.Equal(t, len(many)+1, n)

	srcs = srcs[:1]
	a.SourcesChanged()
	a.tick()
	n = 0
	a.Select(sel, 0, func(SeriesView) { n++ })
	require.Equal(t, 1, n)
	require.Less(t, cap(sel.list), shrinkFloor)
}
