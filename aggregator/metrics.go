package aggregator

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collector returns the Prometheus view of the aggregator: the store's
// series, their window statistics, pulseboard's own metrics and the
// per-source metrics. Everything is built at scrape time (see the package
// doc for the names). The collector is unchecked: it describes nothing up
// front, since the store's families are only known at scrape time.
func (a *Aggregator) Collector() prometheus.Collector {
	a.promOnce.Do(func() { a.prom = newPromCollector(a) })
	return a.prom
}

type ownMetric struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	val  func(a *Aggregator) float64
}

// rejectedDesc is pulseboard_samples_rejected_total{reason}: every reason
// is exported from the start, at 0, so that a rate over it is never absent.
var rejectedDesc = prometheus.NewDesc("pulseboard_samples_rejected_total",
	"Samples refused by reason: too_old (older than the history), out_of_order (older than their series' newest sample), "+
		"duplicate (at their series' newest time with another value), too_far_ahead (stamped further ahead than the history).",
	[]string{"reason"}, nil)

// refusedDesc is pulseboard_series_refused_total{reason}, both reasons
// from the start.
var refusedDesc = prometheus.NewDesc("pulseboard_series_refused_total",
	"Samples refused because their new series would pass a limit, by reason: series_limit (max_series or max_series_per_source), "+
		"memory_limit (the estimate held against aggregator.memory_limit), churn_limit (a new series past its source's aggregator.max_new_series_per_hour or all sources' max_new_series_per_hour_all_sources). At series_limit or memory_limit a source with stale series has them replaced instead (pulseboard_series_replaced_total).",
	[]string{"reason"}, nil)

// sourceRejectedDesc is pulseboard_source_samples_rejected_total{source,
// reason}: a source's samples the store refused, for the reasons it had.
var sourceRejectedDesc = prometheus.NewDesc("pulseboard_source_samples_rejected_total",
	"Samples of the source the store refused, by reason: too_old, out_of_order, duplicate, too_far_ahead (as pulseboard_samples_rejected_total), "+
		"series_limit (a new series over aggregator.max_series or max_series_per_source), memory_limit (a new series past aggregator.memory_limit's estimate), churn_limit (a new series past the source's aggregator.max_new_series_per_hour or all sources' max_new_series_per_hour_all_sources). The latest is also the source's last_warning.",
	[]string{"source", "reason"}, nil)

type srcDescs struct {
	polls, failures, restarts, up, running, lastSuccess, pollDuration *prometheus.Desc
}

