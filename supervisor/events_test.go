package supervisor

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStringers(t *testing.T) {
	tests := []struct {
		v    fmt.Stringer
		want string
	}{
		{OneForOne, "one_for_one"}, {OneForAll, "one_for_all"}, {RestForOne, "rest_for_one"}, {Strategy(9), "Strategy(9)"},
		{Permanent, "permanent"}, {Transient, "transient"}, {Temporary, "temporary"}, {Restart(9), "Restart(9)"},
		{Starting, "starting"}, {Running, "running"}, {StateBackoff, "backoff"}, {Failed, "failed"}, {Stopped, "stopped"}, {State(9), "State(9)"},
		{EventStarted, "started"}, {EventExited, "exited"}, {EventRestarting, "restarting"}, {EventGaveUp, "gave_up"},
		{EventStuck, "stuck"}, {EventParked, "parked"}, {EventKind(9), "EventKind(9)"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.v.String())
	}
}

func TestEventString(t *testing.T) {
	e := Event{Supervisor: "collectors", Child: "demo", Kind: EventRestarting, Delay: 200 * time.Millisecond, Restarts: 3}
	require.Equal(t, "supervisor=collectors child=demo event=restarting delay=200ms restarts=3", e.String())
	e = Event{Supervisor: "collectors", Child: "demo", Kind: EventExited, Err: fmt.Errorf("bad \"x\"\nline"), Restarts: 1}
	require.Equal(t, `supervisor=collectors child=demo event=exited restarts=1 err="bad \"x\"\nline"`, e.String())
	e = Event{Supervisor: "root", Kind: EventGaveUp, Restarts: 6}
	require.Equal(t, "supervisor=root event=gave_up restarts=6", e.String())
	e = Event{Supervisor: "c", Child: "d", Kind: EventParked, Delay: time.Minute}
	require.Equal(t, "supervisor=c child=d event=parked delay=1m0s restarts=0", e.String())
}

// The hook sees exited, restarting, then started after the delay; it is
// never called with the supervisor's lock held, and the published state
// already matches the event.
func TestHookOrderingAndLocking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var s *Supervisor
		var mu sync.Mutex
		var got []string
		lockHeld := false
		hook := func(e Event) { // runs on the loop goroutine: record, assert later
			if s.mu.TryLock() {
				s.mu.Unlock()
			} else {
				lockHeld = true
			}
			st := s.Children()[0].State
			mu.Lock()
			defer mu.Unlock()
			got = append(got, fmt.Sprintf("%s/%s %s state=%s", e.Supervisor, e.Child, e.Kind, st))
		}
		k := newFake(&orderLog{}, "k")
		s = New(Config{Name: "hooked", Hook: hook}, k.spec(Permanent))
		stop := serving(t, s)
		k.do(actFail)
		synctest.Wait()
		time.Sleep(time.Second)
		require.NoError(t, stop())

		require.False(t, lockHeld, "hook called with the lock held")
		require.Equal(t, []string{
			"hooked/k started state=running",
			"hooked/k exited state=backoff",
			"hooked/k restarting state=backoff",
			"hooked/k started state=running",
			"hooked/k exited state=stopped",
		}, got)
	})
}

func TestEventTimesAndRestartCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		k := newFake(&orderLog{}, "k")
		s := New(Config{Hook: rec.hook, Rand: fixedRand(0.5)}, k.spec(Permanent))
		t0 := time.Now()
		stop := serving(t, s)
		k.do(actFail)
		synctest.Wait()
		time.Sleep(time.Second)
		require.NoError(t, stop())
		var got []string
		for _, e := range rec.events() {
			got = append(got, fmt.Sprintf("%s t=%v restarts=%d", e.Kind, e.Time.Sub(t0), e.Restarts))
		}
		require.Equal(t, []string{
			"started t=0s restarts=0",
			"exited t=0s restarts=0",
			"restarting t=0s restarts=1",
			"started t=100ms restarts=1",
			"exited t=1s restarts=1",
		}, got)
	})
}

// fakeClock is a hand-driven Clock. NewTimer reports each requested
// duration on created, so a test knows when the supervisor is waiting.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	created chan time.Duration
}

type fakeTimer struct {
	at    time.Time
	c     chan time.Time
	fired bool
	clock *fakeClock
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), created: make(chan time.Duration, 64)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	t := &fakeTimer{at: c.now.Add(d), c: make(chan time.Time, 1), clock: c}
	c.timers = append(c.timers, t)
	c.fireLocked()
	c.mu.Unlock()
	c.created <- d
	return t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.fireLocked()
}

func (c *fakeClock) fireLocked() {
	for _, t := range c.timers {
		if !t.fired && !t.at.After(c.now) {
			t.fired = true
			t.c <- c.now
		}
	}
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := !t.fired
	t.fired = true
	return was
}

// The supervisor takes all its time from the injected clock: event times,
// backoff timers and shutdown timers.
func TestInjectedClock(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	evs := make(chan Event, 16)
	k := newFake(&orderLog{}, "k")
	s := New(Config{Clock: clock, Hook: func(e Event) { evs <- e }, Rand: fixedRand(0.5), Shutdown: 3 * time.Second}, k.spec(Permanent))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx) }()

	next := func(kind EventKind) Event {
		e := <-evs
		require.Equal(t, kind, e.Kind)
		return e
	}
	require.Equal(t, t0, next(EventStarted).Time)
	clock.Advance(time.Hour) // the clock alone decides what "now" is
	k.do(actFail)
	require.Equal(t, t0.Add(time.Hour), next(EventExited).Time)
	require.Equal(t, 100*time.Millisecond, next(EventRestarting).Delay)
	require.Equal(t, 100*time.Millisecond, <-clock.created, "the backoff timer comes from the clock")
	require.Equal(t, StateBackoff, status(t, s, "k").State)
	require.Equal(t, t0.Add(time.Hour), status(t, s, "k").Since)

	clock.Advance(100 * time.Millisecond)
	require.Equal(t, t0.Add(time.Hour+100*time.Millisecond), next(EventStarted).Time)

	cancel()
	require.Equal(t, 3*time.Second, <-clock.created, "the shutdown timer comes from the clock")
	require.NoError(t, <-errc)
	next(EventExited)
}
