package collectors

import (
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// The per-source metrics of the collectors' bookkeeping, with the label
// "source". They complete the aggregator's pulseboard_source_* metrics,
// which the program builds from the same Statuses (polls, failures,
// restarts, up, last success, last poll duration) and which are not
// repeated here.
var statsMetrics = []struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	val  func(s *Stats) float64
}{
	{sourceDesc("pulseboard_source_hung_polls_total",
		"Polls of the source abandoned by the watchdog for running past their timeout and grace; each restarts the source."),
		prometheus.CounterValue, func(s *Stats) float64 { return float64(s.Hangs) }},
	{sourceDesc("pulseboard_source_stuck_goroutines",
		"Goroutines of abandoned polls of the source that have not returned yet."),
		prometheus.GaugeValue, func(s *Stats) float64 { return float64(s.Stuck) }},
	{sourceDesc("pulseboard_source_consecutive_failures",
		"Polls of the source that failed in a row; 0 after a successful poll."),
		prometheus.GaugeValue, func(s *Stats) float64 { return float64(s.ConsecutiveFailures) }},
	{sourceDesc("pulseboard_source_partial_errors_total",
		"Per-item errors in polls of the source that still succeeded (a missing JSON field, a value that is not a number)."),
		prometheus.CounterValue, func(s *Stats) float64 { return float64(s.PartialErrors) }},
	{sourceDesc("pulseboard_source_non_finite_samples_total",
		"Samples of the source left out before reaching the aggregator for an infinite value (NaN is a value and is kept)."),
		prometheus.CounterValue, func(s *Stats) float64 { return float64(s.NonFinite) }},
	{sourceDesc("pulseboard_source_secrets_masked_total",
		"Series of the source whose metric name or labels held one of the source's own credentials (an Authorization or other header's value, a query value or the user info of its URL), which the target sent back; masked as xxxxx before they were stored, counted once per series when first read."),
		prometheus.CounterValue, func(s *Stats) float64 { return float64(s.SecretsMasked) }},
	{sourceDesc("pulseboard_source_batches_shed_total",
		"Poll results of the source the aggregator refused because its ingest queue stayed full."),
		prometheus.CounterValue, func(s *Stats) float64 { return float64(s.Shed) }},
	{sourceDesc("pulseboard_source_samples_total",
		"Samples of the source handed to the aggregator."),
		prometheus.CounterValue, func(s *Stats) float64 { return float64(s.Samples) }},
}

// droppedDesc counts drops by source and reason; a source has a series
// for each reason it has dropped for at least once.
var droppedDesc = prometheus.NewDesc("pulseboard_source_series_dropped_total",
	"Series left out of polls of the source, by reason (duplicate, collision, max_series, invalid, native_histogram, label_limit, label_name_length_limit, label_value_length_limit), counted at every poll; include and exclude are not drops.",
	[]string{"source", "reason"}, nil)

func sourceDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, []string{"source"}, nil)
}

// Collector returns the Prometheus view of the sources' bookkeeping: the
// metrics of statsMetrics, one series each per configured source, and
// pulseboard_source_series_dropped_total per source and reason, built
// from Statuses at every scrape. A source removed by Apply is gone from
// the next scrape. Register it once, on the program's registry; the
// registry calls it on the scraping goroutine.
func (m *Manager) Collector() prometheus.Collector { return statsCollector{m} }

type statsCollector struct{ m *Manager }

// Describe sends the fixed descriptors: the collector is checked.
func (c statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, sm := range statsMetrics {
		ch <- sm.desc
	}
	ch <- droppedDesc
}

// Collect emits the metrics of every configured source.
func (c statsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.m.Statuses() {
		// A label value must be UTF-8; the aggregator's source metrics
		// spell a bad name the same way, so the two join.
		name := st.Name
		if !utf8.ValidString(name) {
			name = strings.ToValidUTF8(name, "\uFFFD")
		}
		for _, sm := range statsMetrics {
			ch <- prometheus.MustNewConstMetric(sm.desc, sm.typ, sm.val(&st.Stats), name)
		}
		for reason, n := range st.Dropped {
			ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(n), name, reason)
		}
	}
}
