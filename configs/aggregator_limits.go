package configs

// Ceilings on the aggregator keys whose values, or products, scale the
// memory the store takes at start and as series arrive: a few hundred bytes
// a window a series (60 slices of statistics and a quantile sketch), a
// pointer a queued batch. Before them a 34 KB file with 5,000 windows
// passed `check` and took 3 GB within seconds of the start, and
// max_series: 1e8 with queue_size: 1e8 was accepted (configs/REFERENCE.md,
// "Limits").
const (
	// MaxWindows bounds aggregator.windows.
	MaxWindows = 8
	// MaxSeriesCeiling bounds aggregator.max_series and
	// max_series_per_source.
	MaxSeriesCeiling = 1_000_000
	// MaxWindowSeries bounds len(aggregator.windows) × aggregator.max_series:
	// the window statistics the store may hold at its fullest.
	MaxWindowSeries = 2_000_000
	// MaxQueueSize bounds aggregator.queue_size, in batches.
	MaxQueueSize = 65_536
	// MaxQueueSamples bounds aggregator.queue_samples.
	MaxQueueSamples = 100_000_000
)

// validateCeilings reports aggregator keys past their ceilings.
func (a Aggregator) validateCeilings(p *problems) {
	if n := len(a.Windows); n > MaxWindows {
		p.addf(index("windows", MaxWindows), "more than %d windows (%d given): each window is kept for every series", MaxWindows, n)
	}
	if a.MaxSeries > MaxSeriesCeiling {
		p.addf("max_series", "%d is more than the ceiling of %d series", a.MaxSeries, MaxSeriesCeiling)
	} else if n := len(a.Windows); n <= MaxWindows && a.MaxSeries > 0 && n*a.MaxSeries > MaxWindowSeries {
		p.addf("max_series", "%d series × %d windows is more than %d window statistics: lower max_series or drop a window",
			a.MaxSeries, n, MaxWindowSeries)
	}
	if a.MaxSeriesPerSource > MaxSeriesCeiling {
		p.addf("max_series_per_source", "%d is more than the ceiling of %d series", a.MaxSeriesPerSource, MaxSeriesCeiling)
	}
	if a.QueueSize > MaxQueueSize {
		p.addf("queue_size", "%d is more than the ceiling of %d batches", a.QueueSize, MaxQueueSize)
	}
	if a.QueueSamples > MaxQueueSamples {
		p.addf("queue_samples", "%d is more than the ceiling of %d samples", a.QueueSamples, MaxQueueSamples)
	}
}
