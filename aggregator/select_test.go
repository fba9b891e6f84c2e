package aggregator

import (
	"math"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// selected returns the ids Select shows for sel, sorted, with a stat.
func selected(a *Aggregator, sel *Selection, win int, st Stat) map[string]float64 {
	out := map[string]float64{}
	a.Select(sel, win, func(v SeriesView) {
		x, ok := v.Stat(st)
		if !ok {
			x = math.Inf(-1)
		}
		out[v.Source()+"/"+v.Metric()+v.Labels().String()] = x
	})
	return out
}

func TestSelectByMetricSourceAndMatcher(t *testing.T) {
	a, clk := newTestAgg(Options{Windows: []time.Duration{10 * time.Second, time.Minute}})
	cpu := func(c string, v float64) Sample {
		return Sample{Metric: "cpu", Labels: Labels{{"cpu", c}}, TimeMs: clk.ms, Value: v}
	}
	a.ingest(batch("host", cpu("0", 10), cpu("1", 20), cpu("total", 15), Sample{Metric: "mem", TimeMs: clk.ms, Value: 1}))
	a.ingest(batch("other", cpu("0", 99)))
	a.tick()

	all := &Selection{Metric: "cpu"}
	require.Len(t, selected(a, all, 0, StatLast), 4)
	host := &Selection{Source: "host", Metric: "cpu", Match: func(_, _ string, ls Labels) bool { return ls.Get("cpu") != "total" }}
	require.Equal(t, map[string]float64{`host/cpu{cpu="0"}`: 10, `host/cpu{cpu="1"}`: 20}, selected(a, host, 0, StatLast))
	bySource := &Selection{Source: "host"}
	require.Len(t, selected(a, bySource, 0, StatCount), 4, "source only: the source's index")
	require.Len(t, selected(a, &Selection{}, 0, StatCount), 5, "nothing given: every series")
	require.Empty(t, selected(a, &Selection{Metric: "nope"}, 0, StatCount))

	// A new series is found on the next read, matched alone (the others
	// are not matched again); an unchanged store is not searched again
	// (Match is not called).
	calls := 0
	counted := &Selection{Metric: "cpu", Match: func(string, string, Labels) bool { calls++; return true }}
	selected(a, counted, 0, StatLast)
	require.Equal(t, 4, calls)
	selected(a, counted, 0, StatLast)
	require.Equal(t, 4, calls, "no series changed: the remembered list is read")
	clk.ms += 1000
	a.ingest(batch("host", cpu("2", 30)))
	a.tick()
	require.Len(t, selected(a, counted, 0, StatLast), 5)
	require.Equal(t, 5, calls, "only the new series is matched")

	// A removed source's series leave the selection.
	a.st.dropSource("other")
	require.Len(t, selected(a, all, 0, StatLast), 4)
	require.Empty(t, a.st.byMetric["nope"])
}

// Stat agrees with the snapshot's statistics for every stat, and reports
// an empty window and an undefined rate as absent.
func TestSeriesViewStatAgreesWithWindows(t *testing.T) {
	a, clk := newTestAgg(Options{Windows: []time.Duration{10 * time.Second, time.Minute}})
	for i, v := range []float64{5, 1, math.NaN(), 9, 3, 7} {
		a.ingest(batch("s", Sample{Metric: "m", TimeMs: clk.ms + int64(i)*1000, Value: v}))
	}
	clk.ms += 5000
	a.tick()
	sel := &Selection{Metric: "m"}
	want := a.st.all[0].wins[1].stats()
	for st, exp := range map[Stat]float64{
		StatLast: want.Last, StatMin: want.Min, StatMax: want.Max, StatMean: want.Mean, StatRate: want.Rate,
		StatP50: want.P50, StatP90: want.P90, StatP99: want.P99, StatCount: float64(want.Count),
	} {
		got := selected(a, sel, 1, st)
		require.InDelta(t, exp, got["s/m{}"], 1e-12, st.String())
	}
	require.Equal(t, 5.0, selected(a, sel, 1, StatCount)["s/m{}"], "NaN counts in no statistic")

	clk.ms += 70_000 // both windows empty out
	a.tick()
	var okCount, okMean bool
	a.Select(sel, 0, func(v SeriesView) {
		_, okCount = v.Stat(StatCount)
		_, okMean = v.Stat(StatMean)
	})
	require.True(t, okCount, "an empty window counts 0")
	require.False(t, okMean)
}

func TestStatNames(t *testing.T) {
	names := StatNames()
	require.Len(t, names, int(numStats))
	for i, n := range names {
		st, ok := ParseStat(n)
		require.True(t, ok)
		require.Equal(t, Stat(i), st)
		require.Equal(t, n, st.String())
	}
	_, ok := ParseStat("median")
	require.False(t, ok)
	require.Equal(t, "stat(99)", Stat(99).String())
	sort.Strings(names)
}

func TestWindowIndex(t *testing.T) {
	a, _ := newTestAgg(Options{Windows: []time.Duration{time.Minute, 10 * time.Second}})
	require.Equal(t, 0, a.WindowIndex(10*time.Second))
	require.Equal(t, 1, a.WindowIndex(time.Minute))
	require.Equal(t, -1, a.WindowIndex(time.Hour))
}
