package collectors

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
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
	// stampTolerance bounds how late a poll may start and still have its
	// samples stamped at its scheduled time (see collector.stampNow): 1% of
	// the interval, at most this much.
	stampTolerance = 10 * time.Millisecond
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
// How a run works: Serve polls at once, then on the source's fixed phase:
// at the times that are the phase plus a whole number of intervals since
// the Unix epoch (see phaseFor). Sources that wait on a target spread
// over the interval, as Prometheus spreads its scrape targets; those that
// only read this machine poll together on the interval's boundary. Either
// way a source polls at the same offset in every interval and after every
// restart, and its timestamps
// step by exactly the interval (which the history stores in a few bits a
// sample, where a jittered schedule costs a byte). After repeated failures
// polls slow down and stay on the phase. The samples of a poll that
// started within stampTolerance of its scheduled time are stamped with
// that time (Prometheus' scrape timestamp tolerance does the same), so a
// timer waking a millisecond late costs nothing either. Each poll runs on
// the run's poll goroutine (see poller), not on Serve's, under a context
// with the source's timeout, so that Serve can watch it: if no
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
	redact *configs.Redactor // masks the source's secrets in its texts
	stats  *sourceStats
	sink   Sink // nil: every batch is shed
	log    *slog.Logger

	interval, timeout, grace time.Duration
	phase                    time.Duration // offset of the polls in the interval
	build                    Factory
	changed                  func()             // nil: nobody watches
	health                   func(HealthChange) // nil: nobody is told
	polling                  *atomic.Int64
	due                      *dueSlots // nil counts nothing (tests)
	// dueAt is the Unix nanoseconds of the next poll's time while it is
	// counted in due, 0 when not; only Serve's goroutine uses it.
	dueAt int64
	// scheduled is the Unix nanoseconds of the running poll's scheduled
	// time, 0 when none (the first poll, or between polls); the sources'
	// clock reads it (stampNow).
	scheduled atomic.Int64

	mu    sync.Mutex
	crash chan struct{} // non-nil while Serve runs
}

// loopOptions are the Manager-wide settings of every collector.
type loopOptions struct {
	env   Env
	sink  Sink
	log   *slog.Logger
	grace time.Duration
	// phase gives a source's offset within its interval; nil means
	// phaseFor (tests fix it).
	phase func(name string, interval time.Duration) time.Duration
	// build makes the Source; nil means NewSource (tests substitute fakes).
	build Factory
	// changed is ManagerOptions.Changed.
	changed func()
	// health is ManagerOptions.Health.
	health func(HealthChange)
	// polling is Manager.polling; nil counts nothing (tests).
	polling *atomic.Int64
	// due is Manager.due; nil counts nothing (tests).
	due *dueSlots
}

