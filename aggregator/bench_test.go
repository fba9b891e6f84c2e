package aggregator

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// benchStore makes an aggregator with n series spread over sources of at
// most 10000 series, with host-like labels, and fills fill seconds of
// history at 1 s. It returns the batches (one per source) for reuse.
func benchStore(b *testing.B, o Options, n, fill int) (*Aggregator, *clock, []Batch) {
	b.Helper()
	o.MaxSeries = max(n, 1)
	a, c := newTestAgg(o)
	var batches []Batch
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i += 10000 {
		src := "source" + strconv.Itoa(i/10000)
		var ss []Sample
		for j := i; j < min(n, i+10000); j++ {
			ss = append(ss, Sample{
				Metric: "metric_" + strconv.Itoa(j%50),
				Labels: Labels{{"cpu", strconv.Itoa(j / 50 % 64)}, {"host", "host-" + strconv.Itoa(j/3200)}, {"mode", "user"}},
				Kind:   Kind(j % 2),
				// Counters have counted for a while; gauges hover around 50.
				Value: float64(50 + (j%2)*(1e6+j*1000)),
			})
		}
		batches = append(batches, Batch{Source: src, Samples: ss})
	}
	for range fill {
		stepBatches(batches, c.ms, rng)
		for _, bt := range batches {
			a.ingest(bt)
		}
		// A second of Serve's ticks, a broadcast interval apart, in which
		// the pacer's backlog drains (pace.go); the next poll comes a
		// second after this one, as a source on a fixed phase sends it.
		// (Polls stamped with the ticks' clock, a second plus 100 ms a
		// tick of backlog apart, made the history's times irregular:
		// 1,686 bytes a series of history in BenchmarkStoreMemory where
		// regular ones take 1,372.)
		tickSecond(a, c)
	}
	for a.backlog {
		c.ms += 100
		a.tick()
	}
	return a, c, batches
}

// tickSecond runs a second of Serve's ticks, a broadcast interval (100 ms)
// apart, on c's clock.
func tickSecond(a *Aggregator, c *clock) {
	for range 10 {
		c.ms += 100
		a.tick()
	}
}

// stepBatches sets every sample's time and moves its value a little: a
// rounded random walk for gauges, a steady climb for counters.
func stepBatches(batches []Batch, ms int64, rng *rand.Rand) {
	for _, bt := range batches {
		for i := range bt.Samples {
			s := &bt.Samples[i]
			s.TimeMs = ms
			if s.Kind == KindCounter {
				s.Value += float64(rng.IntN(200))
			} else {
				s.Value = math.Round((s.Value+rng.NormFloat64())*100) / 100
			}
		}
	}
}

// BenchmarkIngest measures the store's ingest path: one op is one batch of
// 10000 samples (one per series, 1 s apart) stored and taken by the
// windows, with a publish every tenth of a second as Serve would do. Run
// with -cpu 1.
func BenchmarkIngest(b *testing.B) {
	a, c, batches := benchStore(b, Options{}, 10000, ingestFill)
	rng := rand.New(rand.NewPCG(3, 4))
	samples := 0
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		c.ms += 1000
		stepBatches(batches, c.ms, rng)
		t := startCPU()
		b.StartTimer()
		a.ingest(batches[0])
		a.st.settle(c.ms, len(a.st.dirty)) // the windows take the samples as they are published
		b.StopTimer()
		cpu += processCPU() - t.start
		samples += len(batches[0].Samples)
		a.st.collect(&delta{}, len(a.st.dirty)) // what a tick would publish
		b.StartTimer()
	}
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(samples)/cpu.Seconds(), "samples/cpu-s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkIngestViaQueue pushes batches of 1000 samples through Push, the
// queue and a running Serve (broadcast ticks included).
func BenchmarkIngestViaQueue(b *testing.B) {
	a, _, batches := benchStore(b, Options{QueueSize: 16}, 10000, 1)
	a.opts.Now = time.Now
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Serve(ctx) }()
	rng := rand.New(rand.NewPCG(3, 4))
	src := batches[0].Samples
	samples := 0
	round := 0
	cpu := startCPU()
	for b.Loop() {
		if round%10 == 0 { // every series has had a sample: the next round
			b.StopTimer()
			stepBatches(batches, time.Now().UnixMilli(), rng)
			b.StartTimer()
		}
		part := src[round%10*1000 : round%10*1000+1000]
		cp := make([]Sample, len(part)) // the sink owns what it is given
		copy(cp, part)
		for !a.Push(ctx, Batch{Source: batches[0].Source, Samples: cp}) {
		}
		samples += len(cp)
		round++
	}
	cancel()
	<-done
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(samples)/cpu.report(b).Seconds(), "samples/cpu-s")
	b.ReportMetric(0, "ns/op")
}

func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		a, _, _ := benchStore(b, Options{}, n, 60)
		for _, points := range []bool{false, true} {
			b.Run(fmt.Sprintf("series=%d/points=%v", n, points), func(b *testing.B) {
				var size int
				cpu := startCPU()
				for b.Loop() {
					size = len(a.SnapshotJSON(points))
				}
				cpu.report(b)
				b.SetBytes(int64(size))
				b.ReportMetric(float64(size), "bytes/snapshot")
			})
		}
	}
}

