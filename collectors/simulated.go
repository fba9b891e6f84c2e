package collectors

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

func init() { Register(configs.TypeSimulated, newSimSource) }

// Errors of the simulated source's fault injection.
var (
	// ErrInjected is the error of a poll failed on purpose (faults.error_rate).
	ErrInjected = errors.New("injected fault: poll failed")
	// ErrSourceClosed ends a hung poll once its source is closed.
	ErrSourceClosed = errors.New("source closed")
)

// InjectedPanic is the value a simulated source panics with (faults.panic_rate).
type InjectedPanic struct{ Source string }

func (p InjectedPanic) String() string {
	return "injected fault: panic in source " + strconv.Quote(p.Source)
}

// simSource makes up series of known shapes, and can misbehave on purpose.
//
// Shapes other than counter are a pure function of (seed, series, time), so
// a restart does not make them jump and tests can predict them. Faults are
// drawn from a generator seeded with the same seed: a run with a fixed seed
// fails the same polls every time.
type simSource struct {
	name     string
	series   []*simSeries
	faults   configs.Faults
	interval time.Duration
	rng      *rand.Rand
	now      func() time.Time

	closeOnce sync.Once
	closed    chan struct{}
}

func newSimSource(cfg configs.Source, env Env) (Source, error) {
	if len(cfg.Series) == 0 {
		return nil, badConfig("series: at least one series is needed")
	}
	seed := rand.Uint64()
	if cfg.Seed != nil {
		seed = uint64(*cfg.Seed)
	}
	interval := cfg.Interval.D()
	if interval <= 0 {
		interval = defaultInterval
	}
	s := &simSource{
		name:     cfg.Name,
		interval: interval,
		rng:      rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		now:      env.now,
		closed:   make(chan struct{}),
	}
	if cfg.Faults != nil {
		s.faults = *cfg.Faults
		if err := checkFaults(s.faults); err != nil {
			return nil, err
		}
	}
	for i, sc := range cfg.Series {
		if err := checkSimSeries(sc); err != nil {
			return nil, fmt.Errorf("series[%d]: %w", i, err)
		}
		n := max(sc.Count, 1)
		for inst := range n {
			labels := sc.Labels
			if sc.Count > 1 {
				labels = make(map[string]string, len(sc.Labels)+1)
				for k, v := range sc.Labels {
					labels[k] = v
				}
				labels["instance"] = strconv.Itoa(inst)
			}
			s.series = append(s.series, newSimSeries(sc, labels, seed, uint64(len(s.series)), float64(inst)/float64(n)))
		}
	}
	return s, nil
}

func checkSimSeries(sc configs.SimSeries) error {
	switch {
	case sc.Metric == "":
		return badConfig("metric is empty")
	case !slices.Contains(configs.Shapes, sc.Shape):
		return badConfig("shape %q is not one of %v", sc.Shape, configs.Shapes)
	case sc.Min > sc.Max && sc.Shape != "constant" && sc.Shape != "counter":
		return badConfig("min %v is above max %v", sc.Min, sc.Max)
	case sc.Count < 0, sc.Period < 0, sc.Noise < 0, sc.Rate < 0:
		return badConfig("count, period, noise and rate must not be negative")
	}
	return nil
}

func checkFaults(f configs.Faults) error {
	for _, r := range []float64{f.ErrorRate, f.PanicRate, f.HangRate} {
		if r < 0 || r > 1 {
			return badConfig("faults: rates must be between 0 and 1")
		}
	}
	if f.ErrorRate+f.PanicRate+f.HangRate > 1 {
		return badConfig("faults: error_rate + panic_rate + hang_rate is above 1")
	}
	if f.Latency < 0 {
		return badConfig("faults: latency must not be negative")
	}
	return nil
}

// Close releases a poll that hangs on purpose.
func (s *simSource) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return nil
}

func (s *simSource) Describe() string {
	return fmt.Sprintf("simulated, %d series", len(s.series))
}

// Poll waits the configured latency, then maybe fails on purpose (in this
// order: panic, hang, error), then computes every series at the current time.
func (s *simSource) Poll(ctx context.Context) ([]aggregator.Sample, error) {
	if err := s.delay(ctx); err != nil {
		return nil, err
	}
	if err := s.fault(); err != nil {
		return nil, err
	}
	now := s.now()
	ms := now.UnixMilli()
	out := make([]aggregator.Sample, len(s.series))
	for i, sr := range s.series {
		out[i] = aggregator.Sample{Metric: sr.metric, Labels: sr.labels, Kind: sr.kind(), TimeMs: ms, Value: sr.value(now, s.interval)}
	}
	return out, nil
}

// delay sleeps faults.latency plus up to half of it again.
func (s *simSource) delay(ctx context.Context) error {
	if s.faults.Latency <= 0 {
		return nil
	}
	d := s.faults.Latency.D()
	d += time.Duration(s.rng.Float64() * float64(d) / 2)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return ErrSourceClosed
	}
}

// fault draws one number per poll, so the three rates add up and do not
// shadow each other.
func (s *simSource) fault() error {
	u := s.rng.Float64()
	f := s.faults
	switch {
	case u < f.PanicRate:
		panic(InjectedPanic{Source: s.name})
	case u < f.PanicRate+f.HangRate:
		// A hang ignores the poll's context on purpose: it is what the
		// collector's watchdog is for. Close ends it, so nothing leaks.
		<-s.closed
		return ErrSourceClosed
	case u < f.PanicRate+f.HangRate+f.ErrorRate:
		return ErrInjected
	}
	return nil
}