func newPromCollector(a *Aggregator) *promCollector {
	c := &promCollector{
		a:      a,
		lastD:  map[string]*prometheus.Desc{},
		winD:   map[string]*winDescs{},
		series: map[uint64]*promSeries{},
	}
	counter := func(name, help string, f func(a *Aggregator) float64) {
		c.own = append(c.own, ownMetric{prometheus.NewDesc(name, help, nil, nil), prometheus.CounterValue, f})
	}
	gauge := func(name, help string, f func(a *Aggregator) float64) {
		c.own = append(c.own, ownMetric{prometheus.NewDesc(name, help, nil, nil), prometheus.GaugeValue, f})
	}
	counter("pulseboard_samples_ingested_total", "Samples stored.", func(a *Aggregator) float64 { return float64(a.stats.ingested.Load()) })
	counter("pulseboard_samples_dropped_total", "Samples shed because the ingest queue stayed full (aggregator.queue_size batches or queue_samples samples) for longer than the push wait; the source counts the batch in pulseboard_source_batches_shed_total and says so in its last_warning.", func(a *Aggregator) float64 { return float64(a.stats.dropped.Load()) })
	counter("pulseboard_series_evicted_total", "Series evicted after no sample for longer than the history.", func(a *Aggregator) float64 { return float64(a.stats.evicted.Load()) })
	counter("pulseboard_series_replaced_total", "Stale series evicted to make room for a new series of the same source at max_series_per_source, max_series or the memory budget (series churn); announced removed like an eviction.", func(a *Aggregator) float64 { return float64(a.stats.replaced.Load()) })
	counter("pulseboard_broker_conflations_total", "Times the deltas a resuming subscriber missed were merged into one (slow subscribers are dropped and resynced, never merged).", func(a *Aggregator) float64 { return float64(a.stats.conflations.Load()) })
	counter("pulseboard_broker_dropped_subscribers_total", "Subscribers dropped for staying behind after a merge.", func(a *Aggregator) float64 { return float64(a.stats.droppedSubs.Load()) })
	counter("pulseboard_tier_blocks_shed_total", "Aggregate blocks given up while writes to storage kept failing (beyond what memory keeps for the next try).", func(a *Aggregator) float64 { return float64(a.stats.tierShed.Load()) })
	counter("pulseboard_tier_flush_failures_total", "Flushes of the history to storage that failed (the data stays in memory and is tried again at the next flush).", func(a *Aggregator) float64 { return float64(a.stats.flushFailures.Load()) })
	counter("pulseboard_storage_journal_skipped_total", "Journal values and open tails left out when the journal was replayed at start: they do not decode (each such tail keeps what was written of it whole).", func(a *Aggregator) float64 { return float64(a.stats.journalSkipped.Load()) })
	counter("pulseboard_events_restore_skipped_total", "Stored events left out when the event log was restored at start: records that do not decode.", func(a *Aggregator) float64 { return float64(a.stats.eventsSkipped.Load()) })
	counter("pulseboard_events_dropped_total", "Announced events dropped because too many were waiting for the next delta.", func(a *Aggregator) float64 { return float64(a.stats.eventsDropped.Load()) })
	counter("pulseboard_samples_orphaned_total", "Samples of a source removed from the config that were still queued when it went.", func(a *Aggregator) float64 { return float64(a.stats.orphaned.Load()) })
	counter("pulseboard_series_paced_total", "Times a series with changes was left for a later delta because its source had more to publish than one delta takes (a wide source's poll is spread over about two seconds).", func(a *Aggregator) float64 { return float64(a.stats.paced.Load()) })
	counter("pulseboard_deltas_published_total", "Deltas published to subscribers.", func(a *Aggregator) float64 { return float64(a.stats.deltas.Load()) })
	// The gauges below read the store: called under its read lock.
	gauge("pulseboard_series", "Series in the store.", func(a *Aggregator) float64 { return float64(len(a.st.byKey)) })
	gauge("pulseboard_series_memory_estimate_bytes", "What the store's series are estimated to take (the per-series estimate aggregator.memory_limit is checked with: 2,000 bytes, 1,700 a window, 10.5 a point of history at the source's interval).", func(a *Aggregator) float64 { return a.st.estimatedBytes() })
	gauge("pulseboard_series_memory_budget_bytes", "What aggregator.memory_limit leaves the series (the limit over the garbage collector's headroom of 1.5, less the full ingest queue); a new series past it is refused (reason memory_limit). 0: no limit.", func(a *Aggregator) float64 { return a.st.mem.limit })
	gauge("pulseboard_history_bytes", "Bytes held by the compressed history of every series.", func(a *Aggregator) float64 { return float64(a.st.historyBytes()) })
	gauge("pulseboard_history_points", "Points held by the history of every series; pulseboard_history_bytes over it is the bytes a sample.", func(a *Aggregator) float64 { return float64(a.st.historyPoints()) })
	gauge("pulseboard_subscribers", "Live subscribers.", func(a *Aggregator) float64 { return float64(a.Subscribers()) })
	gauge("pulseboard_queue_length", "Batches waiting in the ingest queue.", func(a *Aggregator) float64 { return float64(len(a.queue)) })
	gauge("pulseboard_queue_samples", "Samples waiting in the ingest queue.", func(a *Aggregator) float64 { return float64(a.budget.queued()) })
	gauge("pulseboard_queue_samples_capacity", "Capacity of the ingest queue in samples (a wider batch is taken only into an empty queue).", func(a *Aggregator) float64 { return float64(a.budget.limit) })
	gauge("pulseboard_queue_capacity", "Capacity of the ingest queue in batches.", func(a *Aggregator) float64 { return float64(cap(a.queue)) })
	gauge("pulseboard_seq", "Sequence number of the latest published delta.", func(a *Aggregator) float64 { return float64(a.seq) })
	gauge("pulseboard_window_metrics_enabled", "1 if the per-series window statistics are in this scrape, 0 if the store holds more series than the limit for them.", func(a *Aggregator) float64 {
		return float64(boolInt(a.windowMetricsOn()))
	})

	src := []string{"source"}
	c.src = srcDescs{
		polls:        prometheus.NewDesc("pulseboard_source_polls_total", "Polls of the source.", src, nil),
		failures:     prometheus.NewDesc("pulseboard_source_failures_total", "Failed polls of the source.", src, nil),
		restarts:     prometheus.NewDesc("pulseboard_source_restarts_total", "Restarts of the source's collector.", src, nil),
		up:           prometheus.NewDesc("pulseboard_source_up", "1 if the source's last poll succeeded, else 0 (also before its first poll ends), as up is in Prometheus.", src, nil),
		running:      prometheus.NewDesc("pulseboard_source_running", "1 if the source's collector is running under its supervisor (not starting, backing off, failed or stopped), else 0.", src, nil),
		lastSuccess:  prometheus.NewDesc("pulseboard_source_last_success_timestamp_seconds", "Time of the source's last successful poll, 0 if never.", src, nil),
		pollDuration: prometheus.NewDesc("pulseboard_source_poll_duration_seconds", "Duration of the source's last poll.", src, nil),
	}
	return c
}

