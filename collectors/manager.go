package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/supervisor"
)

// ManagerOptions configure a Manager. Zero values take defaults.
type ManagerOptions struct {
	// Sink receives every batch (the aggregator, in the program). Without
	// one, every batch is counted as shed.
	Sink Sink
	// Restart intensity of one source: more than MaxRestarts crashes within
	// Period and the source is parked as failed for Cooldown. Backoff is the
	// delay between restarts. Zero values take the supervisor's defaults;
	// a negative MaxRestarts parks a source at its first crash
	// (configs.Supervisor.Restarts gives it for max_restarts: 0).
	MaxRestarts int
	Period      time.Duration
	Cooldown    time.Duration
	Backoff     supervisor.Backoff
	// Shutdown is how long a collector gets to stop; default 5s.
	Shutdown time.Duration
	// HangGrace is how long past its timeout a poll may run before it
	// counts as hung; default 2s.
	HangGrace time.Duration
	// Version is sent in every request's User-Agent.
	Version string
	Logger  *slog.Logger
	// Hook receives the supervisor's events (started, exited, restarting…).
	Hook func(supervisor.Event)
	// Changed is called whenever what Statuses returns may have changed:
	// after every poll (its counters), a collector's start or state change,
	// and Apply. It runs on the goroutine that made the change (a
	// collector's, the supervisor's loop, Apply's caller), so it must be
	// quick and must not block: the program marks the aggregator's sources
	// dirty (aggregator.SourcesChanged). May be nil.
	Changed func()
	// Health is told when a source's polls start failing (the first failed
	// poll after a success, or a run's first poll failing) and when they
	// work again after that: what the dashboards show as the source down
	// and up. A crash, a hang and a restart are the supervisor's (Hook):
	// a source whose run crashed is not told up again unless a failing
	// poll was told. It runs on the collector's goroutine and must not
	// block. May be nil.
	Health func(HealthChange)
	// Now stamps samples and bookkeeping; default time.Now.
	Now func() time.Time
	// NewHTTPClient builds the client of each HTTP source; see Env.
	NewHTTPClient func() *http.Client
	// Rand is the jitter source of restart backoff, returning values in
	// [0, 1); default math/rand/v2. Polls are not jittered: each source
	// polls on a fixed phase of its interval (see collector).
	Rand func() float64

	// factory replaces NewSource, for tests.
	factory Factory
	// phase replaces phaseFor, for tests.
	phase func(name string, interval time.Duration) time.Duration
}

// Manager runs one supervised collector per configured source: the
// "collectors" node of the supervision tree, one_for_one with a dynamic
// child per source. A source that crashes too often is parked as failed and
// tried again after the cooldown, without touching its siblings or the
// program.
//
// Configuration comes through Apply (at start and on reload); Serve runs
// the collectors; Statuses, Stats and Crash serve the API and /metrics.
// Every method is safe for concurrent use. The bookkeeping of each source
// is kept here by name, so it survives restarts of the source's collector
// and of the Manager itself.
type Manager struct {
	opts ManagerOptions
	loop loopOptions

	applyMu sync.Mutex // one Apply at a time: check and change as one step

	// polling counts the polls running, from a poll's start until its
	// batch is pushed and its bookkeeping updated (see Settled).
	polling atomic.Int64
	// due counts the polls whose time is set and that have not started
	// (see Settled).
	due *dueSlots

	mu      sync.Mutex
	sup     *supervisor.Supervisor
	order   []string // source names in config order
	entries map[string]*entry
}

// entry is one configured source.
type entry struct {
	cfg   configs.Source
	stats *sourceStats
	coll  *collector
}

// NewManager returns a Manager with no sources.
func NewManager(opts ManagerOptions) *Manager {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Manager{opts: opts, entries: make(map[string]*entry), due: newDueSlots()}
	m.loop = loopOptions{
		env: Env{
			Version:       opts.Version,
			Logger:        opts.Logger,
			NewHTTPClient: opts.NewHTTPClient,
			Now:           opts.Now,
		},
		sink:    opts.Sink,
		log:     opts.Logger,
		grace:   opts.HangGrace,
		phase:   opts.phase,
		build:   opts.factory,
		changed: opts.Changed,
		health:  opts.Health,
		polling: &m.polling,
		due:     m.due,
	}
	if m.loop.build == nil {
		m.loop.build = NewSource
	}
	m.sup = supervisor.New(supervisor.Config{
		Name:             "collectors",
		Strategy:         supervisor.OneForOne,
		MaxRestarts:      opts.MaxRestarts,
		Period:           opts.Period,
		Backoff:          opts.Backoff,
		Shutdown:         opts.Shutdown,
		ChildMaxRestarts: opts.MaxRestarts,
		ChildPeriod:      opts.Period,
		Cooldown:         opts.Cooldown,
		Hook:             opts.Hook,
		Changed:          opts.Changed,
		Rand:             opts.Rand,
	})
	return m
}

// Settled reports whether no poll is running and none is late to start:
// every poll that started has pushed its batch and updated its source's
// bookkeeping (or was abandoned) before its collector called Changed, and
// no source's next poll time has passed without its poll starting (the
// sources polling on one boundary, whose goroutines the runtime runs one
// after another). It is the aggregator's Options.Settled: a publish that
// finds the polls settled goes out at once, with no coalescing delay and
// no second wake-up, and sources that poll together go out in one delta.
// Safe from any goroutine; two atomic loads and a clock read.
func (m *Manager) Settled() bool { return m.settledAt(time.Now()) }

// settledAt is Settled at now.
func (m *Manager) settledAt(now time.Time) bool {
	return m.polling.Load() == 0 && !m.due.overdue(now.UnixNano())
}

