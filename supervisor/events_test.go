package supervisor

import (
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
		{StateStarting, "starting"}, {StateRunning, "running"}, {StateBackoff, "backoff"}, {StateFailed, "failed"}, {StateStopped, "stopped"}, {State(9), "State(9)"},
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

// The backoff and shutdown timers run on the time package, so a synctest
// bubble measures them exactly: the restart comes at the backoff delay and
// not before, and a child ignoring cancellation is reported stuck at its
// shutdown timeout.
func TestTimersFollowTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		k := newFake(&orderLog{}, "k")
		k.freeAtEnd(t)
		s := New(Config{Hook: rec.hook, Rand: fixedRand(0.5), Shutdown: 3 * time.Second}, k.spec(Permanent))
		stop := serving(t, s)

		time.Sleep(time.Hour)
		failedAt := time.Now()
		k.do(actFail)
		synctest.Wait()
		require.Equal(t, StateBackoff, status(t, s, "k").State)
		require.Equal(t, failedAt, status(t, s, "k").Since)

		time.Sleep(100*time.Millisecond - time.Nanosecond)
		synctest.Wait()
		require.Equal(t, StateBackoff, status(t, s, "k").State, "not restarted before the delay")
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		require.Equal(t, StateRunning, status(t, s, "k").State)
		require.Equal(t, failedAt.Add(100*time.Millisecond), status(t, s, "k").Since)

		k.do(actIgnore)
		stopAt := time.Now()
		err := stop()
		require.ErrorIs(t, err, ErrStuck)
		evs := rec.events()
		last := evs[len(evs)-1]
		require.Equal(t, EventStuck, last.Kind)
		require.Equal(t, stopAt.Add(3*time.Second), last.Time, "stuck exactly at the shutdown timeout")
	})
}
