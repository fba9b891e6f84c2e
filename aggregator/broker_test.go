package aggregator

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// publishN makes n deltas, each with one new point of series m.
func publishN(a *Aggregator, c *clock, n int) {
	for range n {
		c.ms += 100
		a.ingest(batch("s", gauge("m", c.ms, float64(c.ms%1000))))
		a.tick()
	}
}

// frameOf is d's frame as a subscriber of its seq got it: the one encoded
// at publish time, or, for a delta published while nobody subscribed, its
// encoding now (the same state while d is the latest delta).
func frameOf(a *Aggregator, d *delta) []byte {
	if d.encoded {
		return d.data
	}
	return a.encoder(a.nowMs()).encodeDelta(nil, d)
}

func drain(t *testing.T, s *Subscription) []Message {
	t.Helper()
	var out []Message
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 0)
		m, err := s.Next(ctx)
		cancel()
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			return out
		}
		out = append(out, m)
	}
}

func TestResumeInsideRetainedRange(t *testing.T) {
	a, c := newTestAgg(Options{RetainDeltas: 5})
	live := a.Subscribe(0) // someone listens: each delta is encoded as published
	defer live.Close()
	publishN(a, c, 8)
	require.Equal(t, uint64(8), a.Seq())

	s := a.Subscribe(4)
	defer s.Close()
	ms := drain(t, s)
	require.Len(t, ms, 4)
	for i, m := range ms {
		require.Equal(t, "delta", m.Type)
		require.Equal(t, uint64(5+i), m.Seq)
		require.Equal(t, m.Seq, m.From)
	}
	// Then live deltas follow.
	publishN(a, c, 1)
	ms = drain(t, s)
	require.Len(t, ms, 1)
	require.Equal(t, uint64(9), ms[0].Seq)
}

func TestResumeOutsideRetainedRangeGetsSnapshot(t *testing.T) {
	a, c := newTestAgg(Options{RetainDeltas: 5})
	publishN(a, c, 8)
	for _, after := range []uint64{0, 1, 2, 99} { // 0: new client; 1, 2: trimmed; 99: from another run
		s := a.Subscribe(after)
		ms := drain(t, s)
		require.Len(t, ms, 1)
		require.Equal(t, "snapshot", ms[0].Type)
		require.Equal(t, uint64(8), ms[0].Seq)
		f := decodeSnapshot(t, ms[0].Data)
		require.Len(t, f.Series, 1)
		require.Len(t, f.Series[0].Points, 8)
		s.Close()
	}
	// Exactly up to date: nothing until the next delta.
	s := a.Subscribe(8)
	defer s.Close()
	require.Empty(t, drain(t, s))
}

func TestResumeRetentionByAge(t *testing.T) {
	a, c := newTestAgg(Options{RetainFor: time.Second})
	publishN(a, c, 3)
	c.ms += 5000
	publishN(a, c, 1) // trims the three older deltas
	s := a.Subscribe(2)
	defer s.Close()
	ms := drain(t, s)
	require.Equal(t, "snapshot", ms[0].Type)
}

func TestResumeMergesWhenTooManyToQueue(t *testing.T) {
	a, c := newTestAgg(Options{MailboxSize: 4})
	publishN(a, c, 10)
	s := a.Subscribe(1)
	defer s.Close()
	ms := drain(t, s)
	require.Len(t, ms, 1)
	require.Equal(t, uint64(2), ms[0].From, "the first delta after seq 1 has from 2")
	require.Equal(t, uint64(10), ms[0].Seq)
	f := decodeDelta(t, ms[0].Data)
	require.Equal(t, uint64(2), f.From)
	require.Len(t, f.Points[a.st.all[0].id], 9)
}