// windowMetricsOn says whether this scrape carries window statistics. Must
// hold the store's read lock.
func (a *Aggregator) windowMetricsOn() bool {
	return a.opts.WindowMetricsMaxSeries >= 0 && len(a.st.byKey) <= a.opts.WindowMetricsMaxSeries
}

// Describe sends nothing: the collector is unchecked.
func (c *promCollector) Describe(chan<- *prometheus.Desc) {}

// Collect emits every metric (the store's series only while
// ExposeStoreDirectly was not called). It holds the store's read lock only
// while it copies values out, in chunks (see refresh), never while the
// registry consumes them.
func (c *promCollector) Collect(ch chan<- prometheus.Metric) {
	a := c.a
	if a.opts.Sources != nil {
		for _, s := range a.opts.Sources() {
			// A remote source's health is its own node's to export, as its
			// series are.
			if a.opts.Export == nil || a.opts.Export(s.Name) {
				c.collectSource(ch, &s)
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	a.mu.RLock()
	own := make([]float64, len(c.own))
	for i, m := range c.own {
		own[i] = m.val(a)
	}
	type srcRejects struct {
		source string
		total  [numStoreRejects]uint64
	}
	bySrc := make([]srcRejects, 0, len(a.st.rejectsBySrc))
	for name, r := range a.st.rejectsBySrc {
		bySrc = append(bySrc, srcRejects{name, r.total})
	}
	withWin := a.windowMetricsOn()
	a.mu.RUnlock()
	direct := c.direct.Load()
	if !direct {
		c.refresh(withWin)
	}

	for i, m := range c.own {
		ch <- prometheus.MustNewConstMetric(m.desc, m.typ, own[i])
	}
	for r := range a.stats.rejected {
		ch <- prometheus.MustNewConstMetric(rejectedDesc, prometheus.CounterValue, float64(a.stats.rejected[r].Load()), rejectReasonNames[r])
	}
	ch <- prometheus.MustNewConstMetric(refusedDesc, prometheus.CounterValue, float64(a.stats.refused.Load()), "series_limit")
	ch <- prometheus.MustNewConstMetric(refusedDesc, prometheus.CounterValue, float64(a.stats.refusedMemory.Load()), "memory_limit")
	ch <- prometheus.MustNewConstMetric(refusedDesc, prometheus.CounterValue, float64(a.stats.refusedChurn.Load()), "churn_limit")
	for _, s := range bySrc {
		for r, n := range s.total {
			if n > 0 {
				ch <- prometheus.MustNewConstMetric(sourceRejectedDesc, prometheus.CounterValue, float64(n), promLabelValue(s.source), storeRejectNames[r])
			}
		}
	}
	if !direct {
		c.emitSeries(ch, withWin)
	}
}

func (c *promCollector) collectSource(ch chan<- prometheus.Metric, s *SourceInfo) {
	name := promLabelValue(s.Name)
	up, running := 0.0, 0.0
	if s.Up {
		up = 1
	}
	if s.State == StateRunning {
		running = 1
	}
	ch <- prometheus.MustNewConstMetric(c.src.polls, prometheus.CounterValue, float64(s.Polls), name)
	ch <- prometheus.MustNewConstMetric(c.src.failures, prometheus.CounterValue, float64(s.Failures), name)
	ch <- prometheus.MustNewConstMetric(c.src.restarts, prometheus.CounterValue, float64(s.Restarts), name)
	ch <- prometheus.MustNewConstMetric(c.src.up, prometheus.GaugeValue, up, name)
	ch <- prometheus.MustNewConstMetric(c.src.running, prometheus.GaugeValue, running, name)
	ch <- prometheus.MustNewConstMetric(c.src.lastSuccess, prometheus.GaugeValue, float64(s.LastSuccess)/1000, name)
	ch <- prometheus.MustNewConstMetric(c.src.pollDuration, prometheus.GaugeValue, s.PollMs/1000, name)
}
