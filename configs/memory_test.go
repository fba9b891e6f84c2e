package configs

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
)

// wideSources is n simulated sources of count random-walk series at 1s.
func wideSources(n, count int) string {
	var b strings.Builder
	b.WriteString("sources:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: big%d\n    type: simulated\n    interval: 1s\n    series:\n      - {metric: m%d, shape: random_walk, min: 0, max: 100, count: %d}\n", i, i, count)
	}
	return b.String()
}

const wideAggregator = "aggregator: {max_series: 600000, max_series_per_source: 100000, history: 5m, windows: [10s, 1m, 5m]%s}\n"

// Six sources of 100,000 series, inside every count ceiling, took 6 GB
// within a minute of the start: refused at the source that takes the
// estimate past the budget, with its place in the file; accepted once
// the budget allows it.
func TestMemoryLimitRefusesAConfigThatCannotFit(t *testing.T) {
	data := fmt.Sprintf(wideAggregator, "") + wideSources(6, 100000)
	_, err := Parse("m1.yaml", []byte(data))
	require.Len(t, Errors(err), 1, "%v", err)
	require.True(t, strings.HasPrefix(err.Error(), "m1.yaml:12:7: sources[1].series: pulseboard would take about 3.0GiB with the sources up to this one (a 2.0GiB heap and half again "+
		"for the garbage collector; this one: 100000 series of about 10.0KiB: 3 windows, 300 points of history), more than aggregator.memory_limit (2GiB)"), "%v", err)

	cfg, err := Parse("m1.yaml", []byte(fmt.Sprintf(wideAggregator, ", memory_limit: 9GiB")+wideSources(6, 100000)))
	require.NoError(t, err)
	require.InDelta(t, 5.85*(1<<30), cfg.estimateMemory(), 0.05*(1<<30))
}

// A reload is held to the running budget, as to the running counts: the
// file's own memory_limit needs a restart.
func TestMemoryLimitOnReloadIsTheRunningOne(t *testing.T) {
	data := []byte(fmt.Sprintf(wideAggregator, ", memory_limit: 6GiB") + wideSources(6, 100000))
	running, err := Parse("run.yaml", []byte(fmt.Sprintf(wideAggregator, "")))
	require.NoError(t, err)
	_, err = ParseInForce("m1.yaml", data, running.Aggregator)
	require.ErrorContains(t, err, "m1.yaml:12:7: sources[1].series: pulseboard would take about 3.0GiB")
	require.ErrorContains(t, err, "more than the running aggregator.memory_limit (2GiB; a new value needs a restart)")
}

// A source that learns its series as it polls is not charged: forty
// scraping sources at 100ms with the defaults load (each charged its
// max_series_per_source, eight HTTP sources at 1s were refused). A queue
// that alone passes the budget is reported at queue_samples; the limit is
// a size.
func TestMemoryEstimateBounds(t *testing.T) {
	var many strings.Builder
	many.WriteString("sources:\n")
	for i := range 40 {
		fmt.Fprintf(&many, "  - {name: p%d, type: prometheus, url: \"http://127.0.0.1:9100/metrics\", interval: 100ms}\n", i)
	}
	cfg, err := Parse("p.yaml", []byte(many.String()))
	require.NoError(t, err, "forty scraping sources with the defaults")
	require.InDelta(t, 1e6*aggregator.QueuedSampleBytes, cfg.estimateMemory(), 1)

	_, err = Parse("q.yaml", []byte("aggregator: {queue_samples: 20000000}\n"))
	require.EqualError(t, err, "q.yaml:1:29: aggregator.queue_samples: a queue of 20000000 samples takes about 3.6GiB (with the garbage collector's headroom), more than aggregator.memory_limit (2GiB)")
	_, err = Parse("q.yaml", []byte("aggregator: {memory_limit: lots}\n"))
	require.ErrorContains(t, err, `q.yaml:1:28: aggregator.memory_limit: invalid size "lots"`)
	_, err = Parse("q.yaml", []byte("aggregator: {memory_limit: 0}\n"))
	require.ErrorContains(t, err, "aggregator.memory_limit: must be positive")
}

// The demo and every example config fit the default budget with room.
func TestExampleConfigsFitTheMemoryLimit(t *testing.T) {
	files, err := filepath.Glob("examples/*.yaml")
	require.NoError(t, err)
	files = append(files, "default.yaml")
	for _, f := range files {
		cfg, err := Load(f)
		require.NoError(t, err, f)
		est := cfg.estimateMemory()
		t.Logf("%s: %s", f, humanBytes(est))
		require.Less(t, est*aggregator.GCHeadroom, float64(DefaultMemoryLimit)/2, f)
	}
}

// The room the store keeps for the sources known from their config is
// what the load's check charged them, with the aggregator's per-series
// formula (one estimate for both); a scraping source is not among them.
func TestKnownSeriesMemoryIsTheLoadsCharge(t *testing.T) {
	data := fmt.Sprintf(wideAggregator, ", memory_limit: 9GiB") + wideSources(2, 1000) +
		"  - {name: p, type: prometheus, url: \"http://127.0.0.1:9100/metrics\", interval: 1s}\n"
	cfg, err := Parse("k.yaml", []byte(data))
	require.NoError(t, err)
	per, points := aggregator.SeriesMemory(3, 5*time.Minute, time.Second)
	require.Equal(t, 300.0, points)
	known := KnownSeriesMemory(cfg.Aggregator, cfg.Sources)
	require.InDelta(t, 2000*per, known, 1e-6)
	require.InDelta(t, cfg.estimateMemory()-1e6*aggregator.QueuedSampleBytes, known, 1e-6)
	require.True(t, cfg.Sources[0].SeriesKnown())
	require.False(t, cfg.Sources[2].SeriesKnown())
}