// TestResumeServesOnlyWhatTheLogHolds: Resume subscribes only where the
// retained deltas serve it within half a mailbox, and does no merge or
// snapshot of its own otherwise (trial 14 round 9, F3: a resume per
// connection from the oldest retained delta merged and encoded megabytes
// each under the broker's lock); Subscribe still does both.
func TestResumeServesOnlyWhatTheLogHolds(t *testing.T) {
	a, c := newTestAgg(Options{RetainDeltas: 20, MailboxSize: 8})
	live := a.Subscribe(0) // someone listens: each delta is encoded as published
	defer live.Close()
	for range 12 {
		publishN(a, c, 1)
		drain(t, live) // and reads, so as not to be dropped
	}
	for _, tc := range []struct {
		after uint64
		ok    bool
		why   string
	}{
		{12, true, "up to date"},
		{9, true, "three missed: the log's own entries"},
		{8, true, "four, half the mailbox"},
		{7, false, "five: a merge of its own"},
		{1, false, "eleven"},
		{99, false, "from another run: a snapshot of its own"},
	} {
		require.Equal(t, tc.ok, a.Resumable(tc.after), "Resumable: %s", tc.why)
		s, ok := a.Resume(tc.after)
		require.Equal(t, tc.ok, ok, tc.why)
		if !ok {
			require.Nil(t, s)
			continue
		}
		ms := drain(t, s)
		require.Len(t, ms, int(12-tc.after), tc.why)
		for _, m := range ms {
			require.Equal(t, "delta", m.Type)
			require.Equal(t, m.Seq, m.From, "%s: the log's deltas, not a merge", tc.why)
		}
		s.Close()
	}
	require.Equal(t, 1, a.Subscribers(), "a refused resume leaves no subscription")
	s := a.Subscribe(1)
	defer s.Close()
	ms := drain(t, s)
	require.Len(t, ms, 1, "Subscribe still merges")
	require.Equal(t, uint64(2), ms[0].From)
}

// TestStalledSubscriberDropped: a fast subscriber gets every delta while a
// stalled one is dropped as soon as its mailbox would pass its bound,
// without any merge, and its drop hook runs once.
func TestStalledSubscriberDropped(t *testing.T) {
	a, c := newTestAgg(Options{MailboxSize: 4})
	fast, slow := a.Subscribe(0), a.Subscribe(0)
	defer fast.Close()
	defer slow.Close()
	next(t, fast) // snapshots
	next(t, slow)
	var hooked int
	slow.OnDrop(func() { hooked++ })

	var seen []uint64
	for i := range 12 {
		publishN(a, c, 1)
		if i < 4 {
			require.Zero(t, hooked, "delta %d fits the mailbox", i+1)
		}
		for _, m := range drain(t, fast) {
			seen = append(seen, m.Seq)
			require.Equal(t, m.Seq, m.From)
		}
	}
	require.Equal(t, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, seen)
	_, err := slow.Next(t.Context())
	require.ErrorIs(t, err, ErrDropped)
	require.Equal(t, 1, hooked)
	require.Zero(t, a.stats.conflations.Load(), "nothing merged on the publisher's path")
	require.Equal(t, uint64(1), a.stats.droppedSubs.Load())
	require.Equal(t, 1, a.Subscribers())

	// A hook set after the drop runs at once.
	late := 0
	slow.OnDrop(func() { late++ })
	require.Equal(t, 1, late)
}

// TestPendingSnapshotDoesNotCount: the snapshot a subscription starts with
// is not one of its mailbox's deltas.
func TestPendingSnapshotDoesNotCount(t *testing.T) {
	a, c := newTestAgg(Options{MailboxSize: 2})
	s := a.Subscribe(0)
	defer s.Close()
	publishN(a, c, 2)
	ms := drain(t, s)
	require.Len(t, ms, 3)
	require.Equal(t, "snapshot", ms[0].Type)
}

// TestResumeMergeContent checks a merged delta against the deltas it
// replaces: points concatenated, series added inside the run sent whole.
func TestResumeMergeContent(t *testing.T) {
	a, c := newTestAgg(Options{MailboxSize: 3})
	publishN(a, c, 1) // seq 1 adds m
	c.ms += 100
	a.ingest(batch("s", gauge("m", c.ms, 1), gauge("late", c.ms, 7)))
	a.tick()          // 2: a point of m, late added
	publishN(a, c, 3) // 3, 4, 5
	s := a.Subscribe(1)
	defer s.Close()
	ms := drain(t, s)
	require.Len(t, ms, 1)
	require.Equal(t, uint64(2), ms[0].From)
	require.Equal(t, uint64(5), ms[0].Seq)
	require.Equal(t, uint64(1), a.stats.conflations.Load())
	merged := decodeDelta(t, ms[0].Data)

	var wantPoints []protocol.Point
	mID := a.st.all[0].id
	if a.st.all[0].metric != "m" {
		mID = a.st.all[1].id
	}
	for _, d := range a.broker.recent[1:] { // the deltas 2 to 5 as published
		wantPoints = append(wantPoints, decodeDelta(t, frameOf(a, d)).Points[mID]...)
	}
	require.Len(t, wantPoints, 4)
	require.Equal(t, wantPoints, merged.Points[mID])
	require.Len(t, merged.Added, 1)
	require.Equal(t, "late", merged.Added[0].Metric)
	require.Equal(t, []protocol.Point{{T: c.ms - 300, V: 7}}, merged.Added[0].Points)
	require.Contains(t, merged.Windows, mID)
	require.NotContains(t, merged.Windows, merged.Added[0].ID, "an added series carries its windows")

	// A subscriber that reads after a merge is not dropped.
	publishN(a, c, 3)
	require.Len(t, drain(t, s), 3)
	require.Equal(t, uint64(0), a.stats.droppedSubs.Load())
}

