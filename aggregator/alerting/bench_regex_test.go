package alerting

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// regexStore is an aggregator of one source "big" of 10,000 series (metric
// m, label instance "0" … "9999"), not served once filled.
func regexStore(b *testing.B) *aggregator.Aggregator {
	b.Helper()
	agg, ctx, stop := servedAggregator(b)
	samples := make([]aggregator.Sample, 10_000)
	for i := range samples {
		samples[i] = aggregator.Sample{Metric: "m", Labels: aggregator.Labels{{Name: "instance", Value: strconv.Itoa(i)}},
			TimeMs: time.Now().UnixMilli(), Value: 1}
	}
	for !agg.Push(ctx, aggregator.Batch{Source: "big", Samples: samples}) {
	}
	all := &aggregator.Selection{}
	for deadline := time.Now().Add(time.Minute); ; runtime.Gosched() {
		n := 0
		agg.Select(all, 0, func(aggregator.SeriesView) { n++ })
		if n == 10_000 {
			stop()
			return agg
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d series after a minute", n)
		}
	}
}

// BenchmarkFirstEvaluation1000RegexRules: the first evaluation of 1,000
// threshold rules, each selecting with its own regular expression
// (`instance=~"<i>.*"`) over a source of 10,000 series, the file of
// issue 14's trial: every rule lists its series for the first time, as
// after a start or a reload. The budget is lifted so that one round
// evaluates every rule.
func BenchmarkFirstEvaluation1000RegexRules(b *testing.B) {
	agg := regexStore(b)
	rules := make([]configs.AlertRule, 1000)
	for i := range rules {
		rules[i] = configs.AlertRule{
			Name:   "r" + strconv.Itoa(i),
			Select: &configs.AlertSelect{Source: "big", Match: []string{`instance=~"` + strconv.Itoa(i) + `.*"`}},
			Stat:   "mean", Window: configs.Duration(time.Minute), Warning: f(1e9),
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		ev := New(Options{Store: agg, Budget: time.Hour})
		if err := ev.Apply(rules); err != nil {
			b.Fatal(err)
		}
		ev.Evaluate()
		if rounds, _ := ev.Stats(); rounds != 1 {
			b.Fatal("no evaluation")
		}
	}
}
