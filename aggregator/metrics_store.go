package aggregator

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// The store's series are exposed through a metric type of our own rather
// than prometheus.NewConstMetric: a series' label pairs are built once and
// reused by every scrape, and the series are emitted already in the order
// the registry sorts them into, which makes its sort a linear pass. With
// 100k series that is most of a scrape's cost.

type promCollector struct {
	a   *Aggregator
	own []ownMetric
	src srcDescs

	mu      sync.Mutex // one scrape at a time; guards everything below
	lastD   map[string]*prometheus.Desc
	winD    map[string]*winDescs
	series  map[uint64]*promSeries
	peak    int // the most series has held since it was last rebuilt
	gen     uint64
	dirty   bool          // the set of series changed: rebuild the orders
	order   []*promSeries // by family name, then the registry's label order
	famType map[string]prometheus.ValueType
	winOrd  []winEntry // window metrics, in the registry's label order
	winDone bool       // winOrd is built for the current order
	nWin    int
	cut     []*series // the store's series at the start of a scrape

	// direct: the store's series are written by AppendStoreMetrics, not
	// emitted by Collect.
	direct atomic.Bool
}

// winDescs are the window families for one set of series label names.
type winDescs struct {
	value, min, max, mean, last, rate *prometheus.Desc
}

// promSeries is how one series is exposed; built at its first scrape.
type promSeries struct {
	name    string // exposed family name
	kind    Kind
	skey    uint64 // the store's key
	metric  string // the store identity, for the window labels
	source  string
	lsrc    Labels
	key     string // the registry's sort key: label count, then values by label name
	last    *prometheus.Desc
	labels  []*dto.LabelPair // sorted by name
	win     *winDescs
	winLbls [][]*dto.LabelPair // per window, built when first needed
	winKeys []string
	gen     uint64

	// Copied from the store under its lock for the current scrape.
	val   float64
	has   bool
	stats []windowStats
}

type winEntry struct {
	p  *promSeries
	wi int
}

// promChunk is how many series a scrape copies per hold of the store's
// read lock at least: ingest and publish wait about that long for a
// scrape (about a millisecond with window statistics).
const promChunk = 1024

// maxScrapeHolds bounds the holds of the read lock one scrape takes: a
// big store is copied in larger chunks (600,000 series without window
// statistics: 37,500 a hold, a few milliseconds). Each hold may wait for
// one write (a batch stored, a publish), and with wide sources behind
// a backlog a write is a batch of 100,000 samples: 586 holds of 1,024
// series made a scrape of 600,000 series take 81 s on one core.
const maxScrapeHolds = 16

// scrapeChunk is how many series a scrape of n copies per hold.
func scrapeChunk(n int) int { return max(promChunk, (n+maxScrapeHolds-1)/maxScrapeHolds) }

// chunkHook, when set by a test, runs after each chunk, with no lock of the
// store held.
var chunkHook func()

// refresh copies the current values out of the store: the list of series
// in one short hold of the store's read lock, then their values in chunks
// (scrapeChunk), each under the lock. A series evicted between two chunks
// is left out; the values are thus not one cut of the store, as no
// scrape of a live exporter is. Must hold c.mu, not the store's lock.
func (c *promCollector) refresh(withWin bool) {
	c.gen++
	a := c.a
	a.mu.RLock()
	c.nWin = len(a.names)
	c.cut = append(refill(c.cut, len(a.st.all)), a.st.all...)
	a.mu.RUnlock()
	seen := 0
	chunk := scrapeChunk(len(c.cut))
	for lo := 0; lo < len(c.cut); lo += chunk {
		a.mu.RLock()
		for _, s := range c.cut[lo:min(lo+chunk, len(c.cut))] {
			if !s.evicted && (a.opts.Export == nil || a.opts.Export(s.source)) {
				c.copySeries(s, withWin)
				seen++
			}
		}
		a.mu.RUnlock()
		if chunkHook != nil {
			chunkHook()
		}
	}
	clear(c.cut) // pin no evicted series until the next scrape
	if len(c.series) != seen {
		for k, p := range c.series {
			if p.gen != c.gen {
				delete(c.series, k)
				c.dirty = true
			}
		}
		if worthRebuilding(len(c.series), c.peak) {
			c.series, c.peak = rebuiltMap(c.series), len(c.series)
		}
	}
	if c.dirty {
		c.rebuildOrder()
	}
}

