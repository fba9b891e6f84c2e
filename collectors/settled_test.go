package collectors

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/supervisor"
)

// countingSink records how many polls were counted as running when each
// batch came.
type countingSink struct {
	polling *atomic.Int64
	mu      sync.Mutex
	seen    []int64
}

func (s *countingSink) Push(context.Context, aggregator.Batch) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, s.polling.Load())
	return true
}

// changes records the poll count Changed saw at each call; an abandoned
// poll calls Changed from its own goroutine.
type changes struct {
	mu   sync.Mutex
	seen []int64
}

func (c *changes) add(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, n)
}

func (c *changes) all() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64(nil), c.seen...)
}

// newCountedCollector is newTestCollector with the Manager's poll count
// and a Changed that records the count it sees.
func newCountedCollector(src Source, polling *atomic.Int64, sink Sink, changed *changes) *collector {
	return newCollector(loopConfig("s"), &sourceStats{}, loopOptions{
		env:     Env{Now: time.Now},
		sink:    sink,
		log:     slog.New(slog.DiscardHandler),
		grace:   time.Second,
		phase:   func(string, time.Duration) time.Duration { return 0 },
		build:   fixed(src),
		changed: func() { changed.add(polling.Load()) },
		polling: polling,
	})
}

// A poll is counted from its start until it has pushed its batch and
// updated its bookkeeping: the batch comes while it is counted, Changed
// after it is counted out.
func TestPollCountedUntilReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var polling atomic.Int64
		var during []int64
		src := newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
			during = append(during, polling.Load())
			return gauge("m", 1), nil
		})
		sink := &countingSink{polling: &polling}
		var changed changes
		c := newCountedCollector(src, &polling, sink, &changed)
		ctx, cancel := context.WithCancel(t.Context())
		done := serveInBackground(ctx, c)
		time.Sleep(2*time.Second + time.Millisecond)
		cancel()
		require.NoError(t, <-done)
		require.Equal(t, []int64{1, 1, 1}, during)
		require.Equal(t, []int64{1, 1, 1}, sink.seen, "the batch is pushed while the poll is counted")
		require.NotEmpty(t, changed.all())
		for _, n := range changed.all() {
			require.Zero(t, n, "Changed comes once the poll is counted out")
		}
		require.Zero(t, polling.Load())
	})
}

// A poll that hangs, panics or is cut short by a crash request is counted
// out when its collector stops waiting for it.
func TestPollCountedOutOnEveryExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var polling atomic.Int64
		var changed changes
		var hung *funcSource
		hung = newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
			<-hung.closed // ignores its context, as a hung poll does
			return nil, ErrSourceClosed
		})
		c := newCountedCollector(hung, &polling, &countingSink{polling: &polling}, &changed)
		require.ErrorIs(t, c.Serve(t.Context()), ErrHung)
		require.Zero(t, polling.Load(), "hung: counted out when abandoned")
		synctest.Wait()

		panics := newFuncSource(func(context.Context) ([]aggregator.Sample, error) { panic("boom") })
		c = newCountedCollector(panics, &polling, &countingSink{polling: &polling}, &changed)
		var pe *supervisor.PanicError
		require.ErrorAs(t, c.Serve(t.Context()), &pe)
		require.Zero(t, polling.Load(), "panicked")

		block := make(chan struct{})
		slow := newFuncSource(func(ctx context.Context) ([]aggregator.Sample, error) {
			<-ctx.Done()
			<-block
			return nil, ctx.Err()
		})
		c = newCountedCollector(slow, &polling, &countingSink{polling: &polling}, &changed)
		done := serveInBackground(t.Context(), c)
		synctest.Wait()
		require.EqualValues(t, 1, polling.Load(), "the poll runs")
		require.NoError(t, c.Crash())
		require.ErrorAs(t, <-done, &pe)
		require.IsType(t, CrashRequested{}, pe.Value)
		require.Zero(t, polling.Load(), "crashed mid-poll")
		close(block)
		synctest.Wait()
		for _, n := range changed.all() {
			require.Zero(t, n)
		}
	})
}

// Manager.Settled is false while any of its sources polls.
func TestManagerSettled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		m := newTestManager(newRecordingSink(), nil, func(o *ManagerOptions) {
			o.factory = func(configs.Source, Env) (Source, error) {
				return newFuncSource(func(ctx context.Context) ([]aggregator.Sample, error) {
					select {
					case <-release:
					case <-ctx.Done():
					}
					return gauge("m", 1), nil
				}), nil
			}
		})
		require.True(t, m.Settled(), "nothing runs")
		require.NoError(t, m.Apply([]configs.Source{loopConfig("a"), loopConfig("b")}))
		stop := serveManager(t, m)
		synctest.Wait()
		require.False(t, m.Settled(), "two polls run")
		release <- struct{}{}
		synctest.Wait()
		require.False(t, m.Settled(), "one poll runs")
		release <- struct{}{}
		synctest.Wait()
		require.True(t, m.Settled(), "both reported")
		stop()
		require.True(t, m.Settled())
	})
}
