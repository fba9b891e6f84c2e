package aggregator

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Selections with a budget list at most its bound together: one that
// would pass it is refused (Select reports false, calls fn for none, holds
// nothing) and is not counted again while nothing changed; it fits once
// another gives its series back or the store's series change. Selections
// read through an index are never refused and cost the budget nothing.
func TestSelectionBudget(t *testing.T) {
	a, clk := newTestAgg(Options{Windows: []time.Duration{10 * time.Second}})
	var samples []Sample
	for i := range 60 {
		samples = append(samples, Sample{Metric: "m", Labels: Labels{{"id", strconv.Itoa(i)}}, TimeMs: clk.ms, Value: 1})
	}
	a.ingest(batch("s", samples...))
	a.tick()

	b := NewSelectionBudget(100)
	calls := 0
	matcher := func(keep func(id int) bool) func(string, string, Labels) bool {
		return func(_, _ string, ls Labels) bool {
			calls++
			id, _ := strconv.Atoi(ls.Get("id"))
			return keep(id)
		}
	}
	all := &Selection{Metric: "m", Match: matcher(func(int) bool { return true }), Budget: b}
	even := &Selection{Metric: "m", Match: matcher(func(id int) bool { return id%2 == 0 }), Budget: b}
	odd := &Selection{Metric: "m", Match: matcher(func(id int) bool { return id%2 == 1 }), Budget: b}
	count := func(sel *Selection) (int, bool) {
		n := 0
		ok := a.Select(sel, 0, func(SeriesView) { n++ })
		return n, ok
	}

	n, ok := count(all)
	require.True(t, ok)
	require.Equal(t, 60, n)
	require.Equal(t, 60, b.Used())
	n, ok = count(even)
	require.True(t, ok)
	require.Equal(t, 30, n)
	require.Equal(t, 90, b.Used())

	calls = 0
	n, ok = count(odd)
	require.False(t, ok, "30 more would pass 100")
	require.Zero(t, n)
	require.Equal(t, 60, calls, "counted once")
	require.Equal(t, 90, b.Used(), "a refused selection holds nothing")
	calls = 0
	_, ok = count(odd)
	require.False(t, ok)
	require.Zero(t, calls, "nothing changed: not counted again")

	for _, sel := range []*Selection{{Metric: "m", Budget: b}, {Source: "s", Budget: b}, {Budget: b}} {
		n, ok = count(sel)
		require.True(t, ok, "an index-backed selection is never refused")
		require.Equal(t, 60, n)
	}
	require.Equal(t, 90, b.Used(), "and lists nothing")

	even.Release()
	require.Equal(t, 60, b.Used())
	n, ok = count(odd)
	require.True(t, ok, "room given back: it fits")
	require.Equal(t, 30, n)
	require.Equal(t, 90, b.Used())
	n, ok = count(even)
	require.False(t, ok, "now the released one has no room")
	require.Zero(t, n)

	// The store's series change: the refused selection is counted again,
	// and a list that shrank gives its room back.
	a.st.dropSource("s")
	a.tick()
	n, ok = count(all)
	require.True(t, ok)
	require.Zero(t, n)
	n, ok = count(even)
	require.True(t, ok)
	require.Zero(t, n)
	count(odd)
	require.Zero(t, b.Used(), "lists of removed series are let go")
}

// The budget counts what the lists hold in memory, their capacity: a
// selection that grows is counted at what it grew to, never past the
// bound, and one that shrinks is copied down to its length.
func TestSelectionBudgetCountsCapacity(t *testing.T) {
	a, clk := newTestAgg(Options{Windows: []time.Duration{10 * time.Second}})
	push := func(from, to int) {
		var samples []Sample
		for i := from; i < to; i++ {
			samples = append(samples, Sample{Metric: "m", Labels: Labels{{"id", strconv.Itoa(i)}}, TimeMs: clk.ms, Value: 1})
		}
		a.ingest(batch("s"+strconv.Itoa(from), samples...))
		a.tick()
	}
	b := NewSelectionBudget(1000)
	sel := &Selection{Metric: "m", Match: func(string, string, Labels) bool { return true }, Budget: b}
	have := 0
	for _, to := range []int{1, 3, 7, 100, 513, 1000} {
		push(have, to)
		have = to
		require.True(t, a.Select(sel, 0, func(SeriesView) {}))
		require.Equal(t, to, len(sel.list))
		require.Equal(t, cap(sel.list), b.Used(), "the budget counts the capacity")
		require.LessOrEqual(t, b.Used(), 1000)
	}
	push(1000, 1001)
	require.False(t, a.Select(sel, 0, func(SeriesView) {}), "1,001 do not fit in 1,000")
	require.Zero(t, b.Used())
}
