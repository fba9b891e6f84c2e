package aggregator

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// TestSnapshotIsOneCut: between two publishes the store holds points no
// delta has carried yet. A snapshot leaves them out of its points and
// last, and so must its windows: every statistic of a snapshot describes
// exactly the points it shows.
func TestSnapshotIsOneCut(t *testing.T) {
	a, c := newTestAgg(Options{})
	rng := rand.New(rand.NewPCG(1, 11))
	for step := range 300 {
		switch rng.IntN(3) {
		case 0, 1:
			c.ms += int64(rng.IntN(700))
			var ss []Sample
			for _, m := range []string{"a", "b", "c"} {
				if rng.IntN(2) == 0 {
					ss = append(ss, gauge(m, c.ms, float64(rng.IntN(100))))
				}
			}
			a.ingest(batch("s", ss...))
		default:
			c.ms += int64(rng.IntN(300))
			a.tick()
		}
		f := decodeSnapshot(t, a.SnapshotJSON(true))
		for _, s := range f.Series {
			w := s.Windows["15m"] // the run is shorter: it holds every point
			require.Equal(t, len(s.Points), w.Count, "step %d, %s: window count against points", step, s.Metric)
			require.NotNil(t, s.Last)
			require.Equal(t, s.Points[len(s.Points)-1], *s.Last, "step %d", step)
			require.NotNil(t, w.Last)
			require.Equal(t, s.Last.V, *w.Last, "step %d, %s: window last against last", step, s.Metric)
		}
	}
}

// TestSnapshotWritesIdentitiesUnlocked: what a snapshot encodes under the
// store's lock holds no series' labels (a wide target's are most of the
// bytes, and every delta waits for the lock); the rendered snapshot has
// them all, as SeriesJSON writes them, with or without points.
func TestSnapshotWritesIdentitiesUnlocked(t *testing.T) {
	a, c := newTestAgg(Options{})
	a.ingest(batch("s", gauge("m", c.ms, 1, "label_under_lock", "value-a"), gauge("m", c.ms, 2, "label_under_lock", "value-b")))
	a.tick()
	for _, points := range []bool{true, false} {
		a.mu.RLock()
		snap := a.takeSnapshot(points)
		a.mu.RUnlock()
		require.NotContains(t, string(snap.head), "label_under_lock")
		f := decodeSnapshot(t, snap.render())
		require.Len(t, f.Series, 2)
		for _, s := range f.Series {
			js, ok := a.SeriesJSON(s.ID)
			require.True(t, ok)
			one, err := protocol.Decoder{Strict: true}.Series(js)
			require.NoError(t, err)
			if !points {
				one.Points = nil
			}
			require.Equal(t, one, s)
		}
	}
}
