package aggregator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// seriesNamed returns the store's series of that metric, or nil.
func seriesNamed(a *Aggregator, metric string) *series {
	for _, s := range a.st.all {
		if s.metric == metric {
			return s
		}
	}
	return nil
}

// TestExporterTimestampRepeated: an exporter that shows the same sample
// with its own timestamp ten seconds old, polled every second for 75 s.
// It is one point, counted in the 1m window exactly while the window
// covers its time, and the repeats are not duplicates (same value).
func TestExporterTimestampRepeated(t *testing.T) {
	a, c := newTestAgg(Options{})
	stamp := c.ms - 10_000
	for i := range 75 {
		a.ingest(Batch{Source: "exp", Complete: true, Samples: []Sample{gauge("batch_last_value", stamp, 5)}})
		a.tick()
		s := seriesNamed(a, "batch_last_value")
		require.NotNil(t, s)
		require.Equal(t, 1, s.hist.len(), "poll %d: one point", i)
		require.False(t, s.stale)
		start := c.ms/1000*1000 - 59_000 // the 1m window's first ms: 60 slices of 1 s
		want := 0
		if stamp >= start {
			want = 1
		}
		require.Equal(t, want, s.wins[0].stats().Count, "poll %d: 1m window", i)
		require.Equal(t, 1, s.wins[1].stats().Count, "poll %d: 5m window", i)
		if i == 40 {
			require.Equal(t, 1, want, "inside the window at 50 s")
		}
		c.ms += 1000
	}
	require.Zero(t, seriesNamed(a, "batch_last_value").wins[0].stats().Count, "aged out after 75 s")
	require.Empty(t, rejected(a), "the same sample again is not a duplicate")
	require.Equal(t, uint64(1), a.stats.ingested.Load())

	// The snapshot agrees: one point, at the exporter's time.
	f := decodeSnapshot(t, a.SnapshotJSON(true))
	require.Len(t, f.Series, 1)
	require.Equal(t, []protocol.Point{{T: stamp, V: 5}}, f.Series[0].Points)
	require.Zero(t, f.Series[0].Windows["1m"].Count)
	require.Equal(t, 1, f.Series[0].Windows["5m"].Count)
}

// TestExporterTimestampTooOld: a sample two hours old is older than the
// history: refused and counted on every poll, never a series.
func TestExporterTimestampTooOld(t *testing.T) {
	a, c := newTestAgg(Options{})
	stamp := c.ms - 2*time.Hour.Milliseconds()
	for range 75 {
		a.ingest(Batch{Source: "exp", Complete: true, Samples: []Sample{gauge("legacy_value", stamp, 7)}})
		a.tick()
		c.ms += 1000
	}
	require.Empty(t, a.st.all, "no series, no points, no window samples")
	require.Equal(t, map[string]uint64{"too_old": 75}, rejected(a))
}

// TestExporterTimestampAgesOutOfHistory: a series whose repeated sample
// falls behind the history's horizon is refused as too old from then on,
// and evicted once it had no new sample for the whole history.
func TestExporterTimestampAgesOutOfHistory(t *testing.T) {
	a, c := newTestAgg(Options{History: time.Minute, Windows: []time.Duration{time.Minute}})
	t0 := c.ms
	stamp := t0 - 10_000
	poll := func() {
		a.ingest(Batch{Source: "exp", Complete: true, Samples: []Sample{gauge("m", stamp, 5)}})
		a.tick()
	}
	poll()
	c.ms = t0 + 55_000 // stamp is now 65 s old, the series' sample 55 s
	poll()
	require.Equal(t, map[string]uint64{"too_old": 1}, rejected(a))
	s := seriesNamed(a, "m")
	require.NotNil(t, s)
	require.False(t, s.stale, "still shown by its target")
	require.Zero(t, s.wins[0].stats().Count)
	c.ms = t0 + 61_000
	poll()
	require.Nil(t, seriesNamed(a, "m"), "evicted")
	require.Equal(t, map[string]uint64{"too_old": 2}, rejected(a), "and not made again")
}

// TestDuplicateTimestampCounted: the same time with another value is
// Prometheus' "duplicate sample for timestamp": the first value stays.
func TestDuplicateTimestampCounted(t *testing.T) {
	a, c := newTestAgg(Options{})
	a.ingest(batch("s", gauge("m", c.ms, 1)))
	a.ingest(batch("s", gauge("m", c.ms, 2)))
	a.ingest(batch("s", gauge("m", c.ms, 1)))
	a.tick()
	s := seriesNamed(a, "m")
	require.Equal(t, 1, s.hist.len())
	require.Equal(t, 1.0, s.last.v)
	require.Equal(t, 1, s.wins[0].stats().Count)
	require.Equal(t, map[string]uint64{"duplicate": 1}, rejected(a))
}

// TestWindowsSkipSamplesOlderThanThem: samples stamped in the past are
// stored, but a window counts only those inside its span, even when they
// arrive together.
func TestWindowsSkipSamplesOlderThanThem(t *testing.T) {
	a, c := newTestAgg(Options{Windows: []time.Duration{time.Minute, 5 * time.Minute}})
	c.ms = c.ms / 1000 * 1000
	a.ingest(batch("s", gauge("m", c.ms-4*60_000, 1), gauge("m", c.ms-90_000, 2), gauge("m", c.ms-30_000, 3), gauge("m", c.ms, 4)))
	a.tick()
	s := seriesNamed(a, "m")
	require.Equal(t, 4, s.hist.len())
	one, five := s.wins[0].stats(), s.wins[1].stats()
	require.Equal(t, 2, one.Count)
	require.Equal(t, 3.0, one.Min)
	require.Equal(t, 4, five.Count)
	require.Equal(t, 1.0, five.Min)
}
