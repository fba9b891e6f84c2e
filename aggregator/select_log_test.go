package aggregator

import (
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ids lists the series Select shows for sel, sorted.
func ids(a *Aggregator, sel *Selection) []string {
	var out []string
	a.Select(sel, 0, func(v SeriesView) { out = append(out, v.ID()) })
	sort.Strings(out)
	return out
}

// numbered are n samples of metric m, label id from..from+n-1.
func numbered(clk *clock, from, n int) []Sample {
	out := make([]Sample, n)
	for i := range out {
		out[i] = Sample{Metric: "m", Labels: Labels{{"id", strconv.Itoa(from + i)}}, TimeMs: clk.ms, Value: 1}
	}
	return out
}

// A selection catches up with the store from its changes: it matches each
// new series once (not the store's series again), drops the removed ones,
// and shows what a selection made now shows; a series that came and went
// between two reads is neither matched nor shown.
func TestSelectionCatchesUpFromChanges(t *testing.T) {
	a, clk := newTestAgg(Options{Windows: []time.Duration{10 * time.Second}})
	a.ingest(batch("a", numbered(clk, 0, 100)...))
	a.tick()
	calls := 0
	even := func(_, _ string, ls Labels) bool {
		id, _ := strconv.Atoi(ls.Get("id"))
		return id%2 == 0
	}
	sel := &Selection{Metric: "m", Match: func(s, m string, ls Labels) bool { calls++; return even(s, m, ls) }}
	fresh := func() []string { return ids(a, &Selection{Metric: "m", Match: even}) }
	require.Len(t, ids(a, sel), 50)
	require.Equal(t, 100, calls)

	calls = 0
	a.ingest(batch("b", numbered(clk, 100, 10)...))
	a.tick()
	require.Equal(t, fresh(), ids(a, sel))
	require.Len(t, ids(a, sel), 55)
	require.Equal(t, 10, calls, "the ten new series only")

	calls = 0
	a.st.dropSource("a")
	a.ingest(batch("c", numbered(clk, 200, 4)...))
	a.st.dropSource("c")
	a.tick()
	require.Equal(t, fresh(), ids(a, sel))
	require.Len(t, ids(a, sel), 5, "source a's left; c's came and went")
	require.Zero(t, calls, "a removed series is dropped without matching; one gone already is not matched")
}

// A selection its budget refused keeps the count of its matches from the
// new series (matching only them) and is listed as soon as the count
// fits.
func TestRefusedSelectionCountsFromChanges(t *testing.T) {
	a, clk := newTestAgg(Options{Windows: []time.Duration{10 * time.Second}})
	a.ingest(batch("a", numbered(clk, 0, 60)...))
	a.tick()
	b := NewSelectionBudget(80)
	calls := 0
	all := &Selection{Metric: "m", Budget: b, Match: func(string, string, Labels) bool { return true }}
	odd := &Selection{Metric: "m", Budget: b, Match: func(_, _ string, ls Labels) bool {
		calls++
		id, _ := strconv.Atoi(ls.Get("id"))
		return id%2 == 1
	}}
	require.Len(t, ids(a, all), 60)
	require.False(t, a.Select(odd, 0, func(SeriesView) {}), "30 do not fit in 20")
	require.Equal(t, 60, calls)

	calls = 0
	a.ingest(batch("b", numbered(clk, 60, 20)...))
	a.tick()
	require.Len(t, ids(a, all), 80)
	require.False(t, a.Select(odd, 0, func(SeriesView) {}), "40 now: still no room")
	require.Equal(t, 20, calls, "the twenty new series only")
	require.Equal(t, 40, odd.matched)

	calls = 0
	a.st.dropSource("a")
	a.tick()
	require.Len(t, ids(a, all), 20)
	require.True(t, a.Select(odd, 0, func(SeriesView) {}), "10 now, with all's room given back")
	require.Equal(t, 20, calls, "after a removal the store's series are counted again, and listed as they fit")
	require.Equal(t, ids(a, &Selection{Metric: "m", Match: odd.Match}), ids(a, odd))
	require.Equal(t, 30, b.Used())
}

// A selection further behind than the log keeps is listed anew, and still
// right.
func TestSelectionBehindTheLogIsListedAnew(t *testing.T) {
	a, clk := newTestAgg(Options{Windows: []time.Duration{10 * time.Second}, MaxSeries: 2 * logMax, MaxSeriesPerSource: 2 * logMax})
	a.ingest(batch("a", numbered(clk, 0, 10)...))
	a.tick()
	calls := 0
	sel := &Selection{Metric: "m", Match: func(string, string, Labels) bool { calls++; return true }}
	require.Len(t, ids(a, sel), 10)
	a.ingest(batch("b", numbered(clk, 10, logMax)...))
	a.tick()
	calls = 0
	require.Len(t, ids(a, sel), 10+logMax)
	require.Equal(t, 10+logMax, calls, "listed anew: the log lost the first changes")
	require.LessOrEqual(t, len(a.st.changes.changes), logMax)
}