func TestSubscriptionCloseAndCancel(t *testing.T) {
	a, _ := newTestAgg(Options{})
	s := a.Subscribe(0)
	next(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Next(ctx)
	require.ErrorIs(t, err, context.Canceled)
	s.Close()
	s.Close()
	_, err = s.Next(t.Context())
	require.ErrorIs(t, err, ErrClosed)
	require.Zero(t, a.Subscribers())
}

// TestCoalescing runs Serve in a bubble: samples pushed continuously yield
// at most one delta per interval, and none while nothing changes.
func TestCoalescing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := New(Options{BroadcastInterval: 100 * time.Millisecond})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- a.Serve(ctx) }()
		s := a.Subscribe(0)
		defer s.Close()
		next(t, s)

		// 50 pushes 10ms apart: half a second, so about five deltas.
		for i := range 50 {
			require.True(t, a.Push(ctx, batch("s", gauge("m", time.Now().UnixMilli(), float64(i)))))
			time.Sleep(10 * time.Millisecond)
		}
		// The last changes go out within one interval of the previous delta.
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		ms := drain(t, s)
		require.GreaterOrEqual(t, len(ms), 4)
		require.LessOrEqual(t, len(ms), 6)
		points := 0
		var lastTS int64
		for i, m := range ms {
			f := decodeDelta(t, m.Data)
			if i > 0 {
				require.GreaterOrEqual(t, f.TS-lastTS, int64(100), "one delta per interval at most")
			}
			lastTS = f.TS
			for _, ps := range f.Points {
				points += len(ps)
			}
			for _, s := range f.Added {
				points += len(s.Points)
			}
		}
		require.Equal(t, 50, points, "every point exactly once")

		// Nothing changes for a second (no sample leaves a window yet): no delta.
		seq := a.Seq()
		time.Sleep(time.Second)
		synctest.Wait()
		require.Equal(t, seq, a.Seq())
		require.Empty(t, drain(t, s))

		cancel()
		require.NoError(t, <-done)
	})
}

func TestPushShedsWhenFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := New(Options{QueueSize: 1, PushWait: 50 * time.Millisecond})
		ctx := t.Context()
		require.True(t, a.Push(ctx, batch("s", gauge("m", 1, 1))))
		start := time.Now()
		require.False(t, a.Push(ctx, batch("s", gauge("m", 2, 1), gauge("m", 3, 1))))
		require.Equal(t, 50*time.Millisecond, time.Since(start), "waits PushWait, then sheds")
		require.Equal(t, uint64(2), a.stats.dropped.Load())

		cctx, cancel := context.WithCancel(ctx)
		cancel()
		require.False(t, a.Push(cctx, batch("s", gauge("m", 4, 1))))
		require.Equal(t, uint64(3), a.stats.dropped.Load())

		// A waiting Push gets in as soon as Serve makes room.
		sctx, stop := context.WithCancel(ctx)
		done := make(chan error)
		go func() {
			time.Sleep(10 * time.Millisecond)
			done <- a.Serve(sctx)
		}()
		require.True(t, a.Push(ctx, batch("s", gauge("m", 5, 1))))
		require.True(t, a.Push(ctx, Batch{Source: "s"}), "an empty batch is accepted")
		stop()
		require.NoError(t, <-done)
	})
}

// TestServeRestartKeepsState: Serve returning and being called again keeps
// history, seq and subscribers.
func TestServeRestartKeepsState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := New(Options{})
		s := a.Subscribe(0)
		defer s.Close()
		next(t, s)
		run := func(v float64) {
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error)
			go func() { done <- a.Serve(ctx) }()
			require.True(t, a.Push(ctx, batch("s", gauge("m", time.Now().UnixMilli(), v))))
			m := next(t, s)
			require.Equal(t, "delta", m.Type)
			require.ErrorIs(t, a.Serve(ctx), ErrAlreadyServing)
			cancel()
			require.NoError(t, <-done)
			time.Sleep(time.Second)
		}
		run(1)
		run(2)
		require.Equal(t, uint64(2), a.Seq())
		f := decodeSnapshot(t, a.SnapshotJSON(true))
		require.Len(t, f.Series, 1)
		require.Len(t, f.Series[0].Points, 2)
		require.Equal(t, 1, a.Subscribers())
	})
}

