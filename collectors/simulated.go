package collectors

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
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
	spec, err := specOf[*configs.SimulatedSpec](cfg)
	if err != nil {
		return nil, err
	}
	seed := rand.Uint64()
	if spec.Seed != nil {
		seed = uint64(*spec.Seed)
	}
	s := &simSource{
		name:     cfg.Name,
		interval: cfg.Interval.D(),
		rng:      rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		now:      env.now,
		closed:   make(chan struct{}),
	}
	if spec.Faults != nil {
		s.faults = *spec.Faults
	}
	for _, sc := range spec.Series {
		for inst := range sc.Count {
			labels := sc.Labels
			if sc.Count > 1 {
				labels = maps.Clone(sc.Labels)
				if labels == nil {
					labels = make(map[string]string, 1)
				}
				labels[configs.LabelInstance] = strconv.Itoa(inst)
			}
			s.series = append(s.series, newSimSeries(sc, labels, seed, uint64(len(s.series)), float64(inst)/float64(sc.Count)))
		}
	}
	return s, nil
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
	t := time.NewTimer(jittered(s.faults.Latency.D(), s.rng.Float64()))
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

// jittered is d plus u (in [0, 1)) times half of d, saturating at the
// largest Duration: converting a float64 beyond it to a Duration gives a
// negative one on common platforms, a timer that fires at once, and the
// latency would be ignored.
func jittered(d time.Duration, u float64) time.Duration {
	j := u * float64(d) / 2
	if j >= float64(math.MaxInt64-d) {
		return math.MaxInt64
	}
	return d + time.Duration(j)
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