func newCollector(cfg configs.Source, stats *sourceStats, o loopOptions) *collector {
	c := &collector{
		cfg:      cfg,
		env:      o.env,
		labels:   labelsOf(cfg.Labels),
		redact:   cfg.Redactor(),
		stats:    stats,
		sink:     o.sink,
		log:      o.log.With("source", cfg.Name),
		interval: cfg.Interval.D(),
		timeout:  cfg.Timeout.D(),
		grace:    o.grace,
		build:    o.build,
		changed:  o.changed,
		health:   o.health,
		polling:  o.polling,
		due:      o.due,
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
	if o.phase != nil {
		c.phase = o.phase(cfg.Name, c.interval)
	} else {
		c.phase = phaseFor(cfg, c.interval)
	}
	c.env.Now = c.stampNow(o.env.now)
	return c
}

// Serve polls until ctx is cancelled (it then returns nil), a poll panics
// (a *supervisor.PanicError), a poll hangs (ErrHung), the source cannot be
// built, or Crash is called (a panic on this goroutine); see exited for
// what a failed run leaves behind.
func (c *collector) Serve(ctx context.Context) (err error) {
	clean := false
	defer func() { c.exited(ctx, clean) }() // runs on a panic too
	err = c.serve(ctx)
	clean = err == nil
	return c.masked(err) // the supervisor logs it
}

// exited books the end of a run that failed (an error, a panic or a crash
// request, a hang, a source that could not be built): the source is not
// up, and its series go stale now, not at the next start, which a backoff
// or a cool-down may put minutes away. A clean stop leaves both: either
// the collector is back at once (a changed config, a restart of its
// parent) or the source is gone and the store drops its series; while it
// is stopped its state says so.
func (c *collector) exited(ctx context.Context, clean bool) {
	if clean {
		return
	}
	c.stats.update(func(s *Stats) { s.Up = false })
	c.notify()
	c.pushFailed(ctx)
}

func (c *collector) serve(ctx context.Context) error {
	if ctx.Err() != nil {
		return nil // stopped before it started
	}
	c.stats.begin(c.env.now())
	c.notify()
	src, err := c.build(c.cfg, c.env)
	if err != nil {
		c.stats.noteError(c.env.now(), c.errText(err))
		c.notify()
		return err
	}
	// Closed once: at a stop, as soon as the poll is told to end (see
	// pollOnce), or on the way out.
	release := sync.OnceFunc(func() { closeSource(src, c.log, c.redact) })
	defer release()
	if d, ok := src.(Describer); ok {
		c.log.Debug("source started", "polls", d.Describe(), "interval", c.interval, "timeout", c.timeout)
	}
	crash := c.arm()
	defer c.disarm()
	p := c.startPoller(src, release)
	defer p.stop()

	next := time.NewTimer(0) // the first poll at once
	defer next.Stop()
	defer c.undue()
	var scheduled time.Time // zero for the first poll
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
		if !scheduled.IsZero() {
			c.scheduled.Store(scheduled.UnixNano())
		}
		err := c.pollCounted(ctx, p, crash)
		c.scheduled.Store(0)
		c.notify() // once a poll, whatever it recorded, after it is counted out
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		scheduled = c.slotAtOrAfter(started.Add(c.delay() - c.interval/2))
		c.markDue(scheduled)
		next.Reset(max(0, time.Until(scheduled)))
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

// notify tells whoever watches the sources that this one's bookkeeping
// changed.
func (c *collector) notify() {
	if c.changed != nil {
		c.changed()
	}
}

func (c *collector) crashNow() {
	v := CrashRequested{Source: c.cfg.Name}
	c.stats.noteError(c.env.now(), c.shown(v.String()))
	c.log.Warn("crash requested")
	panic(v)
}

// record books a finished poll and pushes its samples.
func (c *collector) record(ctx context.Context, at time.Time, took time.Duration, r pollResult) error {
	if r.panic != nil {
		c.stats.fail(at, took, c.errText(r.panic))
		c.log.Warn("poll panicked; restarting the source", "panic", c.redact.Redact(fmt.Sprint(r.panic.Value)))
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
	pushed, shed, shedBatch := 0, 0, false
	switch {
	case err != nil && len(samples) == 0:
		c.pushFailed(ctx)
	case c.sink != nil && c.sink.Push(ctx, aggregator.Batch{Source: c.cfg.Name, Samples: samples, Complete: true,
		Interval: c.interval, Known: c.cfg.SeriesKnown()}):
		pushed = len(samples)
	default:
		shed, shedBatch = len(samples), true
	}
	c.stats.update(func(s *Stats) {
		s.NonFinite += uint64(infinite)
		s.Samples += uint64(pushed)
		if shedBatch {
			s.Shed++
		}
		if err != nil {
			addDropped(s, r.partial.Dropped)
			s.SecretsMasked += uint64(r.partial.Masked)
		}
	})
	if err != nil {
		c.failed(at, took, c.errText(err))
		return nil
	}
	c.succeed(at, took, r.partial, infinite, shed)
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
// no use for them), renames a "source" label (exportSourceLabel) and adds
// the source's configured labels. NaN is a value (a gap in a chart,
// skipped by windows) and goes through.
func (c *collector) prepare(in []aggregator.Sample) ([]aggregator.Sample, int) {
	out := in[:0]
	bad := 0
	for _, s := range in {
		if math.IsInf(s.Value, 0) {
			bad++
			continue
		}
		s.Labels = mergeLabels(exportSourceLabel(s.Labels), c.labels)
		out = append(out, s)
	}
	return out, bad
}

func closeSource(src Source, log *slog.Logger, redact *configs.Redactor) {
	if cl, ok := src.(io.Closer); ok {
		if err := cl.Close(); err != nil {
			log.Warn("closing source", "err", redact.Redact(err.Error()))
		}
	}
}
