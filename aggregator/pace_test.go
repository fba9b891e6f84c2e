package aggregator

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// wideBatch is one poll of a source of n series, at ms.
func wideBatch(source string, n int, ms int64, v float64) Batch {
	ss := make([]Sample, n)
	for i := range ss {
		ss[i] = gauge("w", ms, v+float64(i), "i", strconv.Itoa(i))
	}
	return Batch{Source: source, Samples: ss}
}

// follower is a client's state built from the stream alone: each series'
// points and latest windows, by id.
type follower struct {
	points  map[string][]protocol.Point
	windows map[string]protocol.Windows
	added   map[string]int // how many times each id was added
}

func newFollower(t *testing.T, snapshot []byte) *follower {
	f := &follower{points: map[string][]protocol.Point{}, windows: map[string]protocol.Windows{}, added: map[string]int{}}
	for _, s := range decodeSnapshot(t, snapshot).Series {
		f.points[s.ID], f.windows[s.ID] = s.Points, s.Windows
	}
	return f
}

func (f *follower) apply(t *testing.T, d *protocol.Delta) {
	for _, id := range d.Removed {
		delete(f.points, id)
		delete(f.windows, id)
	}
	for _, s := range d.Added {
		f.added[s.ID]++
		f.points[s.ID], f.windows[s.ID] = s.Points, s.Windows
	}
	for id, ps := range d.Points {
		require.Contains(t, f.points, id, "points of a series the client does not have")
		f.points[id] = append(f.points[id], ps...)
	}
	for id, w := range d.Windows {
		require.Contains(t, f.windows, id, "windows of a series the client does not have")
		f.windows[id] = w
	}
}

// followed is a fresh aggregator with a live subscriber past its
// snapshot and a follower of the stream; step moves the clock 100 ms on,
// ticks, and returns the one delta that published, applied.
func followed(t *testing.T) (*Aggregator, *clock, *follower, func() *protocol.Delta) {
	a, c := newTestAgg(Options{})
	live := a.Subscribe(0)
	t.Cleanup(live.Close)
	require.Equal(t, "snapshot", next(t, live).Type)
	f := newFollower(t, a.SnapshotJSON(true))
	step := func() *protocol.Delta {
		c.ms += 100
		a.tick()
		ms := drain(t, live)
		require.Len(t, ms, 1)
		d := decodeDelta(t, ms[0].Data)
		f.apply(t, d)
		return d
	}
	return a, c, f, step
}

// matches checks that the follower holds exactly what a snapshot taken
// now says: the same series, points and windows. A paced series is in
// neither until a delta takes it.
func (f *follower) matches(t *testing.T, a *Aggregator) {
	t.Helper()
	snap := decodeSnapshot(t, a.SnapshotJSON(true))
	require.Len(t, f.points, len(snap.Series))
	for _, s := range snap.Series {
		require.Equal(t, s.Points, f.points[s.ID], s.ID)
		require.Equal(t, s.Windows, f.windows[s.ID], s.ID)
	}
}

// A wide source's poll goes out over about two seconds of deltas, a
// twentieth of it (and at least paceFloor) a delta, while a small source's
// series, dirty after it, go out in the first; every message stays one
// consistent cut, and every series is added once and gets every point.
func TestPaceSpreadsAWideSource(t *testing.T) {
	a, c, f, publish := followed(t)
	smallAdded := func(d *protocol.Delta) int {
		n := 0
		for _, s := range d.Added {
			if s.Source == "small" {
				n++
			}
		}
		return n
	}

	a.ingest(wideBatch("wide", 6000, c.ms, 0))
	a.ingest(wideBatch("small", 5, c.ms, 0))
	d := publish()
	require.Equal(t, 5, smallAdded(d), "the small source is not held up")
	require.Len(t, d.Added, 5+300, "a twentieth of the wide source")
	require.True(t, a.backlog)
	publishes := 1
	for a.backlog {
		d = publish()
		require.LessOrEqual(t, len(d.Added), 300)
		publishes++
	}
	require.Equal(t, 20, publishes, "spread over twenty deltas")
	f.matches(t, a)
	require.Len(t, f.added, 6005)
	for id, n := range f.added {
		require.Equal(t, 1, n, id)
	}
	require.Equal(t, uint64(19*6000-300*19*20/2), a.stats.paced.Load(), "what each delta left")

	// The next poll: points, windows, the same spread; the small source's
	// points in the first delta.
	c.ms += 1000
	a.ingest(wideBatch("wide", 6000, c.ms, 1))
	a.ingest(wideBatch("small", 5, c.ms, 1))
	d = publish()
	require.Len(t, d.Points, 5+300)
	require.Len(t, d.Windows, 5+300)
	for a.backlog {
		publish()
	}
	for id, ps := range f.points {
		require.Len(t, ps, 2, id)
	}
}

