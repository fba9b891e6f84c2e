package notify

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// latencyBuckets are the upper bounds, in seconds, of the latency
// histogram: from a loopback Alertmanager (milliseconds) to the default
// timeout.
var latencyBuckets = [...]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// histogram counts observations into latencyBuckets. Its own lock: the
// sender writes it, scrapes read it.
type histogram struct {
	mu     sync.Mutex
	counts [len(latencyBuckets)]uint64 // per bucket, not cumulative
	count  uint64
	sum    float64
}

func (h *histogram) observe(v float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, le := range latencyBuckets {
		if v <= le {
			h.counts[i]++
			break
		}
	}
	h.count++
	h.sum += v
}

// snapshot returns the count, the sum and the cumulative buckets.
func (h *histogram) snapshot() (uint64, float64, map[float64]uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	buckets := make(map[float64]uint64, len(latencyBuckets))
	var cum uint64
	for i, le := range latencyBuckets {
		cum += h.counts[i]
		buckets[le] = cum
	}
	return h.count, h.sum, buckets
}

var (
	targetLabel = []string{"target"}
	sentDesc    = prometheus.NewDesc("pulseboard_notifications_sent_total",
		"Alerts delivered to the target.", targetLabel, nil)
	errorsDesc = prometheus.NewDesc("pulseboard_notifications_errors_total",
		"Alerts in requests to the target that failed; each try counts.", targetLabel, nil)
	droppedDesc = prometheus.NewDesc("pulseboard_notifications_dropped_total",
		"Alerts never delivered to the target: its queue was full (the oldest go), its requests failed for good or too often, or the alert could not be encoded.",
		targetLabel, nil)
	queueLengthDesc = prometheus.NewDesc("pulseboard_notifications_queue_length",
		"Alerts waiting in the target's queue.", targetLabel, nil)
	queueCapacityDesc = prometheus.NewDesc("pulseboard_notifications_queue_capacity",
		"Capacity, in alerts, of each target's queue.", nil, nil)
	latencyDesc = prometheus.NewDesc("pulseboard_notifications_latency_seconds",
		"Time to deliver one batch of alerts to the target, successful requests only.", targetLabel, nil)
)

// collector is the Prometheus view of a Notifier, built at scrape time.
type collector struct{ n *Notifier }

// Collector returns the Notifier's metrics (see the package doc), every
// target's at 0 from the start. Register it once.
func (n *Notifier) Collector() prometheus.Collector {
	n.prom.Do(func() { n.col = &collector{n} })
	return n.col
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{sentDesc, errorsDesc, droppedDesc, queueLengthDesc, queueCapacityDesc, latencyDesc} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(queueCapacityDesc, prometheus.GaugeValue, float64(c.n.opts.QueueCapacity))
	for _, t := range c.n.targets {
		ch <- prometheus.MustNewConstMetric(sentDesc, prometheus.CounterValue, float64(t.sent.Load()), t.name)
		ch <- prometheus.MustNewConstMetric(errorsDesc, prometheus.CounterValue, float64(t.errors.Load()), t.name)
		ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(t.dropped.Load()), t.name)
		ch <- prometheus.MustNewConstMetric(queueLengthDesc, prometheus.GaugeValue, float64(t.queued()), t.name)
		count, sum, buckets := t.latency.snapshot()
		ch <- prometheus.MustNewConstHistogram(latencyDesc, count, sum, buckets, t.name)
	}
}