// copySeries takes one series' values. Must hold c.mu and the store's read
// lock.
func (c *promCollector) copySeries(s *series, withWin bool) {
	p := c.series[s.key]
	if p == nil {
		p = c.newPromSeries(s)
		c.series[s.key] = p
		c.peak = max(c.peak, len(c.series))
		c.dirty = true
	}
	p.gen = c.gen
	// A stale series is left out, windows too: Prometheus' staleness.
	p.val, p.has = s.last.v, s.hist.len() > 0 && !s.stale
	if !withWin {
		p.stats = nil
		return
	}
	if p.stats == nil {
		p.stats = make([]windowStats, len(s.wins))
	}
	for i := range s.wins {
		p.stats[i] = s.wins[i].stats()
	}
}

func (c *promCollector) rebuildOrder() {
	c.dirty = false
	c.winDone = false
	c.order = refill(c.order, len(c.series))
	for _, p := range c.series {
		c.order = append(c.order, p)
	}
	// Ties (equal label values) are broken by label names, then by the
	// store identity, so that output and de-duplication are deterministic.
	slices.SortFunc(c.order, func(x, y *promSeries) int {
		return cmp.Or(strings.Compare(x.name, y.name), strings.Compare(x.key, y.key),
			compareNames(x.labels, y.labels), strings.Compare(x.metric, y.metric),
			strings.Compare(x.source, y.source), cmp.Compare(x.skey, y.skey))
	})
	// A name that is a counter in one source and a gauge in another is
	// exposed as untyped: a family has one type. So is a family that its
	// type would make promtool refuse (see typeFits).
	kinds := map[string]uint8{}
	const histLabels = 1 << 7
	for _, p := range c.order {
		kinds[p.name] |= 1 << p.kind
		if hasLabel(p.labels, "le") || hasLabel(p.labels, "quantile") {
			kinds[p.name] |= histLabels
		}
	}
	c.famType = make(map[string]prometheus.ValueType, len(kinds))
	for name, k := range kinds {
		typ := prometheus.UntypedValue
		switch k {
		case 1 << KindCounter:
			typ = prometheus.CounterValue
		case 1 << KindGauge:
			typ = prometheus.GaugeValue
		}
		if typ != prometheus.UntypedValue && !typeFits(name, typ) {
			typ = prometheus.UntypedValue
		}
		c.famType[name] = typ
	}
}

// typeFits reports whether a family called name may be exposed as a
// counter or a gauge by promtool's rules: a counter's name ends in _total
// and a gauge's does not, neither ends in a histogram's or a summary's
// _bucket, _count or _sum nor names its own type. Sources send such
// families (the parts of a histogram or a summary, a counter without
// _total); untyped, they keep their names and labels, and promtool lints
// none of that. A family whose series carry le or quantile labels (the
// buckets or quantiles of a histogram or summary) is untyped for the same
// reason.
func typeFits(name string, typ prometheus.ValueType) bool {
	lower := strings.ToLower(name)
	if typ == prometheus.CounterValue {
		return strings.HasSuffix(name, "_total") && !strings.Contains(lower, "_counter_") && !strings.HasSuffix(lower, "_counter")
	}
	for _, suffix := range []string{"_total", "_bucket", "_count", "_sum"} {
		if strings.HasSuffix(name, suffix) {
			return false
		}
	}
	return !strings.Contains(lower, "_gauge_") && !strings.HasSuffix(lower, "_gauge")
}

func hasLabel(ls []*dto.LabelPair, name string) bool {
	for _, l := range ls {
		if *l.Name == name {
			return true
		}
	}
	return false
}