// Serve runs the collectors until ctx is cancelled. It may be called again
// after it returned (its parent restarting it): every configured source
// starts afresh, its bookkeeping kept.
func (m *Manager) Serve(ctx context.Context) error {
	return m.sup.Serve(ctx)
}

// Apply makes the configured sources those of srcs: it starts the sources
// that are new, stops those that are gone and restarts those whose
// configuration changed; the others keep running undisturbed. Before
// changing anything it builds every new or changed source once, so a
// configuration a source type refuses (or an unknown type, or a name used
// twice) is an error and nothing is applied. Apply works whether or not
// Serve is running.
//
// The new set is recorded under the lock in one step; stopping the old
// collectors, which can take up to their shutdown timeout, happens after
// it is released, so Statuses and Crash never wait on a slow stop.
func (m *Manager) Apply(srcs []configs.Source) error {
	m.applyMu.Lock()
	defer m.applyMu.Unlock()
	if err := m.check(srcs); err != nil {
		return err
	}
	stop, start := m.plan(srcs)
	if m.opts.Changed != nil {
		m.opts.Changed() // the new set shows in Statuses at once
	}

	var errs []error
	for _, name := range stop {
		if err := m.sup.Remove(name); err != nil && !errors.Is(err, supervisor.ErrNotFound) {
			errs = append(errs, err) // stuck: abandoned, forgotten all the same
		}
	}
	for _, c := range start {
		if err := m.sup.Add(m.spec(c)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// plan records srcs as the configured set and returns the collectors to
// stop (gone or changed sources) and the new collectors to start (added or
// changed sources), in config order.
func (m *Manager) plan(srcs []configs.Source) (stop []string, start []*collector) {
	m.mu.Lock()
	defer m.mu.Unlock()
	want := make(map[string]bool, len(srcs))
	for _, s := range srcs {
		want[s.Name] = true
	}
	for _, name := range m.order {
		if !want[name] {
			stop = append(stop, name)
			delete(m.entries, name)
		}
	}
	m.order = m.order[:0]
	for _, cfg := range srcs {
		m.order = append(m.order, cfg.Name)
		e, ok := m.entries[cfg.Name]
		if ok && e.cfg.Equal(cfg) {
			continue
		}
		if ok {
			stop = append(stop, cfg.Name)
			e.stats.rebase()
		} else {
			e = &entry{stats: &sourceStats{}}
			m.entries[cfg.Name] = e
		}
		e.cfg = cfg
		e.coll = newCollector(cfg, e.stats, m.loop)
		start = append(start, e.coll)
	}
	return stop, start
}

func (m *Manager) spec(c *collector) supervisor.Spec {
	return supervisor.Spec{
		Name:    c.cfg.Name,
		Service: c,
		// Permanent: a collector returns nil only when stopped.
		Restart:  supervisor.Permanent,
		Shutdown: m.opts.Shutdown,
	}
}

// check refuses a set of sources that cannot all be built.
func (m *Manager) check(srcs []configs.Source) error {
	seen := make(map[string]bool, len(srcs))
	var errs []error
	for _, cfg := range srcs {
		if cfg.Name == "" {
			errs = append(errs, fmt.Errorf("%w: a source has no name", ErrBadConfig))
			continue
		}
		if seen[cfg.Name] {
			errs = append(errs, fmt.Errorf("source %q: %w: name used twice", cfg.Name, ErrBadConfig))
			continue
		}
		seen[cfg.Name] = true
		m.mu.Lock()
		e, ok := m.entries[cfg.Name]
		m.mu.Unlock()
		if ok && e.cfg.Equal(cfg) {
			continue
		}
		src, err := m.loop.build(cfg, m.loop.env)
		if err != nil {
			errs = append(errs, maskedError(err, cfg.Redactor()))
			continue
		}
		closeSource(src, m.opts.Logger, cfg.Redactor())
	}
	return errors.Join(errs...)
}

// Statuses returns every configured source in config order: its type, its
// state according to the supervisor and a copy of its bookkeeping. It
// takes the supervisor's lock, then the Manager's, and copies; it never
// waits on a collector, so the aggregator can call it at every tick and
// /metrics at every scrape. A source removed by Apply is gone from the
// result as soon as Apply has recorded the new set.
func (m *Manager) Statuses() []Status {
	states := make(map[string]supervisor.State)
	for _, c := range m.sup.Children() {
		states[c.Name] = c.State
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Status, 0, len(m.order))
	for _, name := range m.order {
		e := m.entries[name]
		state, ok := states[name]
		if !ok {
			state = supervisor.StateStarting // recorded by Apply, not yet added
		}
		out = append(out, Status{Name: name, Type: e.cfg.Type, State: state, Stats: e.stats.snapshot()})
	}
	return out
}

// Stats returns the full bookkeeping of the named source.
func (m *Manager) Stats(name string) (Stats, error) {
	m.mu.Lock()
	e, ok := m.entries[name]
	m.mu.Unlock()
	if !ok {
		return Stats{}, fmt.Errorf("source %q: %w", name, ErrUnknownSource)
	}
	return e.stats.snapshot(), nil
}

// Crash makes the named source's collector panic now, on its own
// goroutine, as a real crash would: the supervisor recovers it and
// restarts the collector. It returns ErrUnknownSource for a name not
// configured and ErrNotRunning when the collector is not running.
func (m *Manager) Crash(name string) error {
	m.mu.Lock()
	e, ok := m.entries[name]
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("source %q: %w", name, ErrUnknownSource)
	}
	return e.coll.Crash()
}
