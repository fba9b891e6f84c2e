package configs

import (
	"fmt"
	"math"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
)

// What a series costs, for the estimate checked against
// aggregator.memory_limit, is the aggregator's (aggregator.SeriesMemory,
// with its measurements): the store holds the series of sources that learn
// theirs as they poll to the same estimate as they arrive
// (aggregator.Options.MemoryLimit), so that a config and the running store
// never disagree on what a series costs.

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
	series      int     // counted so far, at most max_series
	bytes       float64 // estimated so far, the queue's included
	seriesBytes float64 // estimated so far for the series alone
	over        bool    // reported already
}

// start charges the ingest queue, and reports it at queue_samples if it
// alone passes the limit.
func (m *memoryEstimate) start(p *problems, limits Aggregator, running string) {
	m.bytes = float64(limits.QueueSamples) * aggregator.QueuedSampleBytes
	if limit := float64(limits.MemoryLimit); limit > 0 && m.bytes*aggregator.GCHeadroom > limit {
		m.over = true
		p.addf("aggregator.queue_samples", "a queue of %d samples takes about %s (with the garbage collector's headroom), more than %saggregator.memory_limit (%s)",
			limits.QueueSamples, humanBytes(m.bytes*aggregator.GCHeadroom), running, humanBytes(limit))
	}
}

// add charges n series of a source polled every interval (0: no history
// counted) and returns, the first time the estimate passes the limit,
// what to report at the source. what names the series' bound.
func (m *memoryEstimate) add(limits Aggregator, n int, interval time.Duration, what, running, restart string) string {
	if limits.MaxSeries > 0 {
		n = min(n, limits.MaxSeries-m.series)
	}
	if n <= 0 {
		return ""
	}
	m.series += n
	perSeries, points := aggregator.SeriesMemory(len(limits.Windows), limits.History.D(), interval)
	m.bytes += float64(n) * perSeries
	m.seriesBytes += float64(n) * perSeries
	limit := float64(limits.MemoryLimit)
	if m.over || limit <= 0 || m.bytes*aggregator.GCHeadroom <= limit {
		return ""
	}
	m.over = true
	return fmt.Sprintf("pulseboard would take about %s with the sources up to this one (a %s heap and half again for the garbage collector; "+
		"this one: %d series%s of about %s: %d windows, %.0f points of history), more than %saggregator.memory_limit (%s%s): "+
		"lower the series, windows or history, poll less often, or raise memory_limit",
		humanBytes(m.bytes*aggregator.GCHeadroom), humanBytes(m.bytes), n, what, humanBytes(perSeries), len(limits.Windows), points, running, humanBytes(limit), restart)
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

// KnownSeriesMemory is what the load's check charges, in bytes of
// estimated heap, the sources of c whose series count is known from the
// config (Source.SeriesKnown), held to limits (the running aggregator
// keys): without the ingest queue or the garbage collector's headroom.
// The store keeps that room for their series whether or not they have
// arrived (aggregator.Options.MemoryReserved), so that the series of
// sources that learn theirs never take it. Pure.
func KnownSeriesMemory(limits Aggregator, sources []Source) float64 {
	var p problems
	b := newSeriesBudget(&p, limits, nil)
	for i := range sources {
		b.check(&p, index("sources", i), &sources[i])
	}
	return b.memory.seriesBytes
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
