package alerting

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// servedAggregator is an aggregator served until stop (or the
// benchmark's end); ctx is its serving context, for pushes.
func servedAggregator(b *testing.B) (agg *aggregator.Aggregator, ctx context.Context, stop func()) {
	b.Helper()
	agg = aggregator.New(aggregator.Options{QueueSize: 4096, BroadcastInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = agg.Serve(ctx)
	}()
	stop = func() { cancel(); <-done }
	b.Cleanup(stop)
	return agg, ctx, stop
}

// benchStore fills an aggregator with 100 metrics × 1,000 series (100
// sources of 1,000; labels instance and shard, 10 shards), several samples
// each so that every window statistic is defined.
func benchStore(b *testing.B) *aggregator.Aggregator {
	b.Helper()
	agg, ctx, stop := servedAggregator(b)
	now := time.Now().UnixMilli()
	for round := range 3 {
		for src := range 100 {
			samples := make([]aggregator.Sample, 0, 1000)
			for m := range 10 {
				for i := range 100 {
					samples = append(samples, aggregator.Sample{
						Metric: "metric_" + strconv.Itoa(src/10*10+m),
						Labels: aggregator.Labels{{Name: "instance", Value: strconv.Itoa(src*100 + i)}, {Name: "shard", Value: strconv.Itoa(i % 10)}},
						TimeMs: now - int64(3-round)*1000, Value: float64(i + round),
					})
				}
			}
			for !agg.Push(ctx, aggregator.Batch{Source: "src" + strconv.Itoa(src), Samples: samples}) {
			}
		}
	}
	// Wait until the store holds every series with its windows filled.
	all := &aggregator.Selection{}
	deadline := time.Now().Add(time.Minute)
	for {
		n := 0
		agg.Select(all, 0, func(v aggregator.SeriesView) {
			if c, _ := v.Stat(aggregator.StatCount); c == 3 {
				n++
			}
		})
		if n == 100_000 {
			// Stop serving: what is measured is the evaluation's own cost,
			// not its waits for the store's lock while ingest holds it.
			stop()
			return agg
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d series filled after a minute", n)
		}
		runtime.Gosched()
	}
}

// cpuTime is the process' user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEvaluate1000Rules100kSeries: one evaluation round of 1,000
// threshold rules over a store of 100k series, with a mix of statistics,
// none firing (the common case). perRule is how many series each rule
// selects: 100 (each series watched by one rule) or 1,000 (ten rules on
// every series). The store is not served meanwhile, so the figure is
// the evaluation's CPU, not its waits for the lock. The "%core@1s" metric is the share of one core that
// evaluating every second costs.
func BenchmarkEvaluate1000Rules100kSeries(b *testing.B) {
	agg := benchStore(b)
	stats := []string{"mean", "max", "last", "p99", "rate"}
	for _, perRule := range []int{100, 1000} {
		b.Run(fmt.Sprintf("series_per_rule=%d", perRule), func(b *testing.B) {
			rules := make([]configs.AlertRule, 1000)
			for i := range rules {
				sel := &configs.AlertSelect{Metric: "metric_" + strconv.Itoa(i%100)}
				if perRule == 100 {
					sel.Labels = map[string]string{"shard": strconv.Itoa(i / 100)}
				} else {
					sel.Match = []string{`instance!~"x.*"`}
				}
				rules[i] = configs.AlertRule{
					Name: "rule" + strconv.Itoa(i), Select: sel, Stat: stats[i%len(stats)],
					Window: configs.Duration(time.Minute), Warning: f(1e9), For: configs.Duration(time.Minute),
				}
			}
			ev := New(Options{Store: agg, Budget: time.Hour}) // every rule, every round
			if err := ev.Apply(rules); err != nil {
				b.Fatal(err)
			}
			ev.Evaluate() // the selections find their series once
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			b.ResetTimer()
			for b.Loop() {
				ev.Evaluate()
			}
			// CPU time, not wall time: on a shared machine the round may
			// wait for a core.
			perRound := float64((cpuTime(b) - cpu0).Nanoseconds()) / float64(b.N)
			b.ReportMetric(perRound, "cpu-ns/round")
			b.ReportMetric(perRound/1e9*100, "%core@1s")
		})
	}
}
