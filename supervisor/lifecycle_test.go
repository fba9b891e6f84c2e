package supervisor

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStopBeforeStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFake(&orderLog{}, "k")
		s := New(Config{}, k.spec(Permanent))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.NoError(t, s.Serve(ctx))
		require.Equal(t, int32(0), k.starts.Load(), "nothing starts under a cancelled context")
		require.Equal(t, StateStopped, status(t, s, "k").State)
	})
}

func TestStopTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		k := newFake(log, "k")
		s := New(Config{}, k.spec(Permanent))
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- s.Serve(ctx) }()
		synctest.Wait()
		cancel()
		cancel()
		require.NoError(t, <-errc)
		require.Equal(t, []string{"k stop"}, log.since(0), "stopped once")
	})
}

func TestStartStopStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		rec := &recorder{log: log}
		a, d := newFake(log, "a"), newFake(log, "d")
		s := New(Config{Hook: rec.hook}, a.spec(Permanent))
		require.NoError(t, s.Add(d.spec(Temporary)))

		stop := serving(t, s)
		d.do(actExitNil) // a finished temporary child
		synctest.Wait()
		require.Equal(t, StateStopped, status(t, s, "d").State)
		require.NoError(t, stop())

		stop = serving(t, s)
		require.Equal(t, map[string]State{"a": StateRunning, "d": StateRunning}, states(s), "every child starts afresh")
		require.Equal(t, 0, status(t, s, "a").Restarts, "a new Serve is not a restart")
		require.NoError(t, stop())
		require.Equal(t, []string{"a start", "d start", "d stop", "a stop", "a start", "d start", "d stop", "a stop"}, log.since(0))
	})
}

func TestServeTwiceConcurrently(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFake(&orderLog{}, "k")
		s := New(Config{Name: "twice"}, k.spec(Permanent))
		stop := serving(t, s)
		err := s.Serve(context.Background())
		require.ErrorIs(t, err, ErrAlreadyRunning)
		require.Contains(t, err.Error(), "twice")
		require.Equal(t, int32(1), k.starts.Load())
		require.Equal(t, StateRunning, status(t, s, "k").State, "the first Serve is undisturbed")
		require.NoError(t, stop())
	})
}

// A child that ignores cancellation is reported stuck and abandoned; Serve
// returns within the shutdown bound and the other children still stop in
// reverse order.
func TestStuckChildOnShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		rec := &recorder{log: log}
		a, stuck, c := newFake(log, "a"), newFake(log, "stuck"), newFake(log, "c")
		stuck.onStart.Store(int32(actIgnore))
		stuck.freeAtEnd(t)
		s := New(Config{Hook: rec.hook, Shutdown: time.Minute},
			a.spec(Permanent), Spec{Name: "stuck", Service: stuck, Shutdown: 2 * time.Second}, c.spec(Permanent))
		stop := serving(t, s)

		start := time.Now()
		err := stop()
		require.ErrorIs(t, err, ErrStuck)
		require.Contains(t, err.Error(), `child "stuck"`)
		require.Equal(t, 2*time.Second, time.Since(start), "Serve returns after the stuck child's own timeout")
		require.Equal(t, []string{"c stop", "a stop"}, log.since(3))
		require.Equal(t, []string{"started", "stuck"}, rec.of("stuck"))
		st := status(t, s, "stuck")
		require.Equal(t, StateStopped, st.State)
		require.ErrorIs(t, st.LastError, ErrStuck)

		stuck.free() // the leak is by design; end it so the bubble and goleak are clean
		synctest.Wait()
		require.Equal(t, "stuck stop", log.since(log.len() - 1)[0])
	})
}

// A sibling stuck during a one_for_all restart is abandoned; the group is
// restarted anyway and the old instance's late exit is ignored.
func TestStuckSiblingDuringGroupRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		rec := &recorder{log: log}
		a, b := newFake(log, "a"), newFake(log, "b")
		s := New(Config{Strategy: OneForAll, Hook: rec.hook, Shutdown: time.Second, Rand: fixedRand(0.5)},
			a.spec(Permanent), b.spec(Permanent))
		b.freeAtEnd(t)
		stop := serving(t, s)
		b.do(actIgnore)
		a.do(actFail)
		synctest.Wait()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		require.Equal(t, []string{"started", "stuck", "restarting:0s", "started"}, rec.of("b"), "the stop outlasted the backoff")
		require.ErrorIs(t, status(t, s, "b").LastError, ErrStuck)
		require.Equal(t, map[string]State{"a": StateRunning, "b": StateRunning}, states(s))

		mark := log.len()
		b.release <- struct{}{} // the abandoned instance returns
		synctest.Wait()
		require.Equal(t, []string{"b stop"}, log.since(mark))
		require.Equal(t, StateRunning, status(t, s, "b").State, "a stale exit changes nothing")
		require.Equal(t, int32(2), b.starts.Load())
		require.NoError(t, stop())
	})
}

func TestNewPanicsOnInvalidStaticChildren(t *testing.T) {
	k := newFake(&orderLog{}, "k")
	require.PanicsWithValue(t, `supervisor.New("s"): supervisor "s": child "k": duplicate child name`, func() {
		New(Config{Name: "s"}, k.spec(Permanent), k.spec(Transient))
	})
	require.Panics(t, func() { New(Config{}, Spec{Name: "n"}) })
	require.Panics(t, func() { New(Config{}, Spec{Service: k}) })
}

// Outside a synctest bubble the timers are real: a 1ms backoff restarts.
func TestRealTime(t *testing.T) {
	evs := make(chan Event, 16)
	k := newFake(&orderLog{}, "k")
	s := New(Config{Hook: func(e Event) { evs <- e }, Backoff: Backoff{Initial: time.Millisecond}}, k.spec(Permanent))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx) }()
	require.Equal(t, EventStarted, (<-evs).Kind)
	k.do(actFail)
	for _, want := range []EventKind{EventExited, EventRestarting, EventStarted} {
		require.Equal(t, want, (<-evs).Kind)
	}
	cancel()
	require.NoError(t, <-errc)
	require.Equal(t, EventExited, (<-evs).Kind)
}

// A panicking hook must not orphan the children: they are stopped and the
// panic goes on to the caller (a parent supervisor recovers it).
func TestHookPanicStopsChildren(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		a, b := newFake(log, "a"), newFake(log, "b")
		hook := func(e Event) {
			if e.Kind == EventRestarting {
				panic("hook bug")
			}
		}
		s := New(Config{Name: "inner", Hook: hook}, a.spec(Permanent), b.spec(Permanent))
		outer := New(Config{Name: "outer", MaxRestarts: -1}, Spec{Name: "inner", Service: s})
		errc := make(chan error, 1)
		go func() { errc <- outer.Serve(context.Background()) }()
		synctest.Wait()
		a.do(actFail)
		err := <-errc
		var pe *PanicError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, "hook bug", pe.Value)
		require.Equal(t, []string{"a stop", "b stop"}, log.since(0))
		require.Equal(t, map[string]State{"a": StateStopped, "b": StateStopped}, states(s))
	})
}