// A wide source polled faster than its polls can be spread (3,000 series
// every second, paceFloor a delta) does not make deltas grow: each takes
// paceFloor of its series, the longest waiting first, with every point
// that came since; the backlog never holds a series twice, and the
// windows of a series are sent once for the points that went together.
// Beside it a small source's points go out in the delta after their poll.
func TestPaceCoalescesAFastWideSource(t *testing.T) {
	a, c, f, step := followed(t)
	const n = 3000
	points, windows := 0, 0
	for tick := range 60 {
		if tick%10 == 0 && tick < 30 {
			a.ingest(wideBatch("wide", n, c.ms, float64(tick)))
		}
		a.ingest(wideBatch("small", 5, c.ms, float64(tick)))
		d := step()
		wide := len(d.Added) + len(d.Windows) - 5
		if tick == 0 {
			wide = len(d.Added) - 5
		}
		require.LessOrEqual(t, wide, paceFloor, "tick %d", tick)
		require.LessOrEqual(t, a.st.pacer.nWaiting, n, "a series waits once")
		for _, ps := range d.Points {
			points += len(ps)
		}
		windows += len(d.Windows)
	}
	f.matches(t, a)
	require.False(t, a.backlog, "drained once the polls stopped")
	require.Less(t, windows, points, "windows sent once for the points that went together")
}

// A source that has no more than paceFloor series to publish is never
// paced, however many sources there are.
func TestPaceLeavesSmallSourcesAlone(t *testing.T) {
	a, c := newTestAgg(Options{})
	for i := range 8 {
		a.ingest(wideBatch("s"+strconv.Itoa(i), paceFloor, c.ms, 0))
	}
	a.tick()
	require.False(t, a.backlog)
	require.Zero(t, a.stats.paced.Load())
	require.Len(t, decodeSnapshot(t, a.SnapshotJSON(false)).Series, 8*paceFloor)
}

// A broadcast interval of a second or more paces nothing: the spread would
// be one delta.
func TestPaceOffForSlowBroadcasts(t *testing.T) {
	a, c := newTestAgg(Options{BroadcastInterval: time.Second})
	a.ingest(wideBatch("wide", 3000, c.ms, 0))
	a.tick()
	require.False(t, a.backlog)
	require.Len(t, decodeSnapshot(t, a.SnapshotJSON(false)).Series, 3000)
}

// A source removed while paced: the series it had announced are removed,
// the others never appear, and the backlog ends.
func TestPaceSourceRemovedWhilePaced(t *testing.T) {
	var sources atomic.Value
	sources.Store([]SourceInfo{{Name: "wide"}, {Name: "small"}})
	a, c := newTestAgg(Options{Sources: func() []SourceInfo { return sources.Load().([]SourceInfo) }})
	live := a.Subscribe(0)
	defer live.Close()
	drain(t, live)
	a.ingest(wideBatch("wide", 3000, c.ms, 0))
	c.ms += 100
	a.tick()
	first := decodeDelta(t, drain(t, live)[0].Data)
	require.Len(t, first.Added, paceFloor)

	sources.Store([]SourceInfo{{Name: "small"}})
	a.SourcesChanged()
	c.ms += 100
	a.tick()
	d := decodeDelta(t, drain(t, live)[0].Data)
	require.Equal(t, []string{"wide"}, d.SourcesRemoved)
	require.Empty(t, d.Added)
	require.Len(t, d.Removed, paceFloor, "the announced ones only")
	for a.backlog {
		c.ms += 100
		a.tick()
	}
	for _, m := range drain(t, live) {
		require.Empty(t, decodeDelta(t, m.Data).Added)
	}
	require.Empty(t, decodeSnapshot(t, a.SnapshotJSON(false)).Series)
}

// Serve publishes a paced source's backlog by itself, a broadcast interval
// apart, with nothing else coming in.
func TestPaceServeDrainsTheBacklog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := New(Options{})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- a.Serve(ctx) }()
		sub := a.Subscribe(0)
		defer sub.Close()
		m, err := sub.Next(ctx)
		require.NoError(t, err)
		require.Equal(t, "snapshot", m.Type)

		start := time.Now()
		require.True(t, a.Push(ctx, wideBatch("wide", 3000, start.UnixMilli(), 0)))
		seen := 0
		var last time.Time
		for seen < 3000 {
			m, err := sub.Next(ctx)
			require.NoError(t, err)
			seen += len(decodeDelta(t, m.Data).Added)
			last = time.Now()
		}
		require.Equal(t, 3000, seen)
		require.Less(t, last.Sub(start), 1300*time.Millisecond, "twelve deltas of paceFloor, a broadcast interval apart")
		require.GreaterOrEqual(t, last.Sub(start), 1100*time.Millisecond)
		cancel()
		require.NoError(t, <-done)
	})
}

// A source that brings a thousand series every broadcast interval, a
// steady flow rather than a burst, is not held back once its flow is
// known: after a few seconds every delta takes all it brought.
func TestPaceLetsASteadyFlowThrough(t *testing.T) {
	a, c := newTestAgg(Options{})
	for tick := range 60 {
		part := tick % 10 // ten groups of 1,000, each sampled once a second
		ss := make([]Sample, 1000)
		for i := range ss {
			ss[i] = gauge("f", c.ms, float64(tick), "i", strconv.Itoa(part*1000+i))
		}
		a.ingest(Batch{Source: "flow", Samples: ss})
		c.ms += 100
		before := a.stats.paced.Load()
		a.tick()
		if tick >= 40 {
			require.False(t, a.backlog, "tick %d", tick)
			require.Equal(t, before, a.stats.paced.Load(), "tick %d", tick)
		}
	}
}
