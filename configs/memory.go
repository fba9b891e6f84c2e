package configs

import (
	"fmt"
	"math"
)

// What a series costs, by what its config sizes, for the estimate checked
// against aggregator.memory_limit. In the store, measured with the
// aggregator's BenchmarkSeriesMemory (10,000 random-walk gauges of
// full-precision values, the worst case for the history's compression; Go
// heap in use after a GC): 2,462 bytes a series with 1 window and 10
// points, 5,831 with 3 windows and 10 points, 8,817 with 3 windows and 300
// points; 72 bytes a queued sample whose labels the source shares. On the
// binary, one simulated source of 100,000 series at 1s with one window
// and 74 points held 450 MB of live heap (4.5 KB a series, 1.3 KB more
// than the store's share: the source's own series, the /metrics copy).
// Rounded up. The process's resident memory is the heap plus what the
// garbage collector has not returned yet: about 1.5 times the heap at
// pulseboard's GOGC of 50 (712 MB resident for those 450 MB).
const (
	// seriesBytes is a series' identity, indexes and history headers in
	// the store, and its share of the rest of the program.
	seriesBytes = 2000
	// windowBytes is one window's statistics for one series: 60 slices
	// and a quantile sketch.
	windowBytes = 1700
	// pointBytes is one point of history, with what it adds to the
	// windows' sketches.
	pointBytes = 10.5
	// queuedSampleBytes is one sample waiting in the ingest queue, with
	// labels of its own (a scrape's).
	queuedSampleBytes = 128
	// gcHeadroom is what the garbage collector lets the heap grow to
	// between two collections, over what it keeps: 1 + GOGC/100 at
	// pulseboard's GOGC of 50. The limit is held against the heap times
	// this, and the runtime is given the limit as its own (cmd/pulseboard
	// tuneGC), so that a heap the estimate allows is never collected in a
	// loop.
	gcHeadroom = 1.5
)

// DefaultMemoryLimit is aggregator.memory_limit's default: the demo and
// every example config estimate at well under half of it.
const DefaultMemoryLimit = ByteSize(2 << 30)

// memoryEstimate adds up, source by source, the bytes the store may take:
// every series a source is known to make (a simulated source's count; a
// source that learns its series as it polls is not charged; all of them
// together no more than max_series)
// times what a series costs with the configured windows and the points
// its interval fills the history with, plus the ingest queue at its
// fullest.
type memoryEstimate struct {
	series int     // counted so far, at most max_series
	bytes  float64 // estimated so far
	over   bool    // reported already
}

// start charges the ingest queue, and reports it at queue_samples if it
// alone passes the limit.
func (m *memoryEstimate) start(p *problems, limits Aggregator, running string) {
	m.bytes = float64(limits.QueueSamples) * queuedSampleBytes
	if limit := float64(limits.MemoryLimit); limit > 0 && m.bytes*gcHeadroom > limit {
		m.over = true
		p.addf("aggregator.queue_samples", "a queue of %d samples takes about %s (with the garbage collector's headroom), more than %saggregator.memory_limit (%s)",
			limits.QueueSamples, humanBytes(m.bytes*gcHeadroom), running, humanBytes(limit))
	}
}

// add charges n series of a source polled every intervalSec seconds (0:
// no history counted) and returns, the first time the estimate passes
// the limit, what to report at the source. what names the series' bound.
func (m *memoryEstimate) add(limits Aggregator, n int, intervalSec float64, what, running, restart string) string {
	if limits.MaxSeries > 0 {
		n = min(n, limits.MaxSeries-m.series)
	}
	if n <= 0 {
		return ""
	}
	m.series += n
	points := 0.0
	if intervalSec > 0 {
		points = math.Ceil(limits.History.D().Seconds() / intervalSec)
	}
	perSeries := seriesBytes + windowBytes*float64(len(limits.Windows)) + pointBytes*points
	m.bytes += float64(n) * perSeries
	limit := float64(limits.MemoryLimit)
	if m.over || limit <= 0 || m.bytes*gcHeadroom <= limit {
		return ""
	}
	m.over = true
	return fmt.Sprintf("pulseboard would take about %s with the sources up to this one (a %s heap and half again for the garbage collector; "+
		"this one: %d series%s of about %s: %d windows, %.0f points of history), more than %saggregator.memory_limit (%s%s): "+
		"lower the series, windows or history, poll less often, or raise memory_limit",
		humanBytes(m.bytes*gcHeadroom), humanBytes(m.bytes), n, what, humanBytes(perSeries), len(limits.Windows), points, running, humanBytes(limit), restart)
}

// humanBytes writes a byte count with one decimal in the largest binary
// unit below it: "5.4GiB", "8.8KiB".
func humanBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 || b == math.Trunc(b) {
		return fmt.Sprintf("%.0f%s", b, units[i])
	}
	return fmt.Sprintf("%.1f%s", b, units[i])
}

// estimateMemory is the estimated heap of c held to its own limits, in
// bytes (without gcHeadroom), for tests and the docs' figures.
func (c *Config) estimateMemory() float64 {
	var p problems
	b := newSeriesBudget(&p, c.Aggregator, nil)
	for i := range c.Sources {
		b.check(&p, index("sources", i), &c.Sources[i])
	}
	return b.memory.bytes
}
