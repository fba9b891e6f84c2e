package configs

// Bounds on a simulated source's generator, whatever the aggregator's
// limits: each poll makes every series' sample, kept or refused, so a
// count of 300,000 every 100 ms took most of a core while the store
// refused all but 10,000 of them.
const (
	// MaxSimulatedSeries bounds the series one simulated source makes.
	MaxSimulatedSeries = 100_000
	// MaxSimulatedRate bounds the samples a second one simulated source
	// makes: its series over its interval.
	MaxSimulatedRate = 1_000_000
)

// LoadInForce is Load for a reload: the sources are held to the
// aggregator limits inForce, those of the running config, rather than to
// the file's own aggregator keys, which only a restart puts in force. A
// source the running store would refuse most of (a simulated count past
// the running max_series_per_source) is refused with its file:line:col
// instead of being applied. The reloader calls it, on its load goroutine.
func LoadInForce(path string, inForce Aggregator) (*Config, error) {
	return load(path, &inForce)
}

// ParseInForce is Parse with the sources held to the aggregator limits
// inForce (see LoadInForce).
func ParseInForce(filename string, data []byte, inForce Aggregator) (*Config, error) {
	return parse(filename, data, &inForce)
}

// checkSeriesBound holds a source that knows its series count (a
// simulated one) to the generator's ceilings and to
// max_series_per_source: inForce's when it is not nil, else own's.
func checkSeriesBound(p *problems, path string, s *Source, own Aggregator, inForce *Aggregator) {
	b, ok := s.Spec.(seriesBounder)
	if !ok {
		return
	}
	n, key := b.seriesBound()
	at := joinPath(path, key)
	limit, whose := own.MaxSeriesPerSource, "aggregator.max_series_per_source (%d)"
	if inForce != nil {
		limit, whose = inForce.MaxSeriesPerSource, "the running aggregator.max_series_per_source (%d; a new value needs a restart)"
	}
	switch {
	case n > MaxSimulatedSeries:
		p.addf(at, "%d series is more than a simulated source may make (%d)", n, MaxSimulatedSeries)
	case limit > 0 && n > limit:
		p.addf(at, "%d series is more than "+whose, n, limit)
	case s.Interval > 0 && float64(n)/s.Interval.D().Seconds() > MaxSimulatedRate:
		p.addf(at, "%d series every %s is more than %d samples a second", n, s.Interval, MaxSimulatedRate)
	}
}
