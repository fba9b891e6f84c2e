package supervisor

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Supervisor runs children and restarts them according to its Config.
//
// All of a running supervisor's decisions are made by one goroutine, the run
// loop inside Serve, which owns the children's bookkeeping; Add and Remove
// send it requests. The mutex only guards what other goroutines may read or
// change: the published ChildStatus of each child, the child list when no
// loop is running, and which loop (if any) is running.
type Supervisor struct {
	cfg Config

	mu       sync.Mutex
	children []*child // start order; written under mu, read freely by the loop that owns it
	loop     *runner  // the running loop, nil when not serving
}

// child is one supervised child: its spec, its published status and the
// bookkeeping the run loop owns.
type child struct {
	spec    Spec
	dynamic bool
	status  ChildStatus // guarded by Supervisor.mu

	// Owned by the run loop.
	cur       *run        // the running instance, nil when not running
	due       time.Time   // when a pending restart or retry is due; zero if none
	startedAt time.Time   // when cur was started
	attempt   int         // consecutive restarts: the backoff exponent
	crashes   []time.Time // recent crashes of a dynamic child, for parking
}

// New returns a supervisor for the given static children, started in the
// given order when Serve is called. Zero Config fields take their defaults.
// New panics if a spec is invalid or two share a name: static children are
// fixed by the program, so that is a programming error.
func New(cfg Config, children ...Spec) *Supervisor {
	s := &Supervisor{cfg: cfg.withDefaults()}
	now := time.Now()
	for _, sp := range children {
		if err := s.addLocked(sp, false, now); err != nil {
			panic(fmt.Sprintf("supervisor.New(%q): %v", s.cfg.Name, err))
		}
	}
	return s
}

// Name returns the supervisor's configured name.
func (s *Supervisor) Name() string { return s.cfg.Name }

// Serve starts every child in order and supervises them until ctx is
// cancelled or restart intensity is exceeded; then it stops the children in
// reverse order, each within its shutdown timeout, and returns. "In order"
// means each child's goroutine is launched after the previous one's: there
// is no readiness handshake.
//
// It returns nil after a clean stop; an error wrapping ErrGaveUp when it gave
// up (joined with ErrStuck errors if children then failed to stop); an error
// wrapping ErrStuck if a child ignored cancellation during the final stop;
// ErrAlreadyRunning if another Serve is in progress. Serve may be called
// again after it returned: children added with Add are kept, and every
// child is started afresh.
//
// Children receive a context carrying ctx's values but not its
// cancellation: the supervisor cancels each one itself, so that they stop in
// reverse start order.
func (s *Supervisor) Serve(ctx context.Context) error {
	r, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.end(r)
	defer func() {
		// A panic on the loop (from the Hook, say) must not orphan the
		// children: stop them, then let the panic reach the parent, which
		// recovers it like any child's.
		if v := recover(); v != nil {
			r.abort()
			panic(v)
		}
	}()
	return r.serve(ctx)
}

func (s *Supervisor) begin(ctx context.Context) (*runner, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loop != nil {
		return nil, fmt.Errorf("supervisor %q: %w", s.cfg.Name, ErrAlreadyRunning)
	}
	r := newRunner(s, ctx)
	for _, c := range s.children {
		c.cur, c.due, c.attempt, c.crashes = nil, time.Time{}, 0, nil
	}
	s.loop = r
	return r, nil
}

func (s *Supervisor) end(r *runner) {
	s.mu.Lock()
	s.loop = nil
	s.mu.Unlock()
	// Only now: a request that lost the race sees quit, retries, and finds
	// no loop, so it acts on the list directly.
	close(r.quit)
}

// Add adds a dynamic child. Before Serve (or between two Serves) it is
// recorded in StateStarting and started when Serve starts; during Serve it
// is started at once. Dynamic children are restarted one for one whatever
// the strategy, never count against the supervisor's restart intensity, and
// are parked as StateFailed for Cooldown after more than ChildMaxRestarts crashes
// within ChildPeriod. Add returns ErrDuplicate if the name is in use and
// ErrInvalidSpec for an invalid spec. It must not be called from Hook.
func (s *Supervisor) Add(spec Spec) error {
	if err := spec.validate(); err != nil {
		return err
	}
	defer s.changed()
	return s.request(request{add: &spec}, func() error {
		return s.addLocked(spec, true, time.Now())
	})
}

// Remove stops the named child (waiting up to its shutdown timeout) and
// forgets it. It returns ErrNotFound for an unknown name, and an error
// wrapping ErrStuck if the child ignored cancellation (it is forgotten all
// the same, its goroutine abandoned). Static children can be removed too.
// It must not be called from Hook.
func (s *Supervisor) Remove(name string) error {
	defer s.changed()
	return s.request(request{remove: name}, func() error {
		i := s.indexLocked(name)
		if i < 0 {
			return fmt.Errorf("supervisor %q: child %q: %w", s.cfg.Name, name, ErrNotFound)
		}
		s.children = slices.Delete(s.children, i, i+1)
		return nil
	})
}

// Children returns the status of every child, in start order. It is safe
// to call from any goroutine, the Hook included.
func (s *Supervisor) Children() []ChildStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ChildStatus, len(s.children))
	for i, c := range s.children {
		out[i] = c.status
	}
	return out
}

// request hands req to the running loop, or runs idle under the lock when
// no loop is running.
func (s *Supervisor) request(req request, idle func() error) error {
	for {
		s.mu.Lock()
		r := s.loop
		if r == nil {
			defer s.mu.Unlock()
			return idle()
		}
		s.mu.Unlock()
		req.reply = make(chan error, 1)
		select {
		case r.reqs <- req:
			return <-req.reply // the loop answers every request it takes
		case <-r.quit:
			// That loop has ended; look again.
		}
	}
}

func (s *Supervisor) indexLocked(name string) int {
	return slices.IndexFunc(s.children, func(c *child) bool { return c.spec.Name == name })
}

func (s *Supervisor) addLocked(sp Spec, dynamic bool, now time.Time) error {
	if err := sp.validate(); err != nil {
		return err
	}
	if s.indexLocked(sp.Name) >= 0 {
		return fmt.Errorf("supervisor %q: child %q: %w", s.cfg.Name, sp.Name, ErrDuplicate)
	}
	s.children = append(s.children, &child{
		spec:    sp,
		dynamic: dynamic,
		status:  ChildStatus{Name: sp.Name, State: StateStarting, Since: now, Dynamic: dynamic},
	})
	return nil
}

// update changes a child's published status under the lock; entering a new
// state stamps Since.
func (s *Supervisor) update(c *child, now time.Time, state State, f func(st *ChildStatus)) {
	s.mu.Lock()
	if c.status.State != state {
		c.status.State, c.status.Since = state, now
	}
	if f != nil {
		f(&c.status)
	}
	s.mu.Unlock()
	s.changed()
}

// changed calls Config.Changed, if any.
func (s *Supervisor) changed() {
	if s.cfg.Changed != nil {
		s.cfg.Changed()
	}
}

func (s *Supervisor) shutdownOf(c *child) time.Duration {
	if c.spec.Shutdown > 0 {
		return c.spec.Shutdown
	}
	return s.cfg.Shutdown
}
