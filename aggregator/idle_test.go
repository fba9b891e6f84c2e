package aggregator

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// TestIdleServeReadsNothing: a served aggregator with nothing changing
// reads neither the sources nor the tree and publishes nothing; a change
// marked by SourcesChanged or TreeChanged is read once and published
// within the broadcast interval.
func TestIdleServeReadsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sourceReads, treeReads, restarts atomic.Int64
		a := New(Options{
			Sources: func() []SourceInfo {
				sourceReads.Add(1)
				return []SourceInfo{{Name: "s", Type: "simulated", State: StateRunning, Restarts: uint64(restarts.Load())}}
			},
			Tree: func() Process {
				treeReads.Add(1)
				return Process{Name: "root", State: StateRunning, Restarts: int(restarts.Load())}
			},
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- a.Serve(ctx) }()
		time.Sleep(time.Second)
		synctest.Wait()
		require.Equal(t, int64(1), sourceReads.Load(), "read once, at the first publish")
		require.Equal(t, int64(1), treeReads.Load())
		s := a.Subscribe(a.Seq())
		defer s.Close()
		seq := a.Seq()

		time.Sleep(time.Hour)
		synctest.Wait()
		require.Equal(t, int64(1), sourceReads.Load(), "an hour of nothing reads nothing")
		require.Equal(t, int64(1), treeReads.Load())
		require.Equal(t, seq, a.Seq(), "and publishes nothing")

		restarts.Add(1)
		a.SourcesChanged()
		time.Sleep(a.opts.BroadcastInterval)
		synctest.Wait()
		require.Equal(t, int64(2), sourceReads.Load())
		require.Equal(t, int64(1), treeReads.Load(), "the tree was not marked")
		d := decodeDelta(t, drain(t, s)[0].Data)
		require.Len(t, d.Sources, 1)
		require.Equal(t, uint64(1), d.Sources[0].Restarts)
		require.Nil(t, d.Tree)

		a.TreeChanged()
		a.TreeChanged() // marks coalesce
		time.Sleep(a.opts.BroadcastInterval)
		synctest.Wait()
		require.Equal(t, int64(2), treeReads.Load())
		d = decodeDelta(t, drain(t, s)[0].Data)
		require.Equal(t, 1, d.Tree.Restarts)

		cancel()
		require.NoError(t, <-done)
	})
}

// TestQuietSeriesStillSweep: with no data arriving, the windows of a quiet
// series still move, at most two sweep periods late, and the series is
// evicted after History.
func TestQuietSeriesStillSweep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := New(Options{Windows: []time.Duration{time.Minute}, History: time.Minute})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- a.Serve(ctx) }()
		require.True(t, a.Push(ctx, batch("s", gauge("m", time.Now().UnixMilli(), 1))))
		time.Sleep(a.opts.BroadcastInterval)
		synctest.Wait()
		s := a.Subscribe(a.Seq())
		defer s.Close()

		// The sample leaves the one-minute window a minute later, give or
		// take two slices of a second.
		time.Sleep(time.Minute + 2*time.Second)
		synctest.Wait()
		var emptied bool
		for _, m := range drain(t, s) {
			for _, ws := range decodeDelta(t, m.Data).Windows {
				emptied = emptied || ws["1m"].Count == 0
			}
		}
		require.True(t, emptied, "the window emptied without any new sample")
		time.Sleep(time.Minute)
		synctest.Wait()
		a.mu.RLock()
		n := len(a.st.all)
		a.mu.RUnlock()
		require.Zero(t, n, "evicted after History")

		cancel()
		require.NoError(t, <-done)
	})
}

