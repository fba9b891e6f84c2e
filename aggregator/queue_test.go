package aggregator

import (
	"context"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// wide returns a batch of n gauges of source, one a series.
func wide(source string, n int, ms int64) Batch {
	ss := make([]Sample, n)
	for i := range ss {
		ss[i] = gauge("m", ms, float64(i), "i", strconv.Itoa(i))
	}
	return Batch{Source: source, Samples: ss, Complete: true}
}

// The queue is bounded in samples, not only in batches: with room for
// 1,024 batches, a few wide ones fill it, and the next is shed after
// PushWait and counted, while a batch that still fits goes in at once.
func TestPushBoundsQueuedSamples(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, c := newTestAgg(Options{QueueSize: 1024, QueueSamples: 100})
		ctx := context.Background()
		require.True(t, a.Push(ctx, wide("big", 60, c.ms)))
		start := time.Now()
		require.False(t, a.Push(ctx, wide("big", 60, c.ms)), "120 samples do not fit in 100")
		require.Equal(t, DefaultPushWait, time.Since(start), "shed after the push wait, not at once")
		require.EqualValues(t, 60, a.stats.dropped.Load())
		require.True(t, a.Push(ctx, wide("small", 40, c.ms)), "a batch that fits is not held up by a wide one")
		require.True(t, a.Push(ctx, Batch{Source: "small", Failed: true}), "a batch without samples always fits")
		require.Equal(t, 3, len(a.queue))
		require.Equal(t, 100, a.budget.queued())

		// Storing gives the samples back.
		a.drain(ctx, <-a.queue)
		require.Equal(t, 0, a.budget.queued())
		require.Empty(t, a.queue)
	})
}

// A batch wider than the whole budget goes into an empty queue alone (a
// source wider than QueueSamples is still stored), and nothing else fits
// beside it until it is stored.
func TestPushTakesAnOversizedBatchAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, c := newTestAgg(Options{QueueSamples: 10})
		ctx := context.Background()
		require.True(t, a.Push(ctx, wide("big", 50, c.ms)))
		require.False(t, a.Push(ctx, wide("small", 1, c.ms)))
		require.EqualValues(t, 1, a.stats.dropped.Load())
	})
}

// A Push waiting for room goes in as soon as Serve stores what was
// queued, within its wait; one whose ctx ends gives up at once.
func TestPushWaitsForRoomInSamples(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, c := newTestAgg(Options{QueueSamples: 10, PushWait: time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		require.True(t, a.Push(ctx, wide("a", 8, c.ms)))
		done := make(chan bool, 1)
		go func() { done <- a.Push(ctx, wide("b", 8, c.ms)) }()
		synctest.Wait()
		require.Empty(t, done, "waits for room")
		a.drain(ctx, <-a.queue)
		require.True(t, <-done)
		require.Equal(t, 8, a.budget.queued())

		go func() { done <- a.Push(ctx, wide("c", 8, c.ms)) }()
		synctest.Wait()
		cancel()
		require.False(t, <-done)
		require.Equal(t, 8, a.budget.queued(), "a shed batch gives its room back")
	})
}

// drain lets the store lock go between wide batches, so that a scrape
// waits for one batch, not for the backlog, and stops at once when its
// context is done: a shutdown behind a backlog waits for one batch too.
func TestDrainYieldsTheLockAndStopsOnCancel(t *testing.T) {
	defer func(h int) { drainHold = h }(drainHold)
	drainHold = 5
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var a *Aggregator
	calls, free := 0, 0
	a = New(Options{QueueSize: 16, Now: func() time.Time {
		calls++
		if calls > 1 { // drain took the lock once and let it go
			if a.mu.TryLock() {
				free++
				a.mu.Unlock()
			}
			if calls == 3 {
				cancel()
			}
		}
		return time.UnixMilli(1_700_000_000_000)
	}})
	for i := range 10 {
		require.True(t, a.Push(ctx, wide("s"+strconv.Itoa(i), 5, 1_700_000_000_000)))
	}
	a.drain(ctx, <-a.queue)
	require.Equal(t, 2, free, "the lock was free between batches")
	require.Equal(t, 7, len(a.queue), "stopped after the hold its context ended in")
	require.Equal(t, 35, a.budget.queued())
}

// A sweep ends when its stop func says so, keeping the series it did not
// reach, in order: Serve's shutdown waited seconds for a sweep of 600,000
// series.
func TestSweepStops(t *testing.T) {
	n := 2*sweepStopEvery + 10
	a, c := newTestAgg(Options{MaxSeries: n, MaxSeriesPerSource: n})
	a.ingest(wide("s", n, c.ms))
	c.ms += a.opts.History.Milliseconds() + 1 // every series is past the history
	rest := append([]*series(nil), a.st.all[sweepStopEvery-1:]...)
	asked := 0
	a.st.sweep(c.ms, 0, 0, func() bool { asked++; return true })
	require.Equal(t, 1, asked)
	require.Equal(t, rest, a.st.all, "evicted up to the first look, the rest kept as they were")
	a.st.sweep(c.ms, 0, 0, nil)
	require.Empty(t, a.st.all, "the next sweep evicts the rest")
}
