package aggregator

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// BenchmarkCreateAtCap is the cost of one new series of a source at
// max_series_per_source (and max_series) whose n series are all stale:
// it takes the place of the longest-stale one (replaced, announced
// removed), then goes stale itself so that the order never runs dry. The
// time per series stays the same whatever n: the stale order gives the
// series to replace and every index drops it in O(1), with no scan.
func BenchmarkCreateAtCap(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("stale=%d", n), func(b *testing.B) {
			a, c := newTestAgg(Options{MaxSeries: n, MaxSeriesPerSource: n,
				History: time.Minute, Windows: []time.Duration{time.Minute}, SubBuckets: 6})
			fill := Batch{Source: "s", Complete: true, Samples: make([]Sample, n)}
			for i := range fill.Samples {
				fill.Samples[i] = gauge("old", c.ms, 1, "i", strconv.Itoa(i))
			}
			a.st.ingest(fill, c.ms)
			a.st.ingest(Batch{Source: "s", Failed: true}, c.ms)
			one := Batch{Source: "s", Samples: make([]Sample, 1)}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				one.Samples[0] = gauge("new", c.ms, 1, "i", strconv.Itoa(i))
				a.st.ingest(one, c.ms)
				a.st.markStale(a.st.all[len(a.st.all)-1], c.ms)
				if i%4096 == 4095 { // what the next delta would take
					a.st.added, a.st.removed, a.st.dirty = a.st.added[:0], a.st.removed[:0], a.st.dirty[:0]
				}
			}
			b.StopTimer()
			if got := a.stats.replaced.Load(); got != uint64(b.N) {
				b.Fatalf("%d replaced of %d", got, b.N)
			}
		})
	}
}
