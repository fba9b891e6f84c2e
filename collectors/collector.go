package collectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/supervisor"
)

// Poll-loop defaults, used when a configuration leaves a value at zero.
const (
	defaultInterval = 10 * time.Second
	// defaultGrace is how long past its timeout a poll may run before it
	// counts as hung.
	defaultGrace = 2 * time.Second
	// slowAfter consecutive failures, polling slows down: the delay doubles
	// with each further failure, up to maxSlowFactor × interval and no more
	// than maxSlowDelay (but never below the interval itself).
	slowAfter     = 3
	maxSlowFactor = 8
	maxSlowDelay  = time.Minute
	// jitterFraction spreads each delay over ±5%, so sources that started
	// together drift apart instead of polling in lockstep.
	jitterFraction = 0.05
)

// CrashRequested is the value a collector panics with when Crash is called.
type CrashRequested struct{ Source string }

func (c CrashRequested) String() string {
	return "crash requested for source " + strconv.Quote(c.Source)
}

// collector polls one source. It is the Service the collectors' supervisor
// runs for that source; each Serve builds a fresh Source instance, so a
// restart after a panic or a hang starts clean.
//
// How a run works: Serve polls at once, then waits for the next poll's
// time (interval from the start of the previous poll, jittered, slower
// after repeated failures). Each poll runs in a goroutine of its own under
// a context with the source's timeout, so that Serve can watch it: if no
// result comes within timeout plus grace the poll is hung, and Serve
// returns ErrHung for the supervisor to restart it. Go cannot kill that
// goroutine: it is abandoned, still holding the old Source instance, which
// Serve closes on its way out (a source that honours Close then lets the
// poll return). Abandoned polls are counted in Stats.Hangs and, until they
// do return, in Stats.Stuck; their late results, panics included, are
// dropped.
type collector struct {
	cfg    configs.Source
	env    Env
	labels aggregator.Labels // the source's configured labels
	stats  *sourceStats
	sink   Sink // nil: every batch is shed
	log    *slog.Logger

	interval, timeout, grace time.Duration
	rand                     func() float64
	build                    Factory

	mu    sync.Mutex
	crash chan struct{} // non-nil while Serve runs
}

// loopOptions are the Manager-wide settings of every collector.
type loopOptions struct {
	env   Env
	sink  Sink
	log   *slog.Logger
	grace time.Duration
	rand  func() float64
	// build makes the Source; nil means NewSource (tests substitute fakes).
	build Factory
}

func newCollector(cfg configs.Source, stats *sourceStats, o loopOptions) *collector {
	c := &collector{
		cfg:      cfg,
		env:      o.env,
		labels:   labelsOf(cfg.Labels),
		stats:    stats,
		sink:     o.sink,
		log:      o.log.With("source", cfg.Name),
		interval: cfg.Interval.D(),
		timeout:  cfg.Timeout.D(),
		grace:    o.grace,
		rand:     o.rand,
		build:    o.build,
	}
	if c.build == nil {
		c.build = NewSource
	}
	if c.interval <= 0 {
		c.interval = defaultInterval
	}
	if c.timeout <= 0 {
		c.timeout = min(c.interval, defaultInterval)
	}
	if c.grace <= 0 {
		c.grace = defaultGrace
	}
	if c.rand == nil {
		c.rand = rand.Float64
	}
	return c
}

// Serve polls until ctx is cancelled (it then returns nil), a poll panics
// (a *supervisor.PanicError), a poll hangs (ErrHung), the source cannot be
// built, or Crash is called (a panic on this goroutine).
func (c *collector) Serve(ctx context.Context) error {
	if ctx.Err() != nil {
		return nil // stopped before it started
	}
	c.stats.begin()
	src, err := c.build(c.cfg, c.env)
	if err != nil {
		c.stats.noteError(c.env.now(), err)
		return err
	}
	defer closeSource(src, c.log)
	if d, ok := src.(Describer); ok {
		c.log.Debug("source started", "polls", d.Describe(), "interval", c.interval, "timeout", c.timeout)
	}
	crash := c.arm()
	defer c.disarm()

	next := time.NewTimer(0) // the first poll at once
	defer func() { next.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-crash:
			c.crashNow()
		case <-next.C:
			if ctx.Err() != nil {
				return nil // both were ready: stopping wins
			}
		}
		started := time.Now()
		if err := c.pollOnce(ctx, src, crash); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		next = time.NewTimer(max(0, c.delay()-time.Since(started)))
	}
}

// Crash makes the running collector panic on its own goroutine at once.
func (c *collector) Crash() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.crash == nil {
		return fmt.Errorf("source %q: %w", c.cfg.Name, ErrNotRunning)
	}
	select {
	case c.crash <- struct{}{}:
	default: // one already pending
	}
	return nil
}

func (c *collector) arm() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.crash = make(chan struct{}, 1)
	return c.crash
}

func (c *collector) disarm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.crash = nil
}

func (c *collector) crashNow() {
	v := CrashRequested{Source: c.cfg.Name}
	c.stats.noteError(c.env.now(), errors.New(v.String()))
	c.log.Warn("crash requested")
	panic(v)
}

// delay is the time from one poll's start to the next one's.
func (c *collector) delay() time.Duration {
	d := c.interval
	if f := c.stats.snapshot().ConsecutiveFailures; f >= slowAfter {
		limit := max(c.interval, min(maxSlowFactor*c.interval, maxSlowDelay))
		d = supervisor.Doubling(c.interval, limit, int(min(f-slowAfter+1, 64)))
	}
	return supervisor.Jitter(d, jitterFraction, c.rand())
}

// pollResult is what a poll goroutine hands back.
type pollResult struct {
	samples []aggregator.Sample
	err     error
	partial Partial
	panic   *supervisor.PanicError
}

