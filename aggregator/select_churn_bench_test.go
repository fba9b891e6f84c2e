package aggregator

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

// churnStore is a store of one source of n series (metric m, label
// instance "0" … "n-1"), and selections regex selections over it, each
// its own regular expression on instance (`<i>.*`, as a file of many
// regex alert rules writes them), with a budget.
func churnStore(b *testing.B, n, selections int) (*Aggregator, *clock, []*Selection) {
	b.Helper()
	a, clk := newTestAgg(Options{Windows: []time.Duration{time.Minute}, MaxSeries: 2 * n, MaxSeriesPerSource: 2 * n})
	samples := make([]Sample, n)
	for i := range samples {
		samples[i] = Sample{Metric: "m", Labels: Labels{{"instance", strconv.Itoa(i)}}, TimeMs: clk.ms, Value: 1}
	}
	a.ingest(batch("big", samples...))
	a.tick()
	budget := NewSelectionBudget(1_000_000)
	sels := make([]*Selection, selections)
	for i := range sels {
		re := regexp.MustCompile(`^(?:` + strconv.Itoa(i) + `.*)$`)
		sels[i] = &Selection{Source: "big", Budget: budget, Match: func(_, _ string, ls Labels) bool {
			return re.MatchString(ls.Get("instance"))
		}}
	}
	return a, clk, sels
}

// BenchmarkSelectRegexRulesChurn: 1,000 regex selections over a source of
// 10,000 series, read once each (one alert evaluation's Selects) after
// one series came and one went: the common churn of a scraped target.
// Before the selections caught up from the store's log of series changes,
// each relisted the source (10,000 matches each, twice) at every change.
func BenchmarkSelectRegexRulesChurn(b *testing.B) {
	a, clk, sels := churnStore(b, 10_000, 1_000)
	readAll := func() {
		for _, sel := range sels {
			a.Select(sel, 0, func(SeriesView) {})
		}
	}
	readAll()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		clk.ms += 1000
		a.ingest(batch("big", Sample{Metric: "m", Labels: Labels{{"instance", "n" + strconv.Itoa(i)}}, TimeMs: clk.ms, Value: 1}))
		i++
		readAll()
	}
}

// BenchmarkSelectRegexRulesSteady: the same reads with no series changed
// (the lists are read as they are).
func BenchmarkSelectRegexRulesSteady(b *testing.B) {
	a, _, sels := churnStore(b, 10_000, 1_000)
	readAll := func() {
		for _, sel := range sels {
			a.Select(sel, 0, func(SeriesView) {})
		}
	}
	readAll()
	b.ReportAllocs()
	for b.Loop() {
		readAll()
	}
}
