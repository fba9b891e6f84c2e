package aggregator

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// budgetOptions are Options whose memory limit leaves room for exactly
// fit series of a source polled every second (one window, a minute of
// history: SeriesMemory's 4,330 bytes each) beside a queue of 1,000
// samples.
func budgetOptions(fit int) Options {
	per, _ := SeriesMemory(1, time.Minute, time.Second)
	budget := float64(fit)*per + per/2 + 1000*QueuedSampleBytes
	return Options{History: time.Minute, Windows: []time.Duration{time.Minute}, QueueSamples: 1000,
		MemoryLimit: int64(budget * GCHeadroom)}
}

// polled is a complete batch of n new series of source, polled every
// interval.
func polled(source string, tms int64, interval time.Duration, known bool, first, n int) Batch {
	b := Batch{Source: source, Complete: true, Interval: interval, Known: known}
	for i := first; i < first+n; i++ {
		b.Samples = append(b.Samples, gauge("m", tms, 1, "i", fmt.Sprint(i)))
	}
	return b
}

// A new series of a source that learns its series is refused once the
// estimate of what the store holds would pass the budget: counted like
// max_series, by reason, named in the source's warning, visible on
// /metrics. Before, only max_series and max_series_per_source bounded it.
func TestMemoryLimitRefusesNewSeries(t *testing.T) {
	srcs := &mutable[[]SourceInfo]{v: []SourceInfo{{Name: "scrape"}}}
	o := budgetOptions(3)
	o.Sources = srcs.get
	a, c := newTestAgg(o)
	a.ingest(polled("scrape", c.ms, time.Second, false, 0, 5))
	require.Len(t, a.st.byKey, 3)
	require.Equal(t, uint64(2), a.stats.refusedMemory.Load())
	require.Zero(t, a.stats.refused.Load())
	per, _ := SeriesMemory(1, time.Minute, time.Second)
	require.InDelta(t, 3*per, a.st.estimatedBytes(), 1e-6)

	a.tick()
	require.Equal(t, "the store refused samples of the last poll: 2 new series past aggregator.memory_limit's estimate (memory_limit)",
		a.Sources()[0].LastWarning)
	want := fmt.Sprintf(`# HELP pulseboard_series_memory_estimate_bytes What the store's series are estimated to take (the per-series estimate aggregator.memory_limit is checked with: 2,000 bytes, 1,700 a window, 10.5 a point of history at the source's interval).
# TYPE pulseboard_series_memory_estimate_bytes gauge
pulseboard_series_memory_estimate_bytes %g
# HELP pulseboard_series_refused_total Samples refused because their new series would pass a limit, by reason: series_limit (max_series or max_series_per_source), memory_limit (the estimate held against aggregator.memory_limit), churn_limit (a new series past its source's aggregator.max_new_series_per_hour or all sources' max_new_series_per_hour_all_sources). At series_limit or memory_limit a source with stale series has them replaced instead (pulseboard_series_replaced_total).
# TYPE pulseboard_series_refused_total counter
pulseboard_series_refused_total{reason="churn_limit"} 0
pulseboard_series_refused_total{reason="memory_limit"} 2
pulseboard_series_refused_total{reason="series_limit"} 0
# HELP pulseboard_source_samples_rejected_total Samples of the source the store refused, by reason: too_old, out_of_order, duplicate, too_far_ahead (as pulseboard_samples_rejected_total), series_limit (a new series over aggregator.max_series or max_series_per_source), memory_limit (a new series past aggregator.memory_limit's estimate), churn_limit (a new series past the source's aggregator.max_new_series_per_hour or all sources' max_new_series_per_hour_all_sources). The latest is also the source's last_warning.
# TYPE pulseboard_source_samples_rejected_total counter
pulseboard_source_samples_rejected_total{reason="memory_limit",source="scrape"} 2
`, 3*per)
	require.NoError(t, testutil.GatherAndCompare(registry(t, a), strings.NewReader(want),
		"pulseboard_series_refused_total", "pulseboard_source_samples_rejected_total", "pulseboard_series_memory_estimate_bytes"))

	// Known series keep taking samples; a removed source gives its room back.
	c.ms += 1000
	a.ingest(polled("scrape", c.ms, time.Second, false, 0, 3))
	require.Equal(t, uint64(2), a.stats.refusedMemory.Load())
	a.st.dropSource("scrape")
	require.Zero(t, a.st.estimatedBytes())
	a.ingest(polled("other", c.ms, time.Second, false, 0, 3))
	require.Len(t, a.st.byKey, 3)
}