func (c *promCollector) buildWinOrder() {
	c.winDone = true
	c.winOrd = refill(c.winOrd, len(c.order)*c.nWin)
	for _, p := range c.order {
		if p.winLbls == nil {
			c.windowLabels(p)
		}
		for wi := range c.nWin {
			c.winOrd = append(c.winOrd, winEntry{p, wi})
		}
	}
	slices.SortFunc(c.winOrd, func(x, y winEntry) int {
		return cmp.Or(strings.Compare(x.p.winKeys[x.wi], y.p.winKeys[y.wi]),
			compareNames(x.p.winLbls[x.wi], y.p.winLbls[y.wi]), strings.Compare(x.p.metric, y.p.metric),
			strings.Compare(x.p.source, y.p.source), cmp.Compare(x.p.skey, y.p.skey))
	})
}

// emitSeries sends the series' metrics. Must hold c.mu (not the store lock).
func (c *promCollector) emitSeries(ch chan<- prometheus.Metric, withWin bool) {
	slab := make([]storeMetric, 0, len(c.order))
	var prev *promSeries
	for _, p := range c.order {
		if !p.has {
			continue
		}
		// Two series may meet once names are sanitised ("a.b", "a_b");
		// the sort put them side by side: keep the first.
		if prev != nil && prev.name == p.name && prev.key == p.key && sameNames(prev.labels, p.labels) {
			continue
		}
		prev = p
		slab = append(slab, storeMetric{desc: p.last, labels: p.labels, typ: c.famType[p.name], val: p.val})
		ch <- &slab[len(slab)-1]
	}
	if !withWin {
		return
	}
	if !c.winDone {
		c.buildWinOrder()
	}
	wslab := make([]storeMetric, 0, 6*len(c.winOrd))
	send := func(m storeMetric) {
		wslab = append(wslab, m)
		ch <- &wslab[len(wslab)-1]
	}
	c.eachWindowEntry(func(e winEntry) {
		p := e.p
		st := &p.stats[e.wi]
		l := p.winLbls[e.wi]
		send(storeMetric{desc: p.win.value, labels: l, summary: st})
		send(storeMetric{desc: p.win.min, labels: l, typ: prometheus.GaugeValue, val: st.Min})
		send(storeMetric{desc: p.win.max, labels: l, typ: prometheus.GaugeValue, val: st.Max})
		send(storeMetric{desc: p.win.mean, labels: l, typ: prometheus.GaugeValue, val: st.Mean})
		send(storeMetric{desc: p.win.last, labels: l, typ: prometheus.GaugeValue, val: st.Last})
		if st.HasRate {
			send(storeMetric{desc: p.win.rate, labels: l, typ: prometheus.GaugeValue, val: st.Rate})
		}
	})
}

// eachWindowEntry calls fn with each window entry that is exported, in
// winOrd's order: the series has statistics for that window, and it is not
// a second entry whose exposed identity (winKeys, label names) equals the
// one before (series that differ only where /metrics cannot tell them
// apart keep the first). Both the registry path and the direct writer use
// it, so they export the same entries.
func (c *promCollector) eachWindowEntry(fn func(winEntry)) {
	var prevL []*dto.LabelPair
	prevKey := ""
	for _, e := range c.winOrd {
		p := e.p
		if !p.has || p.stats == nil || !p.stats[e.wi].Valid {
			continue
		}
		l := p.winLbls[e.wi]
		if prevL != nil && p.winKeys[e.wi] == prevKey && sameNames(prevL, l) {
			continue
		}
		prevL, prevKey = l, p.winKeys[e.wi]
		fn(e)
	}
}

// storeMetric is one sample of a store series, or a window's summary.
type storeMetric struct {
	desc    *prometheus.Desc
	labels  []*dto.LabelPair // shared between scrapes: never modified
	typ     prometheus.ValueType
	val     float64
	summary *windowStats
}

func (m *storeMetric) Desc() *prometheus.Desc { return m.desc }

