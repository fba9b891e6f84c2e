package aggregator

import (
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector returns the Prometheus view of the aggregator: the store's
// series, their window statistics, pulseboard's own metrics and the
// per-source metrics. Everything is a const metric built at scrape time
// (see the package doc for the names). The collector is unchecked: it
// describes nothing up front, since the store's families are only known at
// scrape time.
func (a *Aggregator) Collector() prometheus.Collector {
	a.promOnce.Do(func() { a.prom = newPromCollector(a) })
	return a.prom
}

type ownMetric struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	val  func(a *Aggregator) float64
}

type promCollector struct {
	a       *Aggregator
	own     []ownMetric
	src     srcDescs
	mu      sync.Mutex // guards the caches
	lastD   map[string]*prometheus.Desc
	winD    map[string]*winDescs
	series  map[uint64]*promSeries
	seenGen uint64
}

type srcDescs struct {
	polls, failures, restarts, up, lastSuccess, pollDuration *prometheus.Desc
}

// winDescs are the window families for one set of series label names.
type winDescs struct {
	value, min, max, mean, last, rate *prometheus.Desc
}

// promSeries is how one series is exposed; built at its first scrape.
type promSeries struct {
	name        string
	metricValue string // the metric name as a label value
	last        *prometheus.Desc
	win         *winDescs
	values      []string // source, then the series' label values
	gen         uint64   // last scrape that saw it
}

func newPromCollector(a *Aggregator) *promCollector {
	c := &promCollector{a: a, lastD: map[string]*prometheus.Desc{}, winD: map[string]*winDescs{}, series: map[uint64]*promSeries{}}
	counter := func(name, help string, f func(a *Aggregator) float64) {
		c.own = append(c.own, ownMetric{prometheus.NewDesc(name, help, nil, nil), prometheus.CounterValue, f})
	}
	gauge := func(name, help string, f func(a *Aggregator) float64) {
		c.own = append(c.own, ownMetric{prometheus.NewDesc(name, help, nil, nil), prometheus.GaugeValue, f})
	}
	counter("pulseboard_samples_ingested_total", "Samples stored.", func(a *Aggregator) float64 { return float64(a.stats.ingested.Load()) })
	counter("pulseboard_samples_dropped_total", "Samples shed because the ingest queue stayed full.", func(a *Aggregator) float64 { return float64(a.stats.dropped.Load()) })
	counter("pulseboard_samples_invalid_total", "Samples rejected for a NaN or infinite value.", func(a *Aggregator) float64 { return float64(a.stats.invalid.Load()) })
	counter("pulseboard_samples_out_of_order_total", "Samples rejected for being older than their series' newest sample.", func(a *Aggregator) float64 { return float64(a.stats.outOfOrder.Load()) })
	counter("pulseboard_series_refused_total", "Samples refused because their new series would pass max_series or the per-source cap.", func(a *Aggregator) float64 { return float64(a.stats.refused.Load()) })
	counter("pulseboard_series_evicted_total", "Series evicted after no sample for longer than the history.", func(a *Aggregator) float64 { return float64(a.stats.evicted.Load()) })
	counter("pulseboard_broker_conflations_total", "Times a slow subscriber's pending deltas were merged into one.", func(a *Aggregator) float64 { return float64(a.stats.conflations.Load()) })
	counter("pulseboard_broker_dropped_subscribers_total", "Subscribers dropped for staying behind after a merge.", func(a *Aggregator) float64 { return float64(a.stats.droppedSubs.Load()) })
	counter("pulseboard_deltas_published_total", "Deltas published to subscribers.", func(a *Aggregator) float64 { return float64(a.stats.deltas.Load()) })
	gauge("pulseboard_series", "Series in the store.", func(a *Aggregator) float64 { return float64(len(a.st.byKey)) })
	gauge("pulseboard_history_bytes", "Bytes held by the compressed history of every series.", func(a *Aggregator) float64 { return float64(a.st.historyBytes()) })
	gauge("pulseboard_subscribers", "Live subscribers.", func(a *Aggregator) float64 { return float64(a.Subscribers()) })
	gauge("pulseboard_queue_length", "Batches waiting in the ingest queue.", func(a *Aggregator) float64 { return float64(len(a.queue)) })
	gauge("pulseboard_queue_capacity", "Capacity of the ingest queue in batches.", func(a *Aggregator) float64 { return float64(cap(a.queue)) })
	gauge("pulseboard_seq", "Sequence number of the latest published delta.", func(a *Aggregator) float64 { return float64(a.seq) })

	src := []string{"source"}
	c.src = srcDescs{
		polls:        prometheus.NewDesc("pulseboard_source_polls_total", "Polls of the source.", src, nil),
		failures:     prometheus.NewDesc("pulseboard_source_failures_total", "Failed polls of the source.", src, nil),
		restarts:     prometheus.NewDesc("pulseboard_source_restarts_total", "Restarts of the source's collector.", src, nil),
		up:           prometheus.NewDesc("pulseboard_source_up", "1 if the source is running, else 0.", src, nil),
		lastSuccess:  prometheus.NewDesc("pulseboard_source_last_success_timestamp_seconds", "Time of the source's last successful poll, 0 if never.", src, nil),
		pollDuration: prometheus.NewDesc("pulseboard_source_poll_duration_seconds", "Duration of the source's last poll.", src, nil),
	}
	return c
}

