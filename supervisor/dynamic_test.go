package supervisor

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

func names(s *Supervisor) []string {
	var out []string
	for _, st := range s.Children() {
		out = append(out, st.Name)
	}
	return out
}

func TestAddBeforeServeStartsWithServe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		rec := &recorder{log: log}
		a, d := newFake(log, "a"), newFake(log, "d")
		s := New(Config{Hook: rec.hook}, a.spec(Permanent))
		require.NoError(t, s.Add(d.spec(Permanent)))
		require.ErrorIs(t, s.Add(d.spec(Permanent)), ErrDuplicate)
		st := status(t, s, "d")
		require.Equal(t, StateStarting, st.State)
		require.True(t, st.Dynamic)
		require.False(t, status(t, s, "a").Dynamic)
		require.Equal(t, time.Now(), st.Since)

		stop := serving(t, s)
		require.Equal(t, []string{"a start", "d start"}, log.since(0))
		require.Equal(t, map[string]State{"a": StateRunning, "d": StateRunning}, states(s))
		require.NoError(t, stop())
		require.Equal(t, []string{"d stop", "a stop"}, log.since(2))
	})
}

func TestDynamicAddRemoveWhileOthersCrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		rec := &recorder{log: log}
		a, b := newFake(log, "a"), newFake(log, "b")
		d1, d2, d3 := newFake(log, "d1"), newFake(log, "d2"), newFake(log, "d3")
		s := New(Config{Strategy: OneForAll, Hook: rec.hook, Rand: fixedRand(0.5)}, a.spec(Permanent), b.spec(Permanent))
		require.NoError(t, s.Add(d1.spec(Permanent)))
		stop := serving(t, s)

		require.NoError(t, s.Add(d2.spec(Transient)))
		require.ErrorIs(t, s.Add(d2.spec(Permanent)), ErrDuplicate)
		require.ErrorIs(t, s.Add(Spec{Name: "x"}), ErrInvalidSpec)
		require.ErrorIs(t, s.Add(Spec{Service: d3}), ErrInvalidSpec)
		require.ErrorIs(t, s.Add(Spec{Name: "x", Service: d3, Restart: 7}), ErrInvalidSpec)
		require.ErrorIs(t, s.Add(Spec{Name: "x", Service: d3, Shutdown: -1}), ErrInvalidSpec)
		require.Equal(t, []string{"a", "b", "d1", "d2"}, names(s))

		// A static crash under one_for_all restarts the static children only.
		a.do(actFail)
		d2.do(actFail)
		synctest.Wait()
		require.Equal(t, map[string]State{"a": StateBackoff, "b": StateBackoff, "d1": StateRunning, "d2": StateBackoff}, states(s))

		// Removing a child waiting out its backoff cancels its restart.
		require.NoError(t, s.Remove("d2"))
		require.ErrorIs(t, s.Remove("d2"), ErrNotFound)
		require.NoError(t, s.Add(d3.spec(Permanent)))
		require.Equal(t, []string{"a", "b", "d1", "d3"}, names(s))

		time.Sleep(time.Second)
		synctest.Wait()
		require.Equal(t, map[string]State{"a": StateRunning, "b": StateRunning, "d1": StateRunning, "d3": StateRunning}, states(s))
		require.Equal(t, int32(1), d1.starts.Load(), "dynamic children are not part of a group restart")
		require.Equal(t, int32(1), d2.starts.Load(), "a removed child is not restarted")
		require.Equal(t, int32(2), a.starts.Load())
		require.Equal(t, int32(2), b.starts.Load())

		// Removing a running child stops it and waits for it.
		mark := log.len()
		require.NoError(t, s.Remove("d1"))
		require.Equal(t, []string{"d1 stop"}, log.since(mark))
		require.Equal(t, []string{"started", "exited"}, rec.of("d1"))
		require.Equal(t, []string{"a", "b", "d3"}, names(s))
		require.ErrorIs(t, s.Remove("nope"), ErrNotFound)

		require.NoError(t, stop())
		require.Equal(t, []string{"d3 stop", "b stop", "a stop"}, log.since(mark+1))
	})
}

func TestRemoveWhileIdle(t *testing.T) {
	log := &orderLog{}
	a, b := newFake(log, "a"), newFake(log, "b")
	s := New(Config{}, a.spec(Permanent), b.spec(Permanent))
	require.NoError(t, s.Remove("a"))
	require.ErrorIs(t, s.Remove("a"), ErrNotFound)
	require.Equal(t, []string{"b"}, names(s))
}

