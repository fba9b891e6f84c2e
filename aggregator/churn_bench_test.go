package aggregator

import (
	"context"
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

// BenchmarkManySmallChurningSources is trial 14 round 10's F5 in the
// aggregator: 40 sources each scraping 20 series with a new label value at
// every scrape (800 new series a second, each source far under its own
// budget), ten ticks a second and a subscriber reading every delta, for
// 120 simulated seconds from an empty store. It reports the aggregator's
// mean time a simulated second over the first ten seconds and the ten up
// to 60 and to 120 seconds in (a cost that grows with the store's idle
// series grows here), and the delta bytes a second.
func BenchmarkManySmallChurningSources(b *testing.B) {
	for b.Loop() {
		a, c := newTestAgg(Options{})
		sub := a.Subscribe(0)
		ctx, cancel := context.WithCancel(context.Background())
		read := make(chan int)
		go func() {
			n := 0
			for {
				m, err := sub.Next(ctx)
				if err != nil {
					read <- n
					return
				}
				n += len(m.Data)
			}
		}()
		const seconds = 120
		per := make([]time.Duration, 0, seconds)
		for sec := range seconds {
			start := time.Now()
			for src := range 40 {
				bt := Batch{Source: "churn" + strconv.Itoa(src), Complete: true, Interval: time.Second}
				for i := range 20 {
					bt.Samples = append(bt.Samples, Sample{Metric: "churn_metric", TimeMs: c.ms, Value: float64(i),
						Labels: Labels{{"i", strconv.Itoa(i)}, {"round", strconv.Itoa(sec)}}})
				}
				a.ingest(bt)
			}
			tickSecond(a, c)
			per = append(per, time.Since(start))
		}
		cancel()
		sub.Close()
		b.ReportMetric(float64(<-read)/seconds, "delta-B/s")
		mean := func(s []time.Duration) float64 {
			var sum time.Duration
			for _, d := range s {
				sum += d
			}
			return float64(sum.Microseconds()) / 1000 / float64(len(s))
		}
		b.ReportMetric(mean(per[:10]), "ms/s-first-10s")
		b.ReportMetric(mean(per[50:60]), "ms/s-at-60s")
		b.ReportMetric(mean(per[seconds-10:]), "ms/s-at-120s")
	}
}
