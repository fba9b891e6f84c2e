package aggregator

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// TestNaNIsAValue: NaN and ±Inf are stored (bit for bit), not counted as
// refused, and every window statistic leaves them out.
func TestNaNIsAValue(t *testing.T) {
	a, c := newTestAgg(Options{Windows: []time.Duration{time.Minute}})
	stale := math.Float64frombits(0x7ff0000000000002)
	vals := []float64{math.NaN(), 1, stale, math.Inf(1), 3, math.Inf(-1), 5, math.NaN()}
	t0 := c.ms / 1000 * 1000
	for i, v := range vals {
		c.ms = t0 + int64(i)*1000
		a.ingest(batch("s", gauge("m", c.ms, v)))
		a.tick()
	}
	require.Empty(t, rejected(a))
	require.Equal(t, uint64(len(vals)), a.stats.ingested.Load())
	s := seriesNamed(a, "m")
	var got []point
	s.hist.each(100, func(p point) { got = append(got, p) })
	want := make([]point, len(vals))
	for i, v := range vals {
		want[i] = point{t0 + int64(i)*1000, v}
	}
	requireSameBits(t, want, got)

	st := s.wins[0].stats()
	require.Equal(t, 3, st.Count)
	require.Equal(t, 1.0, st.Min)
	require.Equal(t, 5.0, st.Max)
	require.Equal(t, 3.0, st.Mean)
	require.Equal(t, 9.0, st.Sum)
	require.Equal(t, 5.0, st.Last, "the newest value the window counts")
	require.InDelta(t, 4.0/5, st.Rate, 1e-12, "from 1 at 1 s to 5 at 6 s")
	require.InEpsilon(t, 3.0, st.P50, 0.01)
	require.False(t, math.IsNaN(st.P99) || math.IsInf(st.P99, 0))

	// As the samples age out, the NaN and Inf between them go too.
	for _, step := range []struct{ at, count int }{{63, 2}, {64, 1}, {65, 1}, {66, 0}} {
		c.ms = t0 + int64(step.at)*1000 // the window starts 59 s back
		a.tick()
		require.Equal(t, step.count, s.wins[0].stats().Count, "at %d s", step.at)
	}
}

// TestCounterRateAcrossNaN: a counter's increase is taken between its
// finite values, so a NaN between two of them costs nothing.
func TestCounterRateAcrossNaN(t *testing.T) {
	a, c := newTestAgg(Options{Windows: []time.Duration{time.Minute}})
	t0 := c.ms / 1000 * 1000
	for i, v := range []float64{10, math.NaN(), 20, 30, math.NaN(), 5} { // 5: a reset
		ctr := gauge("c_total", t0+int64(i)*1000, v)
		ctr.Kind = KindCounter
		c.ms = ctr.TimeMs
		a.ingest(batch("s", ctr))
		a.tick()
	}
	st := seriesNamed(a, "c_total").wins[0].stats()
	require.Equal(t, 4, st.Count)
	require.InDelta(t, (10+10+5)/5.0, st.Rate, 1e-12)
}

// TestNaNOnMetricsAndInJSON: /metrics exports a NaN last value as NaN
// (valid exposition); JSON has no NaN, so the point's value is null, which
// the page's ring keeps as a gap in the chart.
func TestNaNOnMetricsAndInJSON(t *testing.T) {
	a, c := newTestAgg(Options{})
	a.ingest(batch("s", gauge("n", c.ms, 1), gauge("inf", c.ms, math.Inf(1))))
	a.tick()
	c.ms += 1000
	a.ingest(batch("s", gauge("n", c.ms, math.NaN())))
	a.tick()
	want := `
# HELP inf Last value of inf from pulseboard's sources.
# TYPE inf gauge
inf{source="s"} +Inf
# HELP n Last value of n from pulseboard's sources.
# TYPE n gauge
n{source="s"} NaN
`
	require.NoError(t, testutil.GatherAndCompare(registry(t, a), strings.NewReader(want), "n", "inf"))

	snap := string(a.SnapshotJSON(true))
	ms := strconv.FormatInt(c.ms, 10)
	require.Contains(t, snap, `"last":[`+ms+`,null]`)
	require.Contains(t, snap, `[`+strconv.FormatInt(c.ms-1000, 10)+`,1],[`+ms+`,null]]`)
	f := decodeSnapshot(t, []byte(snap))
	for _, s := range f.Series {
		if s.Metric == "n" {
			require.Equal(t, 1, s.Windows["1m"].Count, "the NaN is not counted")
		}
	}
}
