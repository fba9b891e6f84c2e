package supervisor

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// runner is one Serve call's run loop and everything it owns.
//
// How it works: each child runs in a goroutine of its own that reports its
// exit on exits. The loop handles one message at a time — a child's exit,
// an Add or Remove request, the restart timer, cancellation — so no child
// bookkeeping is ever shared. Pending restarts are deadlines on the
// children (child.due); a single timer is kept armed for the earliest one.
// Stopping a child is synchronous (cancel, then wait for it or for its
// shutdown timeout), which is what makes reverse-order stops simple; other
// children's exits wait in their goroutines meanwhile.
type runner struct {
	s    *Supervisor
	cfg  *Config
	base context.Context // the Serve context's values without its cancellation

	exits chan *run
	reqs  chan request
	quit  chan struct{} // closed once Serve has finished

	restarts []time.Time // recent restarts of static children: the intensity window
	timer    *time.Timer // armed for the earliest child.due, nil if none
	timerAt  time.Time
}

// run is one start of a child.
type run struct {
	c      *child
	cancel context.CancelFunc
	done   chan struct{} // closed when Serve has returned
	err    error         // Serve's result, readable once done is closed
}

type request struct {
	add    *Spec
	remove string
	reply  chan error
}

var errGoexit = errors.New("child called runtime.Goexit")

func newRunner(s *Supervisor, ctx context.Context) *runner {
	return &runner{
		s:     s,
		cfg:   &s.cfg,
		base:  context.WithoutCancel(ctx),
		exits: make(chan *run),
		reqs:  make(chan request),
		quit:  make(chan struct{}),
	}
}

func (r *runner) serve(ctx context.Context) error {
	for _, c := range r.s.children {
		if ctx.Err() != nil {
			break
		}
		r.start(c)
	}
	for {
		var fire <-chan time.Time
		if r.timer != nil {
			fire = r.timer.C
		}
		select {
		case <-ctx.Done():
			return r.shutdown(nil)
		case x := <-r.exits:
			if err := r.exited(ctx, x); err != nil {
				return r.shutdown(err)
			}
		case req := <-r.reqs:
			req.reply <- r.handle(req)
		case <-fire:
			r.timer, r.timerAt = nil, time.Time{}
			r.startDue()
		}
		r.rearm()
	}
}

func (r *runner) now() time.Time { return time.Now() }

// emit reports an event about child c to the hook; the child's restart
// count is read under the lock, the hook is called without it.
func (r *runner) emit(c *child, kind EventKind, err error, delay time.Duration) {
	if r.cfg.Hook == nil {
		return
	}
	r.s.mu.Lock()
	n := c.status.Restarts
	r.s.mu.Unlock()
	r.emitEvent(Event{Child: c.spec.Name, Kind: kind, Err: err, Delay: delay, Restarts: n})
}

func (r *runner) emitEvent(ev Event) {
	if r.cfg.Hook == nil {
		return
	}
	ev.Time, ev.Supervisor = r.now(), r.cfg.Name
	r.cfg.Hook(ev)
}

// start launches c's goroutine.
func (r *runner) start(c *child) {
	ctx, cancel := context.WithCancel(r.base)
	x := &run{c: c, cancel: cancel, done: make(chan struct{})}
	now := r.now()
	c.cur, c.due, c.startedAt = x, time.Time{}, now
	r.s.update(c, now, StateRunning, nil)
	go r.runChild(ctx, x)
	r.emit(c, EventStarted, nil, 0)
}

func (r *runner) runChild(ctx context.Context, x *run) {
	returned := false
	defer func() {
		if !returned {
			x.err = errGoexit
		}
		x.cancel()
		close(x.done)
		select {
		case r.exits <- x:
		case <-r.quit: // an abandoned child outlived its Serve call
		}
	}()
	x.err = serveSafely(ctx, x.c.spec.Service)
	returned = true
}

// serveSafely runs svc, turning a panic into a *PanicError.
func serveSafely(ctx context.Context, svc Service) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return svc.Serve(ctx)
}