// TestSettledPublishesAtOnce: while Options.Settled says a poll is still
// running, a change waits the coalescing delay; once it says every poll
// has reported, the change that woke Serve is published on that wake-up,
// with no time passing, and several changes at once make one delta. The
// broadcast interval still spaces publishes.
func TestSettledPublishesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var settled atomic.Bool
		a := New(Options{Settled: settled.Load})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- a.Serve(ctx) }()
		time.Sleep(time.Second)
		synctest.Wait()
		s := a.Subscribe(a.Seq())
		defer s.Close()
		seq := a.Seq()

		// A poll running: its batch waits for the coalescing delay.
		require.True(t, a.Push(ctx, batch("s", gauge("m", time.Now().UnixMilli(), 1))))
		synctest.Wait()
		require.Equal(t, seq, a.Seq(), "not settled: held")
		time.Sleep(a.coalesce())
		synctest.Wait()
		require.Equal(t, seq+1, a.Seq(), "published after the delay")
		seq = a.Seq()

		// Settled: the batches pushed before the wake, and the wake
		// itself, go out in one delta at once.
		time.Sleep(time.Second)
		settled.Store(true)
		start := time.Now()
		require.True(t, a.Push(ctx, batch("s", gauge("m", time.Now().UnixMilli(), 2))))
		require.True(t, a.Push(ctx, batch("t", gauge("m", time.Now().UnixMilli(), 3))))
		a.SourcesChanged()
		synctest.Wait()
		require.Equal(t, start, time.Now(), "no time passed")
		require.Equal(t, seq+1, a.Seq(), "published at once, in one delta")
		msgs := drain(t, s)
		d := decodeDelta(t, msgs[len(msgs)-1].Data)
		require.Len(t, d.Points, 1, "s's new point")
		require.Len(t, d.Added, 1, "and t, new")

		// The broadcast interval still holds.
		require.True(t, a.Push(ctx, batch("s", gauge("m", time.Now().UnixMilli()+1, 4))))
		synctest.Wait()
		require.Equal(t, seq+1, a.Seq(), "within the broadcast interval: held")
		time.Sleep(a.opts.BroadcastInterval)
		synctest.Wait()
		require.Equal(t, seq+2, a.Seq())

		cancel()
		require.NoError(t, <-done)
	})
}

// TestSettledBatchAndChangeInOneTick: a collector pushes its batch, then
// calls SourcesChanged, while Serve is busy in a tick; whichever of the
// two Serve takes first, both go out in one delta, and Serve does not come
// round again for the other. Settled says false from the poll's start
// until both are done, as Options.Settled requires (and
// collectors.Manager.Settled does): a Settled that said true in between
// would let Serve publish the batch alone before SourcesChanged is called,
// and the counters a broadcast interval later.
func TestSettledBatchAndChangeInOneTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var polls, looks atomic.Int64
		var polling, hold atomic.Bool
		entered, release := make(chan struct{}), make(chan struct{})
		a := New(Options{
			Sources: func() []SourceInfo {
				p := polls.Load()
				if hold.Load() { // keep Serve in this tick while the poll runs
					entered <- struct{}{}
					<-release
				}
				return []SourceInfo{{Name: "s", Type: "simulated", State: StateRunning, Polls: uint64(p)}}
			},
			Settled: func() bool { looks.Add(1); return !polling.Load() },
		})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1) // a failed require leaves no goroutine blocked
		go func() { done <- a.Serve(ctx) }()
		defer func() {
			hold.Store(false)
			close(release)
			cancel()
			require.NoError(t, <-done)
		}()
		synctest.Wait()
		require.Zero(t, a.Seq(), "the first publish waits for the first polls, settled or not")
		time.Sleep(a.coalesce())
		synctest.Wait()
		require.Equal(t, uint64(1), a.Seq())
		sub := a.Subscribe(a.Seq())
		defer sub.Close()
		for i := range 20 {
			time.Sleep(time.Second)
			synctest.Wait()
			seq := a.Seq()
			hold.Store(true)
			a.SourcesChanged() // a mark with nothing new: an empty tick
			<-entered
			hold.Store(false)
			polling.Store(true) // the poll starts
			polls.Add(1)
			require.True(t, a.Push(ctx, batch("s", gauge("m", time.Now().UnixMilli(), float64(i)))))
			a.SourcesChanged()
			polling.Store(false) // and has reported
			looks.Store(0)
			release <- struct{}{}
			synctest.Wait() // both are ready: Serve's select picks at random
			require.Equal(t, seq+1, a.Seq(), "round %d: one delta", i)
			msgs := drain(t, sub)
			require.Len(t, msgs, 1, "round %d", i)
			d := decodeDelta(t, msgs[0].Data)
			require.Len(t, d.Sources, 1, "round %d: the source's counters", i)
			require.Equal(t, uint64(polls.Load()), d.Sources[0].Polls)
			require.Equal(t, 1, len(d.Points)+len(d.Added), "round %d: and the batch", i)
			time.Sleep(a.opts.BroadcastInterval)
			synctest.Wait()
			require.Equal(t, int64(1), looks.Load(), "round %d: Serve came round once", i)
			require.Equal(t, seq+1, a.Seq(), "round %d: and published nothing more", i)
		}
	})
}