func TestServeStopBeforeStart(t *testing.T) {
	a := New(Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.NoError(t, a.Serve(ctx))
	require.NoError(t, a.Serve(ctx))
}

// TestMailboxByteBound: the byte bound drops like the count bound, but a
// lone delta is always taken, and the snapshot does not count.
func TestMailboxByteBound(t *testing.T) {
	a, c := newTestAgg(Options{MailboxBytes: 1})
	s := a.Subscribe(0) // a snapshot, which does not count
	defer s.Close()
	publishN(a, c, 1) // [snapshot, d1]: d1 is alone among deltas
	publishN(a, c, 1) // d2 does not fit: dropped
	_, err := s.Next(t.Context())
	require.ErrorIs(t, err, ErrDropped)

	s2 := a.Subscribe(a.Seq())
	defer s2.Close()
	publishN(a, c, 1)
	m := next(t, s2)
	require.Equal(t, m.Seq, m.From)
	publishN(a, c, 1) // the reader took one since: a lone delta fits again
	require.Len(t, drain(t, s2), 1)
	require.Equal(t, uint64(1), a.stats.droppedSubs.Load())
	require.Zero(t, a.stats.conflations.Load())
}

// While nobody subscribes, deltas are retained unencoded (their window
// statistics and JSON are most of a publish); a resume that reaches them
// gets them merged and encoded then, with every point, and live deltas
// one by one after it.
func TestResumeIntoDeltasPublishedWhileNobodyListened(t *testing.T) {
	a, c := newTestAgg(Options{})
	publishN(a, c, 1) // 1
	require.False(t, a.broker.recent[0].encoded)
	require.Nil(t, a.broker.recent[0].data, "not encoded for nobody")

	live := a.Subscribe(1)
	publishN(a, c, 3) // 2, 3, 4: encoded for live
	require.Len(t, drain(t, live), 3)
	for _, d := range a.broker.recent[1:] {
		require.True(t, d.encoded)
	}
	live.Close()
	publishN(a, c, 3) // 5, 6, 7: nobody listens
	for _, d := range a.broker.recent[4:] {
		require.False(t, d.encoded)
	}

	mID := a.st.all[0].id
	for _, tc := range []struct {
		after      uint64
		wantPoints int
	}{{1, 6}, {4, 3}, {6, 1}} {
		s := a.Subscribe(tc.after)
		ms := drain(t, s)
		require.Len(t, ms, 1, "after %d: one merged delta", tc.after)
		require.Equal(t, tc.after+1, ms[0].From)
		require.Equal(t, uint64(7), ms[0].Seq)
		d := decodeDelta(t, ms[0].Data)
		require.Len(t, d.Points[mID], tc.wantPoints)
		require.Equal(t, c.ms, d.Points[mID][tc.wantPoints-1].T)
		require.Contains(t, d.Windows, mID)
		s.Close()
	}

	s := a.Subscribe(4)
	defer s.Close()
	drain(t, s)
	publishN(a, c, 2)
	ms := drain(t, s)
	require.Len(t, ms, 2, "live deltas follow one by one")
	require.Equal(t, []uint64{8, 9}, []uint64{ms[0].Seq, ms[1].Seq})
	require.True(t, a.broker.recent[len(a.broker.recent)-1].encoded)
}

// TestNextTakesNoSharedLock: a subscriber reads what is published without
// the broker's lock, which the publisher holds while it measures every
// mailbox: 10,000 writers each taking it for every message was the lock
// held most in the server's goroutine dumps (BENCHMARKS.md, "10,000
// dashboards"). A subscriber at the end of the log waits on the log, and
// wakes for the next delta.
func TestNextTakesNoSharedLock(t *testing.T) {
	a, c := newTestAgg(Options{})
	s := a.Subscribe(0)
	defer s.Close()
	next(t, s) // the snapshot
	publishN(a, c, 2)

	a.broker.mu.Lock()
	got := make(chan uint64, 2)
	go func() {
		for range 2 {
			m, err := s.Next(t.Context())
			if err != nil {
				close(got)
				return
			}
			got <- m.Seq
		}
	}()
	for want := uint64(1); want <= 2; want++ {
		select {
		case seq := <-got:
			require.Equal(t, want, seq)
		case <-time.After(5 * time.Second):
			a.broker.mu.Unlock()
			require.FailNow(t, "Next waited for the broker's lock")
		}
	}
	a.broker.mu.Unlock()

	waiting := make(chan Message)
	go func() {
		m, _ := s.Next(t.Context())
		waiting <- m
	}()
	publishN(a, c, 1)
	require.Equal(t, uint64(3), (<-waiting).Seq)
}