func (m *storeMetric) Write(out *dto.Metric) error {
	out.Label = m.labels
	if s := m.summary; s != nil {
		count, sum := uint64(s.Count), s.Sum
		qs := []float64{0.5, 0.9, 0.99}
		vs := []float64{s.P50, s.P90, s.P99}
		out.Summary = &dto.Summary{SampleCount: &count, SampleSum: &sum, Quantile: make([]*dto.Quantile, 3)}
		for i := range qs {
			out.Summary.Quantile[i] = &dto.Quantile{Quantile: &qs[i], Value: &vs[i]}
		}
		return nil
	}
	v := m.val
	switch m.typ {
	case prometheus.CounterValue:
		out.Counter = &dto.Counter{Value: &v}
	case prometheus.GaugeValue:
		out.Gauge = &dto.Gauge{Value: &v}
	default:
		out.Untyped = &dto.Untyped{Value: &v}
	}
	return nil
}

// compareNames orders two sorted label sets by their names.
func compareNames(a, b []*dto.LabelPair) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(*a[i].Name, *b[i].Name); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// sameNames reports whether two sorted label sets have the same names.
func sameNames(a, b []*dto.LabelPair) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if *a[i].Name != *b[i].Name {
			return false
		}
	}
	return true
}

// labelPairs builds sorted label pairs and the registry's sort key for them.
func labelPairs(names, values []string) ([]*dto.LabelPair, string) {
	pairs := make([]*dto.LabelPair, len(names))
	for i := range names {
		pairs[i] = &dto.LabelPair{Name: &names[i], Value: &values[i]}
	}
	slices.SortFunc(pairs, func(x, y *dto.LabelPair) int { return strings.Compare(*x.Name, *y.Name) })
	var key strings.Builder
	key.WriteByte(byte(min(len(pairs), 255)))
	for _, lp := range pairs {
		key.WriteString(*lp.Value)
		key.WriteByte(0)
	}
	return pairs, key.String()
}

func (c *promCollector) newPromSeries(s *series) *promSeries {
	p := &promSeries{name: promMetricName(s.metric), kind: s.kind}
	names := append([]string{"source"}, promLabelNames(s.labels, "source")...)
	values := make([]string, 0, len(names))
	values = append(values, promLabelValue(s.source))
	for _, l := range s.labels {
		values = append(values, promLabelValue(l.Value))
	}
	p.labels, p.key = labelPairs(names, values)
	dkey := p.name + "\x00" + strings.Join(names, "\x00")
	if p.last = c.lastD[dkey]; p.last == nil {
		p.last = prometheus.NewDesc(p.name, lastValueHelp(p.name), names, nil)
		c.lastD[dkey] = p.last
	}
	// Window labels are built only when window metrics are first on.
	p.metric, p.source, p.lsrc, p.skey = s.metric, s.source, s.labels, s.key
	return p
}

// windowLabels builds a series' window label pairs: metric, source and
// window, then its own labels, renamed with "exported_" if they clash with
// those or with the labels promtool reserves for histograms and summaries
// (le, quantile): the window families are a summary and gauges, and a
// histogram's buckets would otherwise bring their le along.
func (c *promCollector) windowLabels(p *promSeries) {
	names := append([]string{"metric", "source", "window"}, promLabelNames(p.lsrc, "metric", "source", "window", "quantile", "le")...)
	wkey := strings.Join(names, "\x00")
	if p.win = c.winD[wkey]; p.win == nil {
		d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, names, nil) }
		p.win = &winDescs{
			value: d("pulseboard_window_value", helpWinValue),
			min:   d("pulseboard_window_min", helpWinMin),
			max:   d("pulseboard_window_max", helpWinMax),
			mean:  d("pulseboard_window_mean", helpWinMean),
			last:  d("pulseboard_window_last", helpWinLast),
			rate:  d("pulseboard_window_rate", helpWinRate),
		}
		c.winD[wkey] = p.win
	}
	p.winLbls = make([][]*dto.LabelPair, c.nWin)
	p.winKeys = make([]string, c.nWin)
	for wi := range c.nWin {
		values := make([]string, 0, len(names))
		values = append(values, promLabelValue(p.metric), promLabelValue(p.source), c.a.names[wi])
		for _, l := range p.lsrc {
			values = append(values, promLabelValue(l.Value))
		}
		p.winLbls[wi], p.winKeys[wi] = labelPairs(names, values)
	}
}
