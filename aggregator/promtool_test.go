package aggregator

import (
	"bytes"
	"math"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// TestMetricsPromtoolClean feeds a whole scrape, hostile names and all,
// to `promtool check metrics`, which must report nothing. Without promtool
// it skips, except under CI=true (see testtool.Require).
func TestMetricsPromtoolClean(t *testing.T) {
	testtool.Require(t, "promtool")
	a, c := newTestAgg(Options{Sources: func() []SourceInfo {
		return []SourceInfo{{Name: "demo", State: StateRunning, Polls: 3}}
	}})
	ctr := gauge("requests_total", c.ms, 5)
	ctr.Kind = KindCounter
	for i := range 5 {
		a.ingest(batch("demo",
			gauge("temperature_celsius", c.ms, 20+float64(i), "room", "a"),
			gauge("queue.depth", c.ms, 3, "source", "x", "__bad", "y\xff"),
			ctr,
		))
		c.ms += 1000
		ctr.TimeMs = c.ms
		ctr.Value += 10
	}
	a.tick()
	text := promtoolCheck(t, a)
	require.Contains(t, text, "pulseboard_window_value")
}

// TestMetricsPromtoolCleanAfterHistograms: the parts of a histogram and a
// summary, scraped one series each (le and quantile labels, _bucket,
// _count and _sum names), counters without _total, gauges with it, NaN
// and Inf values and a stale series (names that promtool refuses whatever
// their type, such as camelCase or "_gauge", are the sources' own): /metrics stays promtool-clean, and
// the window metrics carry the clashing labels as exported_le and
// exported_quantile.
func TestMetricsPromtoolCleanAfterHistograms(t *testing.T) {
	testtool.Require(t, "promtool")
	a, c := newTestAgg(Options{})
	ctr := func(metric string, v float64, ls ...string) Sample {
		s := gauge(metric, c.ms, v, ls...)
		s.Kind = KindCounter
		return s
	}
	for i := range 3 {
		v := float64(i)
		a.ingest(Batch{Source: "node", Complete: true, Samples: []Sample{
			ctr("http_request_duration_seconds_bucket", 1+v, "le", "0.1"),
			ctr("http_request_duration_seconds_bucket", 2+v, "le", "+Inf"),
			ctr("http_request_duration_seconds_sum", 0.5+v),
			ctr("http_request_duration_seconds_count", 2+v),
			gauge("rpc_duration_seconds", c.ms, 0.01, "quantile", "0.5"),
			gauge("rpc_duration_seconds", c.ms, math.NaN(), "quantile", "0.99"),
			gauge("rpc_duration_seconds_sum", c.ms, 3+v),
			gauge("rpc_duration_seconds_count", c.ms, 9+v),
			ctr("node_forks", 100+v),
			gauge("queue_items_total", c.ms, 4),
			gauge("temperature_celsius", c.ms, math.Inf(1)),
			gauge("gone_soon", c.ms, 1),
		}[:12-min(i, 1)]}) // gone_soon misses the later polls: stale
		c.ms += 1000
		a.tick()
	}
	text := promtoolCheck(t, a)
	require.Contains(t, text, `pulseboard_window_value{exported_le="0.1",metric="http_request_duration_seconds_bucket"`)
	require.Contains(t, text, `pulseboard_window_min{exported_quantile="0.5",metric="rpc_duration_seconds"`)
	require.Contains(t, text, "# TYPE http_request_duration_seconds_bucket untyped")
	require.Contains(t, text, `rpc_duration_seconds{quantile="0.99",source="node"} NaN`)
	require.Contains(t, text, "# TYPE node_forks untyped")
	require.NotContains(t, text, "gone_soon")
}

// promtoolCheck gathers a's /metrics as text, requires that promtool check
// metrics reports nothing on it, and returns it.
func promtoolCheck(t *testing.T, a *Aggregator) string {
	t.Helper()
	mfs, err := registry(t, a).Gather()
	require.NoError(t, err)
	var text bytes.Buffer
	enc := expfmt.NewEncoder(&text, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		require.NoError(t, enc.Encode(mf))
	}
	testtool.RequirePromtoolClean(t, text.Bytes())
	return text.String()
}
