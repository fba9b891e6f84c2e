package aggregator

import (
	"math"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// The store's series written straight into the text exposition format
// (version 0.0.4), byte for byte what the registry path (Collector,
// Registry.Gather, expfmt's text encoder) writes for them, without a
// dto.Metric per sample: at 100k series that path costs ~2 µs a sample.
// TestStoreExpositionMatchesRegistry holds the two together.

// Help texts of the store's families, shared by both paths.
const (
	helpWinValue = "Values of a series over a window: quantiles 0.5, 0.9, 0.99 (within 1%), sum and count."
	helpWinMin   = "Smallest value of a series over a window."
	helpWinMax   = "Largest value of a series over a window."
	helpWinMean  = "Mean value of a series over a window."
	helpWinLast  = "Newest value of a series in a window."
	helpWinRate  = "Per-second increase of a series over a window; counter resets are taken into account."
)

func lastValueHelp(name string) string {
	return "Last value of " + name + " from pulseboard's sources."
}

// firstWindowFamily sorts before every window family; no series family
// sorts among them, since series names in pulseboard_ are exported_.
const firstWindowFamily = "pulseboard_window_last"

// ExposeStoreDirectly makes Collector leave the store's series and window
// statistics out: whoever calls it writes them with AppendStoreMetrics
// beside the registry's output (the dashboard's /metrics does). Called
// once, at wiring time; safe from any goroutine.
func (a *Aggregator) ExposeStoreDirectly() {
	a.Collector()
	a.prom.direct.Store(true)
}

// AppendStoreMetrics appends the store's families to dst in the
// Prometheus text format 0.0.4, sorted by family name, and returns it:
// what Collector would emit for them, through a registry and expfmt,
// byte for byte. A family for which skip (if not nil) returns true is left
// out: the caller's registry already has a family of that name.
//
// It copies the values out of the store in chunks (scrapeChunk),
// each under the store's read lock, and writes with no store lock held;
// scrapes run one at a time. Safe from any goroutine.
func (a *Aggregator) AppendStoreMetrics(dst []byte, skip func(family string) bool) []byte {
	c := a.Collector().(*promCollector)
	c.mu.Lock()
	defer c.mu.Unlock()
	a.mu.RLock()
	withWin := a.windowMetricsOn()
	a.mu.RUnlock()
	c.refresh(withWin)
	return c.appendSeries(dst, withWin, skip)
}

func (c *promCollector) appendSeries(dst []byte, withWin bool, skip func(string) bool) []byte {
	var prev *promSeries
	fam, skipFam, winDone := "", false, !withWin
	for _, p := range c.order {
		if !p.has {
			continue
		}
		if prev != nil && prev.name == p.name && prev.key == p.key && sameNames(prev.labels, p.labels) {
			continue // as emitSeries: the first of two that meet once sanitised
		}
		prev = p
		if p.name != fam {
			if !winDone && p.name > firstWindowFamily {
				dst, winDone = c.appendWindows(dst), true
			}
			fam = p.name
			if skipFam = skip != nil && skip(fam); !skipFam {
				dst = appendHeader(dst, fam, lastValueHelp(fam), typeName(c.famType[fam]))
			}
		}
		if !skipFam {
			dst = appendSample(dst, p.name, p.labels, "", p.val)
		}
	}
	if !winDone {
		dst = c.appendWindows(dst)
	}
	return dst
}

// appendWindows writes the six window families, in name order.
func (c *promCollector) appendWindows(dst []byte) []byte {
	if !c.winDone {
		c.buildWinOrder()
	}
	// The entries emitSeries sends, in the same order.
	var live []winEntry
	c.eachWindowEntry(func(e winEntry) { live = append(live, e) })
	if len(live) == 0 {
		return dst
	}
	gauge := func(name, help string, val func(*windowStats) (float64, bool)) {
		header := false
		for _, e := range live {
			v, ok := val(&e.p.stats[e.wi])
			if !ok {
				continue
			}
			if !header {
				dst, header = appendHeader(dst, name, help, "gauge"), true
			}
			dst = appendSample(dst, name, e.p.winLbls[e.wi], "", v)
		}
	}
	gauge("pulseboard_window_last", helpWinLast, func(s *windowStats) (float64, bool) { return s.Last, true })
	gauge("pulseboard_window_max", helpWinMax, func(s *windowStats) (float64, bool) { return s.Max, true })
	gauge("pulseboard_window_mean", helpWinMean, func(s *windowStats) (float64, bool) { return s.Mean, true })
	gauge("pulseboard_window_min", helpWinMin, func(s *windowStats) (float64, bool) { return s.Min, true })
	gauge("pulseboard_window_rate", helpWinRate, func(s *windowStats) (float64, bool) { return s.Rate, s.HasRate })
	const value = "pulseboard_window_value"
	dst = appendHeader(dst, value, helpWinValue, "summary")
	for _, e := range live {
		s, l := &e.p.stats[e.wi], e.p.winLbls[e.wi]
		for i, q := range []float64{s.P50, s.P90, s.P99} {
			dst = appendSample(dst, value, l, statQuantileText[i], q)
		}
		dst = appendSample(dst, value+"_sum", l, "", s.Sum)
		dst = appendPromLabels(append(dst, value+"_count"...), l, "")
		dst = strconv.AppendUint(append(dst, ' '), uint64(s.Count), 10)
		dst = append(dst, '\n')
	}
	return dst
}

// statQuantileText are statQuantiles as expfmt writes the quantile label.
var statQuantileText = [3]string{"0.5", "0.9", "0.99"}

func typeName(t prometheus.ValueType) string {
	switch t {
	case prometheus.CounterValue:
		return "counter"
	case prometheus.GaugeValue:
		return "gauge"
	}
	return "untyped"
}

func appendHeader(dst []byte, name, help, typ string) []byte {
	dst = append(dst, "# HELP "...)
	dst = append(dst, name...)
	dst = append(dst, ' ')
	dst = appendEscaped(dst, help, false)
	dst = append(dst, "\n# TYPE "...)
	dst = append(dst, name...)
	dst = append(dst, ' ')
	dst = append(dst, typ...)
	return append(dst, '\n')
}

// appendSample writes name{labels[,quantile="q"]} v and a newline. Names
// are valid legacy names (promMetricName, promLabelNames made them so).
func appendSample(dst []byte, name string, ls []*dto.LabelPair, quantile string, v float64) []byte {
	dst = appendPromLabels(append(dst, name...), ls, quantile)
	dst = appendValue(append(dst, ' '), v)
	return append(dst, '\n')
}

func appendPromLabels(dst []byte, ls []*dto.LabelPair, quantile string) []byte {
	sep := byte('{')
	for _, lp := range ls {
		dst = append(dst, sep)
		dst = append(dst, *lp.Name...)
		dst = append(dst, `="`...)
		dst = appendEscaped(dst, *lp.Value, true)
		dst = append(dst, '"')
		sep = ','
	}
	if quantile != "" {
		dst = append(dst, sep)
		dst = append(dst, `quantile="`...)
		dst = append(dst, quantile...)
		dst = append(dst, '"')
		sep = ','
	}
	if sep == ',' {
		dst = append(dst, '}')
	}
	return dst
}

// appendValue writes v as expfmt does: 1, 0, -1, NaN, ±Inf spelled out,
// anything else in the shortest 'g' form.
func appendValue(dst []byte, v float64) []byte {
	switch {
	case v == 1:
		return append(dst, '1')
	case v == 0:
		return append(dst, '0')
	case v == -1:
		return append(dst, "-1"...)
	case math.IsNaN(v):
		return append(dst, "NaN"...)
	case math.IsInf(v, 1):
		return append(dst, "+Inf"...)
	case math.IsInf(v, -1):
		return append(dst, "-Inf"...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

// appendEscaped escapes a backslash and a newline, and a double quote when
// quoted (label values), as the text format wants.
func appendEscaped(dst []byte, s string, quoted bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			dst = append(dst, `\\`...)
		case c == '\n':
			dst = append(dst, `\n`...)
		case c == '"' && quoted:
			dst = append(dst, `\"`...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
