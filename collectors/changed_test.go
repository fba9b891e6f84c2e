package collectors

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

// statusWatch records what Statuses said at each Changed call: a watcher
// that reads only when told must see every change.
type statusWatch struct {
	mu    sync.Mutex
	m     *Manager
	polls []uint64 // Polls of source "a" at each call
	calls int
}

func (w *statusWatch) changed() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls++
	if w.m == nil {
		return
	}
	for _, st := range w.m.Statuses() {
		if st.Name == "a" {
			w.polls = append(w.polls, st.Polls)
		}
	}
}

func (w *statusWatch) snapshot() (int, []uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls, append([]uint64(nil), w.polls...)
}

func TestManagerChangedAfterEveryPollAndApply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &statusWatch{}
		m := newTestManager(newRecordingSink(), nil, func(o *ManagerOptions) { o.Changed = w.changed })
		w.mu.Lock()
		w.m = m
		w.mu.Unlock()
		require.NoError(t, m.Apply([]configs.Source{steady("a", time.Second)}))
		calls, _ := w.snapshot()
		require.Positive(t, calls, "Apply changed the set")

		stop := serveManager(t, m)
		time.Sleep(2500 * time.Millisecond)
		synctest.Wait()
		_, polls := w.snapshot()
		require.Contains(t, polls, uint64(3), "the third poll (0s, 1s, 2s) was announced once visible")

		before, _ := w.snapshot()
		require.NoError(t, m.Apply(nil))
		after, _ := w.snapshot()
		require.Greater(t, after, before, "removing a source is a change")
		require.Empty(t, m.Statuses())
		stop()
	})
}
