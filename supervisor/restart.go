package supervisor

import (
	"context"
	"fmt"
	"time"
)

// exited handles the exit of a running child: record it, then restart,
// park or leave it stopped. It returns a non-nil error only when the
// supervisor must give up.
func (r *runner) exited(ctx context.Context, x *run) error {
	c := x.c
	if c.cur != x {
		return nil // a run already stopped (or abandoned) by the loop
	}
	c.cur = nil
	err := x.err
	now := r.now()

	if ctx.Err() != nil || !restartable(c.spec.Restart, err) {
		r.s.update(c, now, StateStopped, func(st *ChildStatus) { setLastError(st, err) })
		r.emit(c, EventExited, err, 0)
		return nil
	}
	if now.Sub(c.startedAt) >= r.cfg.Backoff.ResetAfter {
		c.attempt = 0 // it had recovered: this crash starts a new series
	}

	if c.dynamic {
		c.crashes = window(c.crashes, now, r.cfg.ChildPeriod)
		if len(c.crashes) > r.cfg.ChildMaxRestarts {
			r.park(c, err, now)
			return nil
		}
	} else {
		r.restarts = window(r.restarts, now, r.cfg.Period)
		if len(r.restarts) > r.cfg.MaxRestarts {
			return r.giveUp(c, err, now)
		}
	}

	delay := r.cfg.Backoff.delay(c.attempt, r.cfg.Rand)
	c.attempt++
	due := now.Add(delay)
	group := r.group(c)
	for _, g := range group {
		if g.due.After(due) {
			due = g.due // keep a sibling's own longer backoff, and the start order
		}
	}
	r.s.update(c, now, StateBackoff, func(st *ChildStatus) { setLastError(st, err) })
	r.emit(c, EventExited, err, 0)
	r.schedule(c, now, due, true)
	r.emit(c, EventRestarting, nil, due.Sub(now))

	// Siblings stop in reverse start order and wait for the same deadline,
	// so that startDue starts the whole group again in start order. Being
	// stopped for a sibling is not a crash: their backoff is left alone.
	for i := len(group) - 1; i >= 0; i-- {
		g := group[i]
		next := StateBackoff
		if g.spec.Restart == Temporary {
			next = StateStopped
		}
		if g.cur != nil {
			_ = r.stop(g, next) // a stuck sibling is recorded and reported by stop
		}
		now := r.now()
		if next == StateStopped {
			g.due = time.Time{}
			r.s.update(g, now, StateStopped, nil)
			continue
		}
		r.schedule(g, now, due, g.due.IsZero())
		r.emit(g, EventRestarting, nil, max(due.Sub(now), 0))
	}
	return nil
}

// restartable applies the restart policy to an exit reason.
func restartable(p Restart, err error) bool {
	switch p {
	case Permanent:
		return true
	case Transient:
		return err != nil
	}
	return false
}

// schedule puts c in Backoff until due. count is false when c was already
// waiting for a restart, which is merely postponed.
func (r *runner) schedule(c *child, now, due time.Time, count bool) {
	c.due = due
	r.s.update(c, now, StateBackoff, func(st *ChildStatus) {
		if count {
			st.Restarts++
		}
	})
}

// group returns the static siblings that the strategy restarts along with
// c, in start order. Dynamic children are never part of a group, and never
// cause one.
func (r *runner) group(c *child) []*child {
	if c.dynamic || r.cfg.Strategy == OneForOne {
		return nil
	}
	var out []*child
	after := false
	for _, g := range r.s.children {
		switch {
		case g == c:
			after = true
		case g.dynamic:
		case r.cfg.Strategy == OneForAll, after:
			out = append(out, g)
		}
	}
	return out
}

// park takes a dynamic child that crashed too often out of rotation until
// its cooldown has passed. It does not touch the supervisor's intensity.
func (r *runner) park(c *child, err error, now time.Time) {
	c.crashes = nil
	c.due = now.Add(r.cfg.Cooldown)
	r.s.update(c, now, StateFailed, func(st *ChildStatus) { setLastError(st, err) })
	r.emit(c, EventExited, err, 0)
	r.emit(c, EventParked, err, r.cfg.Cooldown)
}

// giveUp reports that restart intensity was exceeded and returns the error
// Serve will return (after stopping every child).
func (r *runner) giveUp(c *child, err error, now time.Time) error {
	r.s.update(c, now, StateStopped, func(st *ChildStatus) { setLastError(st, err) })
	r.emit(c, EventExited, err, 0)
	reason := "exited"
	if err != nil {
		reason = err.Error()
	}
	gaveUp := fmt.Errorf("supervisor %q: %w: more than %d restarts in %v; last: child %q: %s",
		r.cfg.Name, ErrGaveUp, r.cfg.MaxRestarts, r.cfg.Period, c.spec.Name, reason)
	if err != nil {
		gaveUp = fmt.Errorf("supervisor %q: %w: more than %d restarts in %v; last: child %q: %w",
			r.cfg.Name, ErrGaveUp, r.cfg.MaxRestarts, r.cfg.Period, c.spec.Name, err)
	}
	r.emitEvent(Event{Child: c.spec.Name, Kind: EventGaveUp, Err: gaveUp, Restarts: len(r.restarts)})
	return gaveUp
}