// stop cancels c and waits for it up to its shutdown timeout. A child that
// does not return in time is reported stuck and abandoned: there is no way
// to kill a goroutine, so it keeps running until it returns on its own,
// and its late exit is ignored. next is the state c is left in.
func (r *runner) stop(c *child, next State) error {
	x := c.cur
	c.cur = nil
	x.cancel()
	d := r.s.shutdownOf(c)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-x.done:
		err := x.err
		if errors.Is(err, context.Canceled) {
			err = nil // the answer to our cancellation, not a failure
		}
		r.s.update(c, r.now(), next, func(st *ChildStatus) { setLastError(st, err) })
		r.emit(c, EventExited, err, 0)
		return nil
	case <-t.C:
		err := fmt.Errorf("supervisor %q: child %q: %w (no return %v after cancellation)",
			r.cfg.Name, c.spec.Name, ErrStuck, d)
		r.s.update(c, r.now(), next, func(st *ChildStatus) { st.LastError = err })
		r.emit(c, EventStuck, err, 0)
		return err
	}
}

func setLastError(st *ChildStatus, err error) {
	if err != nil {
		st.LastError = err
	}
}

// shutdown stops every child in reverse start order and returns cause
// joined with any stuck errors.
func (r *runner) shutdown(cause error) error {
	if r.timer != nil {
		r.timer.Stop()
		r.timer, r.timerAt = nil, time.Time{}
	}
	errs := []error{cause}
	for i := len(r.s.children) - 1; i >= 0; i-- {
		c := r.s.children[i]
		c.due = time.Time{}
		if c.cur != nil {
			errs = append(errs, r.stop(c, StateStopped))
			continue
		}
		r.s.update(c, r.now(), StateStopped, nil)
	}
	return errors.Join(errs...)
}

// abort stops the running children in reverse start order after the loop
// panicked. No events: the hook may be what panicked.
func (r *runner) abort() {
	for i := len(r.s.children) - 1; i >= 0; i-- {
		c := r.s.children[i]
		c.due = time.Time{}
		if x := c.cur; x != nil {
			c.cur = nil
			x.cancel()
			t := time.NewTimer(r.s.shutdownOf(c))
			select {
			case <-x.done:
			case <-t.C:
			}
			t.Stop()
		}
		r.s.update(c, r.now(), StateStopped, nil)
	}
	if r.timer != nil {
		r.timer.Stop()
	}
}

// handle serves an Add or Remove request.
func (r *runner) handle(req request) error {
	if req.add != nil {
		r.s.mu.Lock()
		err := r.s.addLocked(*req.add, true, r.now())
		r.s.mu.Unlock()
		if err != nil {
			return err
		}
		r.start(r.s.children[len(r.s.children)-1])
		return nil
	}
	i := r.s.indexLocked(req.remove) // the loop owns the list: no lock to read it
	if i < 0 {
		return fmt.Errorf("supervisor %q: child %q: %w", r.cfg.Name, req.remove, ErrNotFound)
	}
	c := r.s.children[i]
	var err error
	if c.cur != nil {
		err = r.stop(c, StateStopped)
	}
	c.due = time.Time{}
	r.s.update(c, r.now(), StateStopped, nil)
	r.s.mu.Lock()
	r.s.children = append(r.s.children[:i:i], r.s.children[i+1:]...)
	r.s.mu.Unlock()
	return err
}

// startDue starts, in start order, every child whose restart or retry is due.
func (r *runner) startDue() {
	now := r.now()
	for _, c := range r.s.children {
		if c.due.IsZero() || c.due.After(now) {
			continue
		}
		r.s.mu.Lock()
		parked := c.status.State == StateFailed
		if parked {
			c.status.Restarts++ // a retry after cooldown is a restart too
		}
		r.s.mu.Unlock()
		if parked {
			c.crashes, c.attempt = nil, 0
		}
		r.start(c)
	}
}

// rearm keeps the timer armed for the earliest due child.
func (r *runner) rearm() {
	var next time.Time
	for _, c := range r.s.children {
		if !c.due.IsZero() && (next.IsZero() || c.due.Before(next)) {
			next = c.due
		}
	}
	if r.timer != nil && next.Equal(r.timerAt) {
		return
	}
	if r.timer != nil {
		r.timer.Stop()
		r.timer, r.timerAt = nil, time.Time{}
	}
	if next.IsZero() {
		return
	}
	r.timer, r.timerAt = time.NewTimer(max(next.Sub(r.now()), 0)), next
}
