package supervisor

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// changeLog records what Children said at each Changed call, so the test
// sees that every change was announced after it became visible.
type changeLog struct {
	mu    sync.Mutex
	s     *Supervisor
	seen  []map[string]State
	calls int
}

func (l *changeLog) changed() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	l.seen = append(l.seen, states(l.s))
}

func (l *changeLog) last() (int, map[string]State) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls, l.seen[len(l.seen)-1]
}

func TestChangedFollowsEveryVisibleChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		rec := &recorder{log: log}
		a, d := newFake(log, "a"), newFake(log, "d")
		cl := &changeLog{}
		s := New(Config{Hook: rec.hook, Changed: cl.changed, Backoff: Backoff{Initial: 1, Max: 1}}, a.spec(Permanent))
		cl.s = s

		stop := serving(t, s)
		_, seen := cl.last()
		require.Equal(t, map[string]State{"a": StateRunning}, seen, "a start is announced once visible")

		require.NoError(t, s.Add(d.spec(Permanent)))
		synctest.Wait()
		_, seen = cl.last()
		require.Equal(t, map[string]State{"a": StateRunning, "d": StateRunning}, seen)

		before, _ := cl.last()
		d.do(actFail)
		synctest.Wait()
		time.Sleep(time.Nanosecond) // the backoff (1ns, or 0 after jitter) runs out
		synctest.Wait()
		n, seen := cl.last()
		require.Greater(t, n, before, "a crash and its restart are announced")
		require.Equal(t, StateRunning, seen["d"])
		require.Equal(t, 1, status(t, s, "d").Restarts)

		require.NoError(t, s.Remove("d"))
		_, seen = cl.last()
		require.Equal(t, map[string]State{"a": StateRunning}, seen, "a removal is announced once the child is gone")
		require.NoError(t, stop())
		_, seen = cl.last()
		require.Equal(t, map[string]State{"a": StateStopped}, seen, "and so is the stop")
	})
}
