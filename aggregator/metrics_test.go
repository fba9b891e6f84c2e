package aggregator

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

func registry(t *testing.T, a *Aggregator) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(a.Collector()))
	return reg
}

func TestMetricsSeriesGolden(t *testing.T) {
	a, c := newTestAgg(Options{WindowMetricsMaxSeries: -1})
	ctr := func(metric string, v float64, ls ...string) Sample {
		s := gauge(metric, c.ms, v, ls...)
		s.Kind = KindCounter
		return s
	}
	a.ingest(batch("demo",
		gauge("temperature_celsius", c.ms, 21.5, "room", "a"),
		ctr("requests_total", 42),
		gauge("mixed", c.ms, 1),
		gauge("queue.depth", c.ms, 3),
		gauge("queue_depth", c.ms, 4),                             // same exposed identity: skipped
		gauge("labelled", c.ms, 5, "source", "inner", "__x", "y"), // clashing and reserved names
		gauge("weird", c.ms, 6, "v", "quote\" back\\slash\nnewline \xff"),
		gauge("pulseboard_seq", c.ms, 7), // a scraped pulseboard
	))
	a.ingest(batch("other", ctr("mixed", 2)))
	a.tick()

	want := `
# HELP exported_pulseboard_seq Last value of exported_pulseboard_seq from pulseboard's sources.
# TYPE exported_pulseboard_seq gauge
exported_pulseboard_seq{source="demo"} 7
# HELP labelled Last value of labelled from pulseboard's sources.
# TYPE labelled gauge
labelled{exported___x="y",exported_source="inner",source="demo"} 5
# HELP mixed Last value of mixed from pulseboard's sources.
# TYPE mixed untyped
mixed{source="demo"} 1
mixed{source="other"} 2
# HELP queue_depth Last value of queue_depth from pulseboard's sources.
# TYPE queue_depth gauge
queue_depth{source="demo"} 3
# HELP requests_total Last value of requests_total from pulseboard's sources.
# TYPE requests_total counter
requests_total{source="demo"} 42
# HELP temperature_celsius Last value of temperature_celsius from pulseboard's sources.
# TYPE temperature_celsius gauge
temperature_celsius{room="a",source="demo"} 21.5
# HELP weird Last value of weird from pulseboard's sources.
# TYPE weird gauge
weird{source="demo",v="quote\" back\\slash\nnewline \ufffd"} 6
`
	want = strings.ReplaceAll(want, `\ufffd`, "\ufffd")
	reg := registry(t, a)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want),
		"exported_pulseboard_seq", "labelled", "mixed", "queue_depth", "requests_total", "temperature_celsius", "weird"))
	_, err := reg.Gather()
	require.NoError(t, err, "the whole scrape succeeds")
}

func TestMetricsWindowsGolden(t *testing.T) {
	a, c := newTestAgg(Options{Windows: []time.Duration{time.Minute}})
	for i := range 5 {
		a.ingest(batch("demo", gauge("temp", c.ms, float64(10+i), "metric", "clash")))
		c.ms += 1000
	}
	a.tick()
	want := `
# HELP pulseboard_window_last Newest value of a series in a window.
# TYPE pulseboard_window_last gauge
pulseboard_window_last{exported_metric="clash",metric="temp",source="demo",window="1m"} 14
# HELP pulseboard_window_max Largest value of a series over a window.
# TYPE pulseboard_window_max gauge
pulseboard_window_max{exported_metric="clash",metric="temp",source="demo",window="1m"} 14
# HELP pulseboard_window_mean Mean value of a series over a window.
# TYPE pulseboard_window_mean gauge
pulseboard_window_mean{exported_metric="clash",metric="temp",source="demo",window="1m"} 12
# HELP pulseboard_window_min Smallest value of a series over a window.
# TYPE pulseboard_window_min gauge
pulseboard_window_min{exported_metric="clash",metric="temp",source="demo",window="1m"} 10
# HELP pulseboard_window_rate Per-second increase of a series over a window; counter resets are taken into account.
# TYPE pulseboard_window_rate gauge
pulseboard_window_rate{exported_metric="clash",metric="temp",source="demo",window="1m"} 1
`
	require.NoError(t, testutil.GatherAndCompare(registry(t, a), strings.NewReader(want),
		"pulseboard_window_last", "pulseboard_window_max", "pulseboard_window_mean", "pulseboard_window_min", "pulseboard_window_rate"))

	// The summary: quantiles within 1%, so compare loosely.
	mfs, err := registry(t, a).Gather()
	require.NoError(t, err)
	var found bool
	for _, mf := range mfs {
		if mf.GetName() != "pulseboard_window_value" {
			continue
		}
		found = true
		s := mf.GetMetric()[0].GetSummary()
		require.Equal(t, uint64(5), s.GetSampleCount())
		require.Equal(t, 60.0, s.GetSampleSum())
		require.Len(t, s.GetQuantile(), 3)
		require.InEpsilon(t, 12.0, s.GetQuantile()[0].GetValue(), 0.01)
		require.InEpsilon(t, 14.0, s.GetQuantile()[1].GetValue(), 0.01, "p90 of 5: the 5th (nearest rank ⌈4.5⌉)")
	}
	require.True(t, found)
}

