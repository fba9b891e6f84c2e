package supervisor

import (
	"math/rand/v2"
	"time"
)

// Defaults applied by New to zero fields of Config and Backoff.
const (
	DefaultMaxRestarts = 5
	DefaultPeriod      = 30 * time.Second
	DefaultShutdown    = 5 * time.Second
	DefaultCooldown    = time.Minute
	DefaultInitial     = 100 * time.Millisecond
	DefaultMax         = 30 * time.Second
	DefaultResetAfter  = 10 * time.Second
)

// jitterFraction spreads each backoff delay uniformly over ±20% of its
// nominal value, so children that crash together do not restart together.
const jitterFraction = 0.2

// Backoff is the per-child delay before a restart. The n-th consecutive
// restart waits Initial·2ⁿ⁻¹ (±20% jitter), never more than Max. A child that
// stayed up for ResetAfter before exiting starts again from Initial.
type Backoff struct {
	Initial    time.Duration // default 100ms
	Max        time.Duration // default 30s; raised to Initial if lower
	ResetAfter time.Duration // default 10s
}

// Config configures a Supervisor. Zero fields take the documented defaults.
type Config struct {
	// Name identifies the supervisor in events and errors; default "supervisor".
	Name     string
	Strategy Strategy

	// Restart intensity for static children: more than MaxRestarts restarts
	// within Period and the supervisor gives up (ErrGaveUp). 0 means 5; a
	// negative value allows no restart at all.
	MaxRestarts int
	Period      time.Duration // default 30s

	Backoff Backoff

	// Shutdown is the default per-child shutdown timeout; default 5s.
	Shutdown time.Duration

	// Per-child limit for dynamic children: more than ChildMaxRestarts
	// crashes within ChildPeriod parks the child as StateFailed for Cooldown.
	// Defaults: MaxRestarts, Period and 1m.
	ChildMaxRestarts int
	ChildPeriod      time.Duration
	Cooldown         time.Duration

	// Hook receives every event, synchronously, from the supervisor's run
	// loop and never with its lock held. It must not block for long and
	// must not call Add or Remove (they wait for the loop it is running on);
	// Children is safe.
	Hook func(Event)
	// Changed is called after anything Children returns has changed: a
	// child's state or restart count, a child added or removed. It is
	// called without the lock, from the goroutine that made the change
	// (the run loop, Add or Remove), so it must be quick and must not
	// block; a watcher marks itself dirty and reads Children later. Unlike
	// Hook it also reports the changes that are no Event (a child stopped
	// on removal). May be nil.
	Changed func()
	// Rand is the jitter source, returning values in [0,1); nil means
	// math/rand/v2.Float64.
	Rand func() float64
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = "supervisor"
	}
	if c.MaxRestarts == 0 {
		c.MaxRestarts = DefaultMaxRestarts
	}
	if c.MaxRestarts < 0 {
		c.MaxRestarts = 0
	}
	if c.Period <= 0 {
		c.Period = DefaultPeriod
	}
	if c.Backoff.Initial <= 0 {
		c.Backoff.Initial = DefaultInitial
	}
	if c.Backoff.Max <= 0 {
		c.Backoff.Max = DefaultMax
	}
	if c.Backoff.Max < c.Backoff.Initial {
		c.Backoff.Max = c.Backoff.Initial
	}
	if c.Backoff.ResetAfter <= 0 {
		c.Backoff.ResetAfter = DefaultResetAfter
	}
	if c.Shutdown <= 0 {
		c.Shutdown = DefaultShutdown
	}
	if c.ChildMaxRestarts == 0 {
		c.ChildMaxRestarts = c.MaxRestarts
	}
	if c.ChildMaxRestarts < 0 {
		c.ChildMaxRestarts = 0
	}
	if c.ChildPeriod <= 0 {
		c.ChildPeriod = c.Period
	}
	if c.Cooldown <= 0 {
		c.Cooldown = DefaultCooldown
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	return c
}

// delay returns the backoff before restart number attempt+1 of a child
// (attempt counts the consecutive restarts already made): the nominal
// Initial·2^attempt capped at Max, jittered by ±jitterFraction, and capped
// at Max again so the cap holds whatever the jitter.
func (b Backoff) delay(attempt int, rnd func() float64) time.Duration {
	return min(Jitter(Doubling(b.Initial, b.Max, attempt), jitterFraction, rnd()), b.Max)
}

// window drops the times older than period before now and appends now. It
// is the sliding window behind both the restart intensity and the per-child
// limit.
func window(times []time.Time, now time.Time, period time.Duration) []time.Time {
	kept := times[:0]
	for _, t := range times {
		if now.Sub(t) < period {
			kept = append(kept, t)
		}
	}
	return append(kept, now)
}
