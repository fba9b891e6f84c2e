package configs

import (
	"regexp"
	"strings"
	"time"
)

// TypePrometheus is the type of a source that scrapes a Prometheus
// endpoint (OpenMetrics or the classic text format).
const TypePrometheus = "prometheus"

func init() {
	RegisterSourceType(SourceType{Name: TypePrometheus, Interval: Duration(15 * time.Second), New: func() SourceSpec { return NewPrometheusSpec() }})
}

// DefaultPromMaxSeries caps the series one prometheus source may create.
const DefaultPromMaxSeries = 10000

// DefaultPromSampleLimit is how many series a scrape may hold before it
// fails: five times max_series, so that a target a little over max_series
// is truncated as before, while one that sends far more than anyone could
// chart (a cardinality explosion, a hostile target) fails at once, having
// cost at most this many series of parsing and memory.
const DefaultPromSampleLimit = 5 * DefaultPromMaxSeries

// DefaultPromDroppedSeriesLimit is how many series a scrape may drop as it
// reads them (past a label limit, or invalid) before it fails. Prometheus
// fails a scrape at its first such series; a hundred lets a target with a
// few bad series keep the rest, while one that sends thousands only to be
// dropped (each new at every scrape, so that no cache of them helps) costs
// the reading of a hundred.
const DefaultPromDroppedSeriesLimit = 100

// PrometheusSpec is the config of a prometheus source.
type PrometheusSpec struct {
	HTTPClient  `yaml:",inline"`
	LabelLimits `yaml:",inline"`
	// Include and Exclude are RE2 expressions on the metric name: with
	// any Include given a metric must match one, and one that matches an
	// Exclude is dropped.
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
	// MaxSeries is how many series one scrape may yield to the store;
	// more are dropped (the first in identity order kept).
	MaxSeries int `yaml:"max_series"`
	// SampleLimit is Prometheus' sample_limit: a scrape with more series
	// than this (after include and exclude) fails whole, and reading it
	// stops there; 0 turns it off.
	SampleLimit int `yaml:"sample_limit"`
	// DroppedSeriesLimit fails a scrape that drops more series than this
	// as they are read (past label_limit, label_name_length_limit,
	// label_value_length_limit, or invalid), and reading it stops there;
	// 0 turns it off.
	DroppedSeriesLimit int `yaml:"dropped_series_limit"`
	// HonorLabels is Prometheus' honor_labels: when a scraped label
	// clashes with a configured one, true keeps the scraped value; false
	// (the default) keeps the configured value and renames the scraped
	// label exported_<name>. A scraped "source" is exported_source in
	// both modes: that label is pulseboard's.
	HonorLabels bool `yaml:"honor_labels"`
	// HonorTimestamps is Prometheus' honor_timestamps: true (the default,
	// also when nil) stores a sample at the timestamp the exporter sent
	// with it; false stamps every sample with the poll's time. A pointer,
	// so that an explicit false is told from a key left out.
	HonorTimestamps *bool `yaml:"honor_timestamps"`
	// TrackTimestampsStaleness is Prometheus' track_timestamps_staleness:
	// false (the default) leaves a series whose samples carry the
	// exporter's own timestamps out of staleness (missing from a scrape,
	// or the scrape failing, it stays live until it ages out); true makes
	// it stale like any other. Without honor_timestamps no sample keeps
	// its timestamp, and every series is tracked.
	TrackTimestampsStaleness bool `yaml:"track_timestamps_staleness"`
}

// NewPrometheusSpec returns a prometheus source's config with its defaults.
func NewPrometheusSpec() *PrometheusSpec {
	honor := true
	return &PrometheusSpec{
		HTTPClient: newHTTPClient(), LabelLimits: newLabelLimits(),
		MaxSeries: DefaultPromMaxSeries, SampleLimit: DefaultPromSampleLimit,
		DroppedSeriesLimit: DefaultPromDroppedSeriesLimit, HonorTimestamps: &honor,
	}
}

// HonorsTimestamps reports whether exporter timestamps are kept (true
// when left unset).
func (s *PrometheusSpec) HonorsTimestamps() bool {
	return s.HonorTimestamps == nil || *s.HonorTimestamps
}

// Validate checks the URL, headers, body and label limits, expressions
// and the caps.
func (s *PrometheusSpec) Validate() error {
	var p problems
	s.HTTPClient.validate(&p, TypePrometheus)
	s.LabelLimits.validate(&p)
	for _, list := range []struct {
		key string
		res []string
	}{{"include", s.Include}, {"exclude", s.Exclude}} {
		for i, re := range list.res {
			if _, err := regexp.Compile(re); err != nil {
				p.addf(index(list.key, i), "invalid regular expression %q: %v", re, regexpReason(err))
			}
		}
	}
	positive(&p, "max_series", s.MaxSeries)
	notNegative(&p, "sample_limit", s.SampleLimit)
	notNegative(&p, "dropped_series_limit", s.DroppedSeriesLimit)
	return p.err()
}

// regexpReason drops the pattern from a regexp error, which the message
// already quotes.
func regexpReason(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": `"); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimPrefix(msg, "error parsing regexp: ")
}