func TestMetricsOwnAndSourcesGolden(t *testing.T) {
	a, c := newTestAgg(Options{QueueSize: 8, Sources: func() []SourceInfo {
		return []SourceInfo{
			{Name: "demo", State: StateRunning, Up: true, Polls: 10, Failures: 2, Restarts: 1, LastSuccess: 1_700_000_000_500, PollMs: 12.5},
			{Name: "bad\xff", State: StateFailed},
			{Name: "down", State: StateRunning, Up: false, Polls: 3, Failures: 3},
		}
	}})
	a.ingest(batch("demo", gauge("m", c.ms, 1), gauge("m", c.ms, 2), gauge("m", c.ms-1, 1)))
	a.ingest(batch("demo", gauge("n", c.ms, math.NaN()))) // a value: stored
	a.tick()
	s := a.Subscribe(0)
	defer s.Close()
	want := `
# HELP pulseboard_deltas_published_total Deltas published to subscribers.
# TYPE pulseboard_deltas_published_total counter
pulseboard_deltas_published_total 1
# HELP pulseboard_queue_capacity Capacity of the ingest queue in batches.
# TYPE pulseboard_queue_capacity gauge
pulseboard_queue_capacity 8
# HELP pulseboard_queue_length Batches waiting in the ingest queue.
# TYPE pulseboard_queue_length gauge
pulseboard_queue_length 0
# HELP pulseboard_queue_samples Samples waiting in the ingest queue.
# TYPE pulseboard_queue_samples gauge
pulseboard_queue_samples 0
# HELP pulseboard_queue_samples_capacity Capacity of the ingest queue in samples (a wider batch is taken only into an empty queue).
# TYPE pulseboard_queue_samples_capacity gauge
pulseboard_queue_samples_capacity 1e+06
# HELP pulseboard_samples_ingested_total Samples stored.
# TYPE pulseboard_samples_ingested_total counter
pulseboard_samples_ingested_total 2
# HELP pulseboard_samples_rejected_total Samples refused by reason: too_old (older than the history), out_of_order (older than their series' newest sample), duplicate (at their series' newest time with another value), too_far_ahead (stamped further ahead than the history).
# TYPE pulseboard_samples_rejected_total counter
pulseboard_samples_rejected_total{reason="duplicate"} 1
pulseboard_samples_rejected_total{reason="out_of_order"} 1
pulseboard_samples_rejected_total{reason="too_far_ahead"} 0
pulseboard_samples_rejected_total{reason="too_old"} 0
# HELP pulseboard_seq Sequence number of the latest published delta.
# TYPE pulseboard_seq gauge
pulseboard_seq 1
# HELP pulseboard_series Series in the store.
# TYPE pulseboard_series gauge
pulseboard_series 2
# HELP pulseboard_source_last_success_timestamp_seconds Time of the source's last successful poll, 0 if never.
# TYPE pulseboard_source_last_success_timestamp_seconds gauge
pulseboard_source_last_success_timestamp_seconds{source="bad\ufffd"} 0
pulseboard_source_last_success_timestamp_seconds{source="demo"} 1.7000000005e+09
pulseboard_source_last_success_timestamp_seconds{source="down"} 0
# HELP pulseboard_source_poll_duration_seconds Duration of the source's last poll.
# TYPE pulseboard_source_poll_duration_seconds gauge
pulseboard_source_poll_duration_seconds{source="bad\ufffd"} 0
pulseboard_source_poll_duration_seconds{source="demo"} 0.0125
pulseboard_source_poll_duration_seconds{source="down"} 0
# HELP pulseboard_source_polls_total Polls of the source.
# TYPE pulseboard_source_polls_total counter
pulseboard_source_polls_total{source="bad\ufffd"} 0
pulseboard_source_polls_total{source="demo"} 10
pulseboard_source_polls_total{source="down"} 3
# HELP pulseboard_source_failures_total Failed polls of the source.
# TYPE pulseboard_source_failures_total counter
pulseboard_source_failures_total{source="bad\ufffd"} 0
pulseboard_source_failures_total{source="demo"} 2
pulseboard_source_failures_total{source="down"} 3
# HELP pulseboard_source_restarts_total Restarts of the source's collector.
# TYPE pulseboard_source_restarts_total counter
pulseboard_source_restarts_total{source="bad\ufffd"} 0
pulseboard_source_restarts_total{source="demo"} 1
pulseboard_source_restarts_total{source="down"} 0
# HELP pulseboard_source_running 1 if the source's collector is running under its supervisor (not starting, backing off, failed or stopped), else 0.
# TYPE pulseboard_source_running gauge
pulseboard_source_running{source="bad\ufffd"} 0
pulseboard_source_running{source="demo"} 1
pulseboard_source_running{source="down"} 1
# HELP pulseboard_source_up 1 if the source's last poll succeeded, else 0 (also before its first poll ends), as up is in Prometheus.
# TYPE pulseboard_source_up gauge
pulseboard_source_up{source="bad\ufffd"} 0
pulseboard_source_up{source="demo"} 1
pulseboard_source_up{source="down"} 0
# HELP pulseboard_subscribers Live subscribers.
# TYPE pulseboard_subscribers gauge
pulseboard_subscribers 1
`
	want = strings.ReplaceAll(want, `\ufffd`, "\ufffd")
	reg := registry(t, a)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want),
		"pulseboard_deltas_published_total", "pulseboard_queue_capacity", "pulseboard_queue_length", "pulseboard_queue_samples", "pulseboard_queue_samples_capacity",
		"pulseboard_samples_ingested_total", "pulseboard_samples_rejected_total",
		"pulseboard_seq", "pulseboard_series", "pulseboard_source_last_success_timestamp_seconds",
		"pulseboard_source_poll_duration_seconds", "pulseboard_source_polls_total", "pulseboard_source_failures_total",
		"pulseboard_source_restarts_total", "pulseboard_source_running", "pulseboard_source_up", "pulseboard_subscribers"))
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	require.Empty(t, problems)
}

