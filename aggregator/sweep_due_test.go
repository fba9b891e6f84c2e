package aggregator

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// An idle series is passed by, its windows untouched, until a sweep has
// something to do for it, and then swept at that very sweep: a window
// sheds its sample at the first sweep whose slice leaves it out, and the
// series is evicted at the first past History. A sample that comes
// meanwhile (stored, then taken by the windows) makes the next sweep look
// again, so its own shedding does not wait for the older due time.
func TestSweepPassesIdleSeriesByUntilTheyChange(t *testing.T) {
	o := Options{Windows: []time.Duration{10 * time.Second, time.Minute}, History: 2 * time.Minute}.withDefaults()
	var c counters
	st := newStore(o, &c)
	now := int64(1_700_000_000_050)
	store := func(n int) {
		ss := make([]Sample, n)
		for i := range ss {
			ss[i] = Sample{Metric: "m", Labels: Labels{{"i", strconv.Itoa(i)}}, TimeMs: now, Value: float64(now)}
		}
		st.ingest(Batch{Source: "s", Samples: ss}, now)
		st.settle(now, len(st.dirty))
		for _, s := range st.dirty {
			s.dirty, s.winDirty = false, false
		}
		st.dirty = st.dirty[:0]
	}
	sheds := func(w *window, t int64) int64 { return (floorDiv(t, w.width) + w.nb) * w.width }
	sweepUntil := func(end int64, w *window, wantCount int) {
		t.Helper()
		var head int64
		for ; now < end; now += 100 {
			st.sweep(now, 0, 0, nil)
			require.Equal(t, wantCount, int(w.count), "+%d ms", now-end)
			if head != 0 {
				require.Equal(t, head, w.head, "an idle window is not moved before it sheds (+%d ms)", now-end)
			}
			if now-st.all[0].lastSeenMs >= st.sweepIdleMs {
				head = w.head
			}
		}
		st.sweep(now, 0, 0, nil)
		require.Equal(t, wantCount-1, int(w.count), "shed at the first sweep past its slice")
	}

	first := now
	store(3)
	s := st.all[0]
	short, long := &s.wins[0], &s.wins[1]
	now += 100
	sweepUntil(sheds(short, first), short, 1)
	require.True(t, s.winDirty, "the shedding goes in the next delta")
	require.Zero(t, st.all[2].wins[0].count, "so do the others'")

	// A sample of one series after its due time was set to the long
	// window's: it leaves the short window at its own time.
	now += 10_000
	later := now
	store(1)
	require.Less(t, sheds(short, later), sheds(long, first))
	now += 100
	sweepUntil(sheds(short, later), short, 1)
	require.Equal(t, 2, int(long.count))

	// Evicted at the first sweep past History, not before.
	for now = first + o.History.Milliseconds(); now <= first+o.History.Milliseconds()+1; now++ {
		st.sweep(now, 0, 0, nil)
	}
	require.Len(t, st.all, 1)
	require.Same(t, s, st.all[0])
	st.sweep(later+o.History.Milliseconds(), 0, 0, nil)
	require.Len(t, st.all, 1)
	st.sweep(later+o.History.Milliseconds()+1, 0, 0, nil)
	require.Empty(t, st.all)
}
