package aggregator

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"
)

// BenchmarkSeriesMemory measures what configs.EstimateMemory charges: the
// heap of 10,000 series of random-walk gauges with full-precision values
// (as a simulated source makes them; the worst case for the history's
// compression), by number of windows and of history points, and the heap
// a queued sample takes. Fit the per-series, per-window and per-point
// figures from the differences between sub-benchmarks:
//
//	go test ./aggregator -run '^$' -bench SeriesMemory -benchtime 1x
func BenchmarkSeriesMemory(b *testing.B) {
	const n = 10_000
	windows := [][]time.Duration{{10 * time.Second}, {10 * time.Second, time.Minute, 5 * time.Minute}}
	for _, ws := range windows {
		for _, points := range []int{10, 300} {
			b.Run(fmt.Sprintf("windows=%d/points=%d", len(ws), points), func(b *testing.B) {
				for b.Loop() {
					grew, _ := heapGrowth(func() *Aggregator {
						return fillNoisy(Options{Windows: ws, History: 5 * time.Minute, MaxSeries: n, MaxSeriesPerSource: n, RetainDeltas: 1}, n, points)
					})
					b.ReportMetric(grew/n, "heap-bytes/series")
				}
			})
		}
	}
	b.Run("queued", func(b *testing.B) {
		for b.Loop() {
			grew, _ := heapGrowth(func() []Batch {
				batches := make([]Batch, 10)
				for i := range batches {
					batches[i] = noisyBatch(n, int64(i))
				}
				return batches
			})
			b.ReportMetric(grew/(10*n), "heap-bytes/sample")
		}
	})
}

// noisyBatch is one poll of a simulated source of n series: its own
// samples slice, labels shared with the source's series as the simulated
// source shares them.
func noisyBatch(n int, ms int64) Batch {
	ss := make([]Sample, n)
	for i := range ss {
		ss[i] = Sample{Metric: "m0", Labels: simLabels[i%len(simLabels)], TimeMs: ms, Value: float64(i)}
	}
	return Batch{Source: "big", Samples: ss, Complete: true}
}

var simLabels = func() []Labels {
	ls := make([]Labels, 10_000)
	for i := range ls {
		ls[i] = Labels{{"instance", strconv.Itoa(i)}}
	}
	return ls
}()

// fillNoisy stores points polls 1 s apart of n random-walk gauges.
func fillNoisy(o Options, n, points int) *Aggregator {
	c := &clock{ms: 1_700_000_000_000}
	o.Now = c.now
	a := New(o)
	rng := rand.New(rand.NewPCG(1, 2))
	values := make([]float64, n)
	for i := range values {
		values[i] = rng.Float64() * 100
	}
	for range points {
		bt := noisyBatch(n, c.ms)
		for i := range bt.Samples {
			values[i] = min(100, max(0, values[i]+rng.NormFloat64()))
			bt.Samples[i].Value = values[i]
		}
		a.ingest(bt)
		c.ms += 1000
		a.tick()
		for a.backlog {
			c.ms += 100
			a.tick()
		}
	}
	return a
}

// BenchmarkStoreMark is what the garbage collector's mark phase costs for
// the store of BenchmarkStoreMemory (10k series, 15 minutes at 1 s): the
// runtime's GC CPU time of one full collection, per series. On a server
// given one core that work runs beside the WebSocket writers, in slices
// of up to tens of milliseconds, so it is what a big store adds to the
// readers' delay; it grows with the pointers a series holds, not its
// bytes (the windows' wedges and the history's buffers hold none).
func BenchmarkStoreMark(b *testing.B) {
	a, _, _ := benchStore(b, Options{RetainDeltas: 1}, 10_000, 900)
	runtime.GC()
	sample := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(sample)
	before := sample[0].Value.Float64()
	n := 0
	for b.Loop() {
		runtime.GC()
		n++
	}
	metrics.Read(sample)
	b.ReportMetric((sample[0].Value.Float64()-before)/float64(n)/10_000*1e9, "gc-cpu-ns/series")
	runtime.KeepAlive(a)
}

// BenchmarkStoreMemoryCountersFromZero is BenchmarkStoreMemory's store
// of counters that start at zero, as the simulated sources' do and any
// exporter's after a restart: 10k series climbing by up to 200 a second,
// after 30 minutes at 1 s (the 15-minute window has slid past the decades
// of the first seconds). The windows' histogram bins are most of what
// such a series held while they only ever grew.
func BenchmarkStoreMemoryCountersFromZero(b *testing.B) {
	const n = 10_000
	for b.Loop() {
		grew, _ := heapGrowth(func() *Aggregator {
			a, c := newTestAgg(Options{RetainDeltas: 1, MaxSeries: n})
			bt := Batch{Source: "counters", Samples: make([]Sample, n)}
			for i := range bt.Samples {
				bt.Samples[i] = Sample{Metric: "work_total", Kind: KindCounter, Labels: Labels{{"i", strconv.Itoa(i)}}}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for range 1800 {
				stepBatches([]Batch{bt}, c.ms, rng)
				a.ingest(bt)
				tickSecond(a, c)
			}
			return a
		})
		b.ReportMetric(grew/n, "heap-bytes/series")
	}
}

// heapGrowth is the live heap build's result adds, in bytes (a collection
// before and after it), and the result, kept alive until measured.
func heapGrowth[T any](build func() T) (float64, T) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return float64(after.HeapAlloc) - float64(before.HeapAlloc), v
}