func TestMetricsWindowCapAndDistinctNames(t *testing.T) {
	a, c := newTestAgg(Options{WindowMetricsMaxSeries: 1})
	// Same label values under different names: two distinct series.
	a.ingest(batch("s", gauge("x", c.ms, 1, "a", "1"), gauge("x", c.ms, 2, "b", "1")))
	a.tick()
	want := `
# HELP pulseboard_window_metrics_enabled 1 if the per-series window statistics are in this scrape, 0 if the store holds more series than the limit for them.
# TYPE pulseboard_window_metrics_enabled gauge
pulseboard_window_metrics_enabled 0
# HELP x Last value of x from pulseboard's sources.
# TYPE x gauge
x{a="1",source="s"} 1
x{b="1",source="s"} 2
`
	reg := registry(t, a)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "x", "pulseboard_window_metrics_enabled"))
	n, err := testutil.GatherAndCount(reg, "pulseboard_window_min", "pulseboard_window_value")
	require.NoError(t, err)
	require.Zero(t, n, "over the cap: no window metrics")

	b, c2 := newTestAgg(Options{WindowMetricsMaxSeries: 10, History: time.Hour})
	b.ingest(batch("s", gauge("x", c2.ms, 1, "a", "1"), gauge("x", c2.ms, 2, "b", "1")))
	b.tick() // windows take the points they publish
	n, err = testutil.GatherAndCount(registry(t, b), "pulseboard_window_min")
	require.NoError(t, err)
	require.Equal(t, 2*3, n, "two series, three windows")
	c2.ms += 16 * 60_000 // every window empties: nothing to say about them
	b.tick()
	n, err = testutil.GatherAndCount(registry(t, b), "pulseboard_window_min")
	require.NoError(t, err)
	require.Zero(t, n)
}