// BenchmarkDelta: 100k series sampled every second, so each 100 ms tick
// publishes a delta with a point and windows for a tenth of them, and the
// tick that crosses a second also sweeps the windows and so carries the
// windows of all of them. One op is one tick: sweep (every tenth),
// collect, encode, publish to a subscriber. Run it a multiple of 10 times:
// the figures are averages over whole seconds.
func BenchmarkDelta(b *testing.B) {
	const n = 100_000
	a, c, batches := benchStore(b, Options{}, n, 60)
	s := a.Subscribe(a.Seq())
	defer s.Close()
	rng := rand.New(rand.NewPCG(5, 6))
	// Tenths of the series: one slice of each source batch per tick.
	var parts [10][]Batch
	for _, bt := range batches {
		step := (len(bt.Samples) + 9) / 10
		for k := range 10 {
			lo, hi := min(k*step, len(bt.Samples)), min((k+1)*step, len(bt.Samples))
			parts[k] = append(parts[k], Batch{Source: bt.Source, Samples: bt.Samples[lo:hi]})
		}
	}
	tickNo := 0
	var size, maxSize int
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		k := tickNo % 10
		if k == 0 {
			stepBatches(batches, c.ms, rng)
		}
		for _, bt := range parts[k] {
			for i := range bt.Samples {
				bt.Samples[i].TimeMs = c.ms
			}
			a.ingest(bt)
		}
		c.ms += 100
		t := startCPU()
		b.StartTimer()
		a.tick()
		b.StopTimer()
		cpu += processCPU() - t.start
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 0)
			m, err := s.Next(ctx)
			cancel()
			if err != nil {
				break
			}
			size += len(m.Data)
			maxSize = max(maxSize, len(m.Data))
		}
		tickNo++
		b.StartTimer()
	}
	b.ReportMetric(float64(size)/float64(b.N), "bytes/delta")
	b.ReportMetric(float64(maxSize), "max-bytes/delta")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkMetrics gathers the store's Prometheus view and encodes it as
// text, as /metrics does: 100k series with their last values (window
// statistics are off above 1000 series by default), and smaller stores
// with window statistics on.
func BenchmarkMetrics(b *testing.B) {
	for _, tc := range []struct {
		n       int
		windows bool
	}{{100_000, false}, {1000, true}, {10_000, true}} {
		b.Run(fmt.Sprintf("series=%d/windows=%v", tc.n, tc.windows), func(b *testing.B) {
			limit := -1
			if tc.windows {
				limit = tc.n
			}
			a, _, _ := benchStore(b, Options{WindowMetricsMaxSeries: limit}, tc.n, 5)
			reg := prometheus.NewRegistry()
			reg.MustRegister(a.Collector())
			var buf bytes.Buffer
			cpu := startCPU()
			for b.Loop() {
				buf.Reset()
				mfs, err := reg.Gather()
				if err != nil {
					b.Fatal(err)
				}
				enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
				for _, mf := range mfs {
					if err := enc.Encode(mf); err != nil {
						b.Fatal(err)
					}
				}
			}
			cpu.report(b)
			b.ReportMetric(float64(buf.Len()), "bytes/scrape")
		})
	}
}

// BenchmarkStoreMemory reports the heap a series costs in all (history,
// windows, identity, indexes) after 15 minutes at 1 s, for 10k series.
func BenchmarkStoreMemory(b *testing.B) {
	for b.Loop() {
		grew, a := heapGrowth(func() *Aggregator {
			a, _, _ := benchStore(b, Options{RetainDeltas: 1}, 10_000, 900) // the input batches are garbage now
			return a
		})
		b.ReportMetric(grew/10_000, "heap-bytes/series")
		b.ReportMetric(float64(a.st.historyBytes())/10_000, "history-bytes/series")
	}
}

// BenchmarkMetricsDirect is /metrics as the dashboard serves it: the
// registry (pulseboard's own metrics) gathered and encoded, then the
// store's families written directly (AppendStoreMetrics).
func BenchmarkMetricsDirect(b *testing.B) {
	for _, tc := range []struct {
		n       int
		windows bool
	}{{100_000, false}, {1000, true}, {10_000, true}, {10_000, false}} {
		b.Run(fmt.Sprintf("series=%d/windows=%v", tc.n, tc.windows), func(b *testing.B) {
			limit := -1
			if tc.windows {
				limit = tc.n
			}
			a, _, _ := benchStore(b, Options{WindowMetricsMaxSeries: limit}, tc.n, 5)
			reg := prometheus.NewRegistry()
			reg.MustRegister(a.Collector())
			a.ExposeStoreDirectly()
			var buf bytes.Buffer
			var body []byte
			cpu := startCPU()
			for b.Loop() {
				buf.Reset()
				mfs, err := reg.Gather()
				if err != nil {
					b.Fatal(err)
				}
				for _, mf := range mfs {
					if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
						b.Fatal(err)
					}
				}
				body = a.AppendStoreMetrics(append(body[:0], buf.Bytes()...), nil)
			}
			cpu.report(b)
			b.ReportMetric(float64(len(body)), "bytes/scrape")
		})
	}
}

// ingestFill is the rounds (seconds) of samples the ingest benchmarks feed
// before timing: fifteen minutes, so that every window is full and each
// sample taken is also one leaving the 1m, 5m and 15m windows, read back
// from history, as in a program that has run a while. With a minute of
// fill only, the benchmarks timed windows that grow and never shed, and
// said four times what the running binary does.
const ingestFill = 900
