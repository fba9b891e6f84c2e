package collectors

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"

	dto "github.com/prometheus/client_model/go"

	"github.com/pulseboard/pulseboard/aggregator"
)

// promFilter selects what a scrape keeps.
type promFilter struct {
	// include, when not empty, keeps only families whose name matches one;
	// exclude then drops families whose name matches one. Both match the
	// family name, so a histogram is kept or dropped whole.
	include, exclude []*regexp.Regexp
	// maxSeries bounds the samples of one scrape.
	maxSeries int
}

func (f promFilter) keep(name string) bool {
	if len(f.include) > 0 && !matchAny(f.include, name) {
		return false
	}
	return !matchAny(f.exclude, name)
}

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// promToSamples flattens parsed families into samples stamped ts (or the
// metric's own timestamp): counters, gauges and untyped metrics one sample
// each, histograms into _bucket{le}, _sum and _count, summaries into one
// sample per quantile plus _sum and _count.
//
// Non-finite values are left out (NaN must never reach the store) and so
// are repeated series; both are reported as partial errors. Over
// f.maxSeries the samples are sorted by identity and the first maxSeries
// kept, so the same series survive every scrape; the rest are counted in
// Partial.Dropped. The result is sorted by identity.
func promToSamples(families map[string]*dto.MetricFamily, f promFilter, ts int64) ([]aggregator.Sample, Partial) {
	names := make([]string, 0, len(families))
	for name := range families {
		if f.keep(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)

	c := promConverter{seen: make(map[string]struct{})}
	for _, name := range names {
		mf := families[name]
		for _, m := range mf.GetMetric() {
			c.metric(name, mf.GetType(), m, ts)
		}
	}

	slices.SortFunc(c.out, func(a, b keyedSample) int { return cmp.Compare(a.key, b.key) })
	var p Partial
	if f.maxSeries > 0 && len(c.out) > f.maxSeries {
		p.Dropped = len(c.out) - f.maxSeries
		c.out = c.out[:f.maxSeries]
	}
	samples := make([]aggregator.Sample, len(c.out))
	for i, ks := range c.out {
		samples[i] = ks.s
	}
	if c.nonFinite > 0 {
		p.Errors = append(p.Errors, fmt.Errorf("skipped %d non-finite values (first: %s)", c.nonFinite, c.firstNonFinite))
	}
	if c.dups > 0 {
		p.Errors = append(p.Errors, fmt.Errorf("skipped %d repeated series (first: %s)", c.dups, c.firstDup))
	}
	return samples, p
}

type keyedSample struct {
	key string
	s   aggregator.Sample
}

type promConverter struct {
	out            []keyedSample
	seen           map[string]struct{}
	nonFinite      int
	firstNonFinite string
	dups           int
	firstDup       string
}

func (c *promConverter) metric(name string, typ dto.MetricType, m *dto.Metric, ts int64) {
	if m.TimestampMs != nil {
		ts = m.GetTimestampMs()
	}
	base := make(aggregator.Labels, 0, len(m.GetLabel())+1)
	for _, lp := range m.GetLabel() {
		if lp.GetValue() == "" {
			continue // to Prometheus an empty label is no label: same series
		}
		base = append(base, aggregator.Label{Name: lp.GetName(), Value: lp.GetValue()})
	}
	sortLabels(base)

	switch typ {
	case dto.MetricType_COUNTER:
		c.add(name, base, aggregator.KindCounter, ts, m.GetCounter().GetValue())
	case dto.MetricType_GAUGE:
		c.add(name, base, aggregator.KindGauge, ts, m.GetGauge().GetValue())
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		c.histogram(name, base, typ, m.GetHistogram(), ts)
	case dto.MetricType_SUMMARY:
		s := m.GetSummary()
		for _, q := range s.GetQuantile() {
			c.add(name, withLabel(base, "quantile", formatFloat(q.GetQuantile())), aggregator.KindGauge, ts, q.GetValue())
		}
		c.add(name+"_sum", base, aggregator.KindCounter, ts, s.GetSampleSum())
		c.add(name+"_count", base, aggregator.KindCounter, ts, float64(s.GetSampleCount()))
	default: // untyped
		c.add(name, base, aggregator.KindGauge, ts, m.GetUntyped().GetValue())
	}
}

func (c *promConverter) histogram(name string, base aggregator.Labels, typ dto.MetricType, h *dto.Histogram, ts int64) {
	kind := aggregator.KindCounter
	if typ == dto.MetricType_GAUGE_HISTOGRAM {
		kind = aggregator.KindGauge
	}
	sawInf := false
	for _, b := range h.GetBucket() {
		ub := b.GetUpperBound()
		sawInf = sawInf || math.IsInf(ub, 1)
		c.add(name+"_bucket", withLabel(base, "le", formatFloat(ub)), kind, ts, float64(b.GetCumulativeCount()))
	}
	if !sawInf {
		// The +Inf bucket is implied by the count when the body left it out.
		c.add(name+"_bucket", withLabel(base, "le", "+Inf"), kind, ts, float64(h.GetSampleCount()))
	}
	c.add(name+"_sum", base, kind, ts, h.GetSampleSum())
	c.add(name+"_count", base, kind, ts, float64(h.GetSampleCount()))
}

func (c *promConverter) add(metric string, ls aggregator.Labels, kind aggregator.Kind, ts int64, v float64) {
	s := aggregator.Sample{Metric: metric, Labels: ls, Kind: kind, TimeMs: ts, Value: v}
	key := seriesKey(s)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		if c.nonFinite == 0 {
			c.firstNonFinite = key + "=" + formatFloat(v)
		}
		c.nonFinite++
		return
	}
	if _, dup := c.seen[key]; dup {
		if c.dups == 0 {
			c.firstDup = key
		}
		c.dups++
		return
	}
	c.seen[key] = struct{}{}
	c.out = append(c.out, keyedSample{key: key, s: s})
}

// withLabel returns base plus one label, sorted, without touching base.
func withLabel(base aggregator.Labels, name, value string) aggregator.Labels {
	ls := make(aggregator.Labels, 0, len(base)+1)
	ls = append(ls, base...)
	ls = append(ls, aggregator.Label{Name: name, Value: value})
	sortLabels(ls)
	return ls
}

// formatFloat writes a bound or quantile the way Prometheus does.
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