// Poll goroutine states, for the race between a late result and the watchdog.
const (
	pollRunning int32 = iota
	pollDone
	pollAbandoned
)

// pollOnce runs one poll and records it. It returns an error only when the
// collector must stop: the poll panicked or hung.
func (c *collector) pollOnce(ctx context.Context, src Source, crash <-chan struct{}) error {
	at := c.env.now()
	t0 := time.Now()
	pctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	done := make(chan pollResult, 1)
	var state atomic.Int32
	go c.runPoll(pctx, src, done, &state)

	watchdog := time.NewTimer(c.timeout + c.grace)
	defer watchdog.Stop()
	select {
	case r := <-done:
		return c.record(ctx, at, time.Since(t0), r)
	case <-crash:
		c.crashNow()
	case <-ctx.Done():
		// Stopping: give the poll its grace to notice, then leave it.
		cancel()
		g := time.NewTimer(c.grace)
		defer g.Stop()
		select {
		case <-done:
		case <-g.C:
			c.abandon(&state)
		}
		return nil
	case <-watchdog.C:
		if !c.abandon(&state) {
			return c.record(ctx, at, time.Since(t0), <-done) // it made it after all
		}
		err := fmt.Errorf("%w: no result %s after it started (timeout %s)", ErrHung, (c.timeout + c.grace).String(), c.timeout.String())
		c.pushFailed(ctx)
		c.stats.fail(at, time.Since(t0), err)
		c.log.Warn("poll hung; restarting the source", "timeout", c.timeout)
		return err
	}
	return nil
}

// runPoll is the poll goroutine. A panic is recovered here, since the
// supervisor only recovers its child's own goroutine, and handed to Serve.
func (c *collector) runPoll(ctx context.Context, src Source, done chan<- pollResult, state *atomic.Int32) {
	var r pollResult
	defer func() {
		if v := recover(); v != nil {
			r = pollResult{panic: &supervisor.PanicError{Value: v, Stack: debug.Stack()}}
		}
		if !state.CompareAndSwap(pollRunning, pollDone) {
			c.stats.update(func(s *Stats) { s.Stuck-- }) // abandoned; it is over now
		}
		done <- r // buffered: never blocks, even when nobody listens any more
	}()
	r.samples, r.err = src.Poll(ctx)
	if pr, ok := src.(PartialReporter); ok {
		r.partial = pr.LastPartial() // a failed poll's drops are counted too
	}
}

// abandon marks a running poll as abandoned and counts it; false if it
// had finished in the meantime.
func (c *collector) abandon(state *atomic.Int32) bool {
	ok := false
	c.stats.update(func(s *Stats) {
		if state.CompareAndSwap(pollRunning, pollAbandoned) {
			ok = true
			s.Hangs++
			s.Stuck++
		}
	})
	return ok
}

// record books a finished poll and pushes its samples.
func (c *collector) record(ctx context.Context, at time.Time, took time.Duration, r pollResult) error {
	if r.panic != nil {
		c.pushFailed(ctx)
		c.stats.fail(at, took, r.panic)
		c.log.Warn("poll panicked; restarting the source", "panic", configs.RedactURLsIn(fmt.Sprint(r.panic.Value)))
		return r.panic
	}
	samples, infinite := c.prepare(r.samples)
	err := r.err
	if err == nil && len(samples) == 0 && infinite > 0 {
		err = fmt.Errorf("%w: all %d values were infinite", ErrNoValues, infinite)
	}
	// Every poll tells the store which series the source shows now: a
	// successful one (or a failed one that still returned samples, as an
	// http probe's up 0) is the complete set, and the series it lacks go
	// stale; a failed one with nothing makes them all stale.
	pushed, shed := 0, false
	switch {
	case err != nil && len(samples) == 0:
		c.pushFailed(ctx)
	case c.sink != nil && c.sink.Push(ctx, aggregator.Batch{Source: c.cfg.Name, Samples: samples, Complete: true}):
		pushed = len(samples)
	default:
		shed = true
	}
	c.stats.update(func(s *Stats) {
		s.NonFinite += uint64(infinite)
		s.Samples += uint64(pushed)
		if shed {
			s.Shed++
		}
		if err != nil {
			addDropped(s, r.partial.Dropped)
		}
	})
	if err != nil {
		wasOK := c.stats.snapshot().ConsecutiveFailures == 0
		c.stats.fail(at, took, err)
		if wasOK {
			c.log.Warn("poll failed", "err", errText(err))
		}
		return nil
	}
	c.succeed(at, took, r.partial, infinite)
	return nil
}

// pushFailed tells the store that the poll failed with nothing to show:
// every series of the source goes stale at once. A sink too full to take
// it is not counted as shed: there were no samples to lose, and the next
// poll's batch says the same again.
func (c *collector) pushFailed(ctx context.Context) {
	if c.sink != nil {
		c.sink.Push(ctx, aggregator.Batch{Source: c.cfg.Name, Failed: true})
	}
}

// prepare leaves out infinite values, whatever the source (the store has
// no use for them), and adds the source's configured labels. NaN is a
// value (a gap in a chart, skipped by windows) and goes through.
func (c *collector) prepare(in []aggregator.Sample) ([]aggregator.Sample, int) {
	out := in[:0]
	bad := 0
	for _, s := range in {
		if math.IsInf(s.Value, 0) {
			bad++
			continue
		}
		s.Labels = mergeLabels(s.Labels, c.labels)
		out = append(out, s)
	}
	return out, bad
}

func closeSource(src Source, log *slog.Logger) {
	if cl, ok := src.(io.Closer); ok {
		if err := cl.Close(); err != nil {
			log.Warn("closing source", "err", errText(err))
		}
	}
}
