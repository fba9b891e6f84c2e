package configs

import "time"

// Bounds on a simulated source's generator, whatever the aggregator's
// limits: each poll makes every series' sample, kept or refused, so a
// count of 300,000 every 100 ms took most of a core while the store
// refused all but 10,000 of them.
const (
	// MaxSimulatedSeries bounds the series one simulated source makes.
	MaxSimulatedSeries = 100_000
	// MaxSimulatedRate bounds the samples a second the simulated sources
	// make together: their series over their intervals.
	MaxSimulatedRate = 1_000_000
	// MaxSimulatedHistoryPoints bounds the points of history the
	// simulated sources fill together: series × aggregator.history ÷
	// interval, one or two bytes each (about 400 MB at the bound). A
	// source that scrapes learns its series count only then; its history
	// is bounded by max_series.
	MaxSimulatedHistoryPoints = 200_000_000
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

// seriesBudget holds the sources that know their series count (simulated
// ones), one after another, to the generator's ceilings and to the
// store's limits: those in force on a reload, the file's own otherwise.
type seriesBudget struct {
	limits  Aggregator
	inForce bool
	series  int     // of the sources checked so far
	rate    float64 // their samples a second
	points  float64 // the points of history they fill
	memory  memoryEstimate
}

func newSeriesBudget(p *problems, own Aggregator, inForce *Aggregator) *seriesBudget {
	b := &seriesBudget{limits: own}
	if inForce != nil {
		b = &seriesBudget{limits: *inForce, inForce: true}
	}
	running, _ := b.running()
	b.memory.start(p, b.limits, running)
	return b
}

// running says, for a message, whose limits the sources are held to.
func (b *seriesBudget) running() (running, restart string) {
	if b.inForce {
		return "the running ", "; a new value needs a restart"
	}
	return "", ""
}

// check adds source s, at path, to the budget and reports the first limit
// it crosses: the totals are reported once, at the source that crossed
// them.
func (b *seriesBudget) check(p *problems, path string, s *Source) {
	running, restart := b.running()
	perSource, all := b.limits.MaxSeriesPerSource, b.limits.MaxSeries
	var interval time.Duration // a bad one is reported as such, not as memory
	if s.Interval >= minInterval {
		interval = s.Interval.D()
	}
	bounder, ok := s.Spec.(seriesBounder)
	if !ok {
		// It learns its series only as it polls, most often a few: it is
		// not charged (charging each its max_series_per_source refused
		// eight HTTP sources at 1s); max_series bounds what they find
		// (docs/reliability.md, "Not yet bounded").
		return
	}
	n, key := bounder.seriesBound()
	at := joinPath(path, key)
	problemsBefore := len(p.list)
	defer func() {
		// Last, and only if the source is inside every count ceiling:
		// past one, it is told that alone.
		msg := b.memory.add(b.limits, min(n, max(perSource, 0)), interval, "", running, restart)
		if msg != "" && len(p.list) == problemsBefore {
			p.addf(at, "%s", msg)
		}
	}()
	rate := 0.0
	if s.Interval > 0 {
		rate = float64(n) / s.Interval.D().Seconds()
	}
	points := rate * b.limits.History.D().Seconds()
	wasSeries, wasRate, wasPoints := b.series, b.rate, b.points
	b.series, b.rate, b.points = b.series+n, b.rate+rate, b.points+points
	switch {
	case n > MaxSimulatedSeries:
		p.addf(at, "%d series is more than a simulated source may make (%d)", n, MaxSimulatedSeries)
	case perSource > 0 && n > perSource:
		p.addf(at, "%d series is more than %saggregator.max_series_per_source (%d%s)", n, running, perSource, restart)
	case all > 0 && wasSeries <= all && b.series > all:
		p.addf(at, "the simulated sources make %d series up to this one, more than %saggregator.max_series (%d%s)", b.series, running, all, restart)
	case wasRate <= MaxSimulatedRate && b.rate > MaxSimulatedRate:
		p.addf(at, "the simulated sources make %.0f samples a second up to this one (series ÷ interval), more than %d", b.rate, MaxSimulatedRate)
	case wasPoints <= MaxSimulatedHistoryPoints && b.points > MaxSimulatedHistoryPoints:
		p.addf(at, "the simulated sources fill %.0f points of history up to this one (series × %saggregator.history %s ÷ interval), more than %d",
			b.points, running, b.limits.History, MaxSimulatedHistoryPoints)
	}
}