// A dynamic child that crashes too often is parked, without the supervisor
// giving up (its intensity would allow a single restart) and without its
// siblings restarting (the strategy is one_for_all), then retried.
func TestDynamicChildParkedThenRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		rec := &recorder{log: log}
		sib, d := newFake(log, "sib"), newFake(log, "d")
		d.onStart.Store(int32(actFail))
		s := New(Config{
			Strategy: OneForAll, MaxRestarts: 1, Hook: rec.hook, Rand: fixedRand(0.5),
			ChildMaxRestarts: 2, ChildPeriod: time.Minute, Cooldown: time.Minute,
		}, sib.spec(Permanent))
		require.NoError(t, s.Add(d.spec(Permanent)))
		stop := serving(t, s)

		time.Sleep(time.Second) // crashes at 0, 0.1s, 0.3s: the third is one too many
		synctest.Wait()
		require.Equal(t, []string{
			"started", "exited", "restarting:100ms", "started", "exited", "restarting:200ms",
			"started", "exited", "parked:1m0s",
		}, rec.of("d"))
		st := status(t, s, "d")
		require.Equal(t, StateFailed, st.State)
		require.ErrorIs(t, st.LastError, errBoom)
		require.Equal(t, 2, st.Restarts)
		require.Equal(t, 0, rec.count(EventGaveUp))
		require.Equal(t, int32(1), sib.starts.Load())
		require.Equal(t, StateRunning, status(t, s, "sib").State)

		// Still failing at the retry: parked again after another three crashes.
		time.Sleep(time.Minute)
		synctest.Wait()
		require.Equal(t, int32(6), d.starts.Load())
		require.Equal(t, StateFailed, status(t, s, "d").State)

		// Fixed by the next retry: it runs, with a fresh backoff.
		d.onStart.Store(int32(actRun))
		time.Sleep(time.Minute)
		synctest.Wait()
		require.Equal(t, StateRunning, status(t, s, "d").State)
		require.Equal(t, 6, status(t, s, "d").Restarts)
		d.do(actFail)
		synctest.Wait()
		evs := rec.of("d")
		require.Equal(t, "restarting:100ms", evs[len(evs)-1])

		require.Equal(t, int32(1), sib.starts.Load())
		require.NoError(t, stop(), "the supervisor never gave up")
	})
}

func TestParkedChildCanBeRemoved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newFake(&orderLog{}, "d")
		d.onStart.Store(int32(actFail))
		s := New(Config{ChildMaxRestarts: -1})
		require.NoError(t, s.Add(d.spec(Permanent)))
		stop := serving(t, s)
		require.Equal(t, StateFailed, status(t, s, "d").State)
		require.NoError(t, s.Remove("d"))
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		require.Equal(t, int32(1), d.starts.Load(), "no retry after removal")
		require.NoError(t, stop())
	})
}

func TestRemoveStuckChild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		d := newFake(&orderLog{}, "d")
		d.onStart.Store(int32(actIgnore))
		d.freeAtEnd(t)
		s := New(Config{Hook: rec.hook})
		require.NoError(t, s.Add(Spec{Name: "d", Service: d, Shutdown: time.Second}))
		stop := serving(t, s)

		start := time.Now()
		err := s.Remove("d")
		require.ErrorIs(t, err, ErrStuck)
		require.Equal(t, time.Second, time.Since(start), "waited exactly the shutdown timeout")
		require.Empty(t, s.Children(), "forgotten all the same")
		require.Equal(t, []string{"started", "stuck"}, rec.of("d"))
		require.NoError(t, stop())

		d.free() // the abandoned goroutine returns; its exit is ignored
		synctest.Wait()
	})
}

// Add and Remove racing with Serve's start and end must neither deadlock
// nor lose a child. Real time, no bubble: this is for the race detector.
func TestAddRemoveRaceWithServe(t *testing.T) {
	s := New(Config{Shutdown: time.Second})
	for i := range 50 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Serve(ctx) }()
		name := "d"
		svc := Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
		require.NoError(t, s.Add(Spec{Name: name, Service: svc}), "round %d", i)
		if i%2 == 0 {
			cancel()
		}
		_ = s.Children()
		require.NoError(t, s.Remove(name), "round %d", i)
		cancel()
		require.NoError(t, <-done)
		require.Empty(t, s.Children())
	}
}
