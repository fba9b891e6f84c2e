package collectors

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
)

// healthLog records what a collector told of its polls.
type healthLog struct {
	mu  sync.Mutex
	all []HealthChange
}

func (h *healthLog) add(c HealthChange) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.all = append(h.all, c)
}

func (h *healthLog) list() []HealthChange {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HealthChange(nil), h.all...)
}

// newHealthCollector is newTestCollector with a Health that records.
func newHealthCollector(src Source, stats *sourceStats, told *healthLog) *collector {
	return newCollector(loopConfig("s"), stats, loopOptions{
		env:    Env{Now: time.Now},
		sink:   newRecordingSink(),
		log:    slog.New(slog.DiscardHandler),
		grace:  time.Second,
		phase:  func(string, time.Duration) time.Duration { return 0 },
		build:  fixed(src),
		health: told.add,
	})
}

// A row of failed polls is told once, down with its (masked) error at the
// first failure's time, and once up at the first success after it.
func TestHealthToldOncePerChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var told healthLog
		n := 0
		src := newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
			n++
			if n >= 3 && n <= 5 {
				return nil, errors.New("connection refused")
			}
			return gauge("m", 1), nil
		})
		c := newHealthCollector(src, &sourceStats{}, &told)
		ctx, cancel := context.WithCancel(t.Context())
		start := time.Now()
		done := serveInBackground(ctx, c)
		time.Sleep(20 * time.Second)
		synctest.Wait()
		cancel()
		require.NoError(t, <-done)

		got := told.list()
		require.Len(t, got, 2, "one down, one up: %+v", got)
		require.Equal(t, HealthChange{Source: "s", At: start.Add(2 * time.Second), Error: "connection refused"}, got[0])
		require.True(t, got[1].Up)
		require.Empty(t, got[1].Error)
		require.True(t, got[1].At.After(got[0].At))
	})
}

// A crash (a panicking poll) is the supervisor's to tell: the next run's
// success is not told as the polls working again, since no failing poll
// was told.
func TestHealthNotToldForACrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var told healthLog
		stats := &sourceStats{}
		panicking := newFuncSource(func(context.Context) ([]aggregator.Sample, error) { panic("boom") })
		c := newHealthCollector(panicking, stats, &told)
		err := <-serveInBackground(t.Context(), c)
		require.Error(t, err)
		require.NotZero(t, stats.snapshot().ConsecutiveFailures)

		ok := newFuncSource(func(context.Context) ([]aggregator.Sample, error) { return gauge("m", 1), nil })
		c = newHealthCollector(ok, stats, &told)
		ctx, cancel := context.WithCancel(t.Context())
		done := serveInBackground(ctx, c)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		cancel()
		require.NoError(t, <-done)
		require.True(t, stats.snapshot().Up)
		require.Empty(t, told.list())
	})
}

// After a crash, a new run whose first poll fails is told down: nothing
// told it before.
func TestHealthDownAfterACrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var told healthLog
		stats := &sourceStats{}
		panicking := newFuncSource(func(context.Context) ([]aggregator.Sample, error) { panic("boom") })
		require.Error(t, <-serveInBackground(t.Context(), newHealthCollector(panicking, stats, &told)))

		failing := newFuncSource(func(context.Context) ([]aggregator.Sample, error) { return nil, errors.New("refused") })
		ctx, cancel := context.WithCancel(t.Context())
		done := serveInBackground(ctx, newHealthCollector(failing, stats, &told))
		time.Sleep(5 * time.Second)
		synctest.Wait()
		cancel()
		require.NoError(t, <-done)
		got := told.list()
		require.Len(t, got, 1)
		require.False(t, got[0].Up)
		require.Equal(t, "refused", got[0].Error)
	})
}
