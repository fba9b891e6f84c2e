package collectors

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/supervisor"
)

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

// pollCounted is pollOnce counted in Manager.polling from its start
// until it returns, a panic (a crash request) included. Counted as
// running, it is no longer counted as due (Manager.due), in that order, so
// that Settled never finds it in neither.
func (c *collector) pollCounted(ctx context.Context, p *poller, crash <-chan struct{}) error {
	if c.polling != nil {
		c.polling.Add(1)
		defer c.polling.Add(-1)
	}
	c.undue()
	return c.pollOnce(ctx, p, crash)
}

// pollOnce runs one poll on p and records it. It returns an error only
// when the collector must stop: the poll panicked or hung. After a poll
// that was abandoned (hung, or left running at a stop) p must not be
// used again.
func (c *collector) pollOnce(ctx context.Context, p *poller, crash <-chan struct{}) error {
	at := c.env.now()
	t0 := time.Now()
	pctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	done, state := p.done, &p.state
	state.Store(pollRunning)
	p.jobs <- pctx

	watchdog := p.watchdog
	watchdog.Reset(c.timeout + c.grace)
	defer watchdog.Stop()
	select {
	case r := <-done:
		if ctx.Err() != nil && r.panic == nil && r.err != nil {
			// Stopping, and the poll failed because of it (both were
			// ready): a poll cut short by the stop says nothing of the
			// source, so it is not a failure to count or show.
			return nil
		}
		return c.record(ctx, at, time.Since(t0), r)
	case <-crash:
		c.crashNow()
	case <-ctx.Done():
		// Stopping: end the poll every way the source offers, its context
		// and its Close (a poll that ignores its context, like a fault
		// injected on purpose, held every stop for the whole grace: 2 s on
		// each SIGTERM of the soak), then give it its grace, then leave it.
		cancel()
		p.release()
		g := time.NewTimer(c.grace)
		defer g.Stop()
		select {
		case <-done:
		case <-g.C:
			c.abandon(state)
		}
		return nil
	case <-watchdog.C:
		if !c.abandon(state) {
			return c.record(ctx, at, time.Since(t0), <-done) // it made it after all
		}
		err := fmt.Errorf("%w: no result %s after it started (timeout %s)", ErrHung, (c.timeout + c.grace).String(), c.timeout.String())
		c.stats.fail(at, time.Since(t0), c.errText(err))
		c.log.Warn("poll hung; restarting the source", "timeout", c.timeout)
		return err
	}
	return nil
}

// poller runs the polls of one run of a collector, one at a time, on a
// goroutine kept from one poll to the next: a goroutine per poll started
// with a small stack and grew it again at every poll (a host poll's reads
// did, at a tenth of its cost), and the watchdog timer is kept likewise.
// A poll that hangs is abandoned with the goroutine, as before; the run
// then ends, and stop lets the goroutine exit once that poll returns.
type poller struct {
	jobs     chan context.Context // a poll's context; closed by stop
	done     chan pollResult      // capacity 1: a late result never blocks
	state    atomic.Int32         // the running poll's state (pollRunning...)
	watchdog *time.Timer          // stopped between polls
	release  func()               // closes the source, once whoever calls it
}

// startPoller starts the poll goroutine of a run of Serve, polling src;
// release closes src (once, however often it is called).
func (c *collector) startPoller(src Source, release func()) *poller {
	p := &poller{jobs: make(chan context.Context, 1), done: make(chan pollResult, 1), watchdog: time.NewTimer(time.Hour), release: release}
	p.watchdog.Stop()
	go func() {
		for ctx := range p.jobs {
			c.runPoll(ctx, src, p.done, &p.state)
		}
	}()
	return p
}

// stop ends the poll goroutine once the poll it runs, if any, returns.
func (p *poller) stop() { close(p.jobs) }

// runPoll runs a poll on the poll goroutine. A panic is recovered here,
// since the supervisor only recovers its child's own goroutine, and
// handed to Serve.
func (c *collector) runPoll(ctx context.Context, src Source, done chan<- pollResult, state *atomic.Int32) {
	var r pollResult
	defer func() {
		if v := recover(); v != nil {
			r = pollResult{panic: &supervisor.PanicError{Value: v, Stack: debug.Stack()}}
		}
		if !state.CompareAndSwap(pollRunning, pollDone) {
			c.stats.update(func(s *Stats) { s.Stuck-- }) // abandoned; it is over now
			c.notify()
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