// A series is charged the history its source's interval fills, as the
// config's check charges it: a source polled ten times as often fits
// fewer series.
func TestMemoryLimitChargesTheInterval(t *testing.T) {
	a, c := newTestAgg(budgetOptions(20))
	a.ingest(polled("fast", c.ms, 100*time.Millisecond, false, 0, 20))
	fast, _ := SeriesMemory(1, time.Minute, 100*time.Millisecond)
	slow, _ := SeriesMemory(1, time.Minute, time.Second)
	require.Len(t, a.st.byKey, int(20*slow/fast), "%.0f bytes a series at 100ms, %.0f at 1s", fast, slow)
}

// The series of a source known from its config were charged when the
// config was loaded: never refused for memory, and the room the config
// charged them (MemoryReserved) is kept from the others even before they
// arrive.
func TestMemoryLimitKeepsKnownSourcesRoom(t *testing.T) {
	per, _ := SeriesMemory(1, time.Minute, time.Second)
	o := budgetOptions(5)
	o.MemoryReserved = func() float64 { return 2 * per }
	a, c := newTestAgg(o)
	a.ingest(polled("scrape", c.ms, time.Second, false, 0, 5))
	require.Len(t, a.st.bySrc["scrape"], 3, "two series' room is the simulated source's")
	a.ingest(polled("sim", c.ms, time.Second, true, 0, 4))
	require.Len(t, a.st.bySrc["sim"], 4, "never refused for memory, even past what was reserved")
	require.Equal(t, uint64(2), a.stats.refusedMemory.Load())
	// Past its reservation, a known source's hold is what is kept.
	c.ms += 1000
	a.ingest(polled("scrape", c.ms, time.Second, false, 10, 1))
	require.Equal(t, uint64(3), a.stats.refusedMemory.Load())
}

// At the memory budget, as at the count caps, a churning source's new
// series take the place of its stale ones.
func TestMemoryLimitReplacesStaleSeries(t *testing.T) {
	a, c := newTestAgg(budgetOptions(4))
	a.ingest(polled("churn", c.ms, time.Second, false, 0, 2))
	c.ms += 1000
	a.ingest(polled("churn", c.ms, time.Second, false, 2, 2))
	c.ms += 1000
	a.ingest(polled("churn", c.ms, time.Second, false, 4, 2))
	require.Len(t, a.st.byKey, 4)
	require.Equal(t, uint64(2), a.stats.replaced.Load())
	require.Zero(t, a.stats.refusedMemory.Load())
	live, _ := heldIDs(a, "churn")
	require.Equal(t, []string{"4", "5"}, live)
}

// Without a limit nothing is refused for memory, and a batch that gives no
// interval is charged as though its source polled every second.
func TestMemoryLimitOff(t *testing.T) {
	a, c := newTestAgg(Options{})
	a.ingest(polled("s", c.ms, 0, false, 0, 100))
	require.Len(t, a.st.byKey, 100)
	per, _ := SeriesMemory(len(a.opts.Windows), a.opts.History, time.Second)
	require.InDelta(t, 100*per, a.st.estimatedBytes(), 1e-3)
	require.Zero(t, a.st.mem.limit)
}

// A series restored from storage is charged at its source's first batch
// after the restart, as the batch says its source polls: a restart does not
// let a scraping source's series slip past the budget.
func TestMemoryLimitChargesRestoredSeries(t *testing.T) {
	f := newFakeStorage()
	a, c := newTestAgg(Options{Storage: f, History: time.Minute, Windows: []time.Duration{time.Minute}})
	a.ingest(polled("scrape", c.ms, 100*time.Millisecond, false, 0, 3))
	require.NoError(t, a.Flush())

	b, cb := newTestAgg(Options{Storage: f, History: time.Minute, Windows: []time.Duration{time.Minute}})
	cb.ms = c.ms + 1000
	require.NoError(t, b.Restore())
	require.Len(t, b.st.all, 3)
	require.Zero(t, b.st.estimatedBytes(), "its source not heard from yet")
	b.ingest(polled("scrape", cb.ms, 100*time.Millisecond, false, 0, 3))
	require.InDelta(t, a.st.estimatedBytes(), b.st.estimatedBytes(), 1e-6)
	b.ingest(polled("scrape", cb.ms+1000, 100*time.Millisecond, false, 0, 3))
	require.InDelta(t, a.st.estimatedBytes(), b.st.estimatedBytes(), 1e-6, "charged once")
}