// Describe sends nothing: the collector is unchecked.
func (c *promCollector) Describe(chan<- *prometheus.Desc) {}

// Collect emits every metric. It holds the store's read lock while it
// walks the series.
func (c *promCollector) Collect(ch chan<- prometheus.Metric) {
	a := c.a
	if a.opts.Sources != nil {
		for _, s := range a.opts.Sources() {
			c.collectSource(ch, &s)
		}
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	for _, m := range c.own {
		ch <- prometheus.MustNewConstMetric(m.desc, m.typ, m.val(a))
	}
	c.collectSeries(ch)
}

func (c *promCollector) collectSource(ch chan<- prometheus.Metric, s *SourceInfo) {
	name := promLabelValue(s.Name)
	up := 0.0
	if s.State == StateRunning {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(c.src.polls, prometheus.CounterValue, float64(s.Polls), name)
	ch <- prometheus.MustNewConstMetric(c.src.failures, prometheus.CounterValue, float64(s.Failures), name)
	ch <- prometheus.MustNewConstMetric(c.src.restarts, prometheus.CounterValue, float64(s.Restarts), name)
	ch <- prometheus.MustNewConstMetric(c.src.up, prometheus.GaugeValue, up, name)
	ch <- prometheus.MustNewConstMetric(c.src.lastSuccess, prometheus.GaugeValue, float64(s.LastSuccess)/1000, name)
	ch <- prometheus.MustNewConstMetric(c.src.pollDuration, prometheus.GaugeValue, s.PollMs/1000, name)
}

// collectSeries emits the store's series. Must hold the store's read lock.
//
// A metric name may be a gauge in one source and a counter in another; a
// family has one type, so such a name is exposed as untyped. Two series
// may also end up with the same exposed name and labels once names are
// sanitised ("a.b" and "a_b"); the second is skipped rather than failing
// the scrape.
func (c *promCollector) collectSeries(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seenGen++
	all := c.a.st.all
	kinds := make(map[string]uint8, 64) // bit 1: gauge, bit 2: counter
	ps := make([]*promSeries, len(all))
	for i, s := range all {
		p := c.series[s.key]
		if p == nil {
			p = c.newPromSeries(s)
			c.series[s.key] = p
		}
		p.gen = c.seenGen
		ps[i] = p
		kinds[p.name] |= 1 << s.kind
	}
	seen := make(map[uint64]struct{}, len(all))
	names := c.a.names
	withWin := !c.a.opts.NoWindowMetrics
	for i, s := range all {
		p := ps[i]
		if s.hist.len() == 0 {
			continue
		}
		h := uint64(fnvOffset)
		h = fnvString(h, p.name)
		for _, v := range p.values {
			h = fnvString(fnvLen(h, len(v)), v)
		}
		if _, dup := seen[h]; dup {
			continue
		}
		seen[h] = struct{}{}
		typ := prometheus.GaugeValue
		switch kinds[p.name] {
		case 1 << KindCounter:
			typ = prometheus.CounterValue
		case 1<<KindCounter | 1<<KindGauge:
			typ = prometheus.UntypedValue
		}
		ch <- prometheus.MustNewConstMetric(p.last, typ, s.last.v, p.values...)
		if !withWin {
			continue
		}
		for wi := range s.wins {
			st := s.wins[wi].stats()
			if !st.Valid {
				continue
			}
			// metric, source, window, then the series' labels.
			vals := make([]string, 0, len(p.values)+2)
			vals = append(vals, p.metricValue, p.values[0], names[wi])
			vals = append(vals, p.values[1:]...)
			ch <- prometheus.MustNewConstSummary(p.win.value, uint64(st.Count), st.Sum,
				map[float64]float64{0.5: st.P50, 0.9: st.P90, 0.99: st.P99}, vals...)
			ch <- prometheus.MustNewConstMetric(p.win.min, prometheus.GaugeValue, st.Min, vals...)
			ch <- prometheus.MustNewConstMetric(p.win.max, prometheus.GaugeValue, st.Max, vals...)
			ch <- prometheus.MustNewConstMetric(p.win.mean, prometheus.GaugeValue, st.Mean, vals...)
			ch <- prometheus.MustNewConstMetric(p.win.last, prometheus.GaugeValue, st.Last, vals...)
			if st.HasRate {
				ch <- prometheus.MustNewConstMetric(p.win.rate, prometheus.GaugeValue, st.Rate, vals...)
			}
		}
	}
	// Forget series that are gone from the store.
	for k, p := range c.series {
		if p.gen != c.seenGen {
			delete(c.series, k)
		}
	}
}

func (c *promCollector) newPromSeries(s *series) *promSeries {
	p := &promSeries{name: promMetricName(s.metric), metricValue: promLabelValue(s.metric)}
	p.values = make([]string, 0, len(s.labels)+1)
	p.values = append(p.values, promLabelValue(s.source))
	for _, l := range s.labels {
		p.values = append(p.values, promLabelValue(l.Value))
	}
	// The last value: source first, then the series' own labels.
	lastNames := append([]string{"source"}, promLabelNames(s.labels, "source")...)
	key := p.name + "\x00" + strings.Join(lastNames, "\x00")
	if p.last = c.lastD[key]; p.last == nil {
		p.last = prometheus.NewDesc(p.name, "Last value of "+p.name+" from pulseboard's sources.", lastNames, nil)
		c.lastD[key] = p.last
	}
	winNames := append([]string{"metric", "source", "window"}, promLabelNames(s.labels, "metric", "source", "window", "quantile")...)
	wkey := strings.Join(winNames, "\x00")
	if p.win = c.winD[wkey]; p.win == nil {
		d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, winNames, nil) }
		p.win = &winDescs{
			value: d("pulseboard_window_value", "Values of a series over a window: quantiles 0.5, 0.9, 0.99 (within 1%), sum and count."),
			min:   d("pulseboard_window_min", "Smallest value of a series over a window."),
			max:   d("pulseboard_window_max", "Largest value of a series over a window."),
			mean:  d("pulseboard_window_mean", "Mean value of a series over a window."),
			last:  d("pulseboard_window_last", "Newest value of a series in a window."),
			rate:  d("pulseboard_window_rate", "Per-second increase of a series over a window; counter resets are taken into account."),
		}
		c.winD[wkey] = p.win
	}
	return p
}
