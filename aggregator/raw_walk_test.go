package aggregator

import (
	"testing"

	"github.com/stretchr/testify/require"
)

type walked struct {
	series string
	pts    []RawPoint
}

func walkAll(a *Aggregator, since int64, budget int, keep func(string) bool) (calls [][]walked) {
	var cur RawCursor
	for {
		var got []walked
		next, done := a.WalkRaw(since, cur, budget, keep, func(s RawSeries, pts []RawPoint) {
			got = append(got, walked{s.Source + "/" + s.Metric, pts})
		})
		calls = append(calls, got)
		if done {
			return calls
		}
		cur = next
	}
}

// A walk in small budgets gives every point since the instant once, in
// order, series by series, whatever the budget; the cursor resumes inside
// a series.
func TestWalkRawResumes(t *testing.T) {
	a, c := newTestAgg(Options{})
	t0 := c.ms
	for i := range 5 {
		a.ingest(batch("s", gauge("x", t0+int64(i)*1000, float64(i)), gauge("y", t0+int64(i)*1000, float64(10+i))))
		a.ingest(batch("b/s", gauge("remote", t0+int64(i)*1000, 1)))
	}
	local := func(src string) bool { return src == "s" }

	whole := walkAll(a, t0+1000, 100, local)
	require.Len(t, whole, 1, "one call when the budget holds it all")
	require.Len(t, whole[0], 2)
	byName := map[string][]RawPoint{}
	for _, w := range whole[0] {
		byName[w.series] = w.pts
	}
	require.Equal(t, []RawPoint{{t0 + 1000, 1}, {t0 + 2000, 2}, {t0 + 3000, 3}, {t0 + 4000, 4}}, byName["s/x"])
	require.Len(t, byName["s/y"], 4)

	for _, budget := range []int{0, 1, 3, 4, 7} {
		calls := walkAll(a, t0+1000, budget, local)
		got := map[string][]RawPoint{}
		for _, call := range calls {
			n := 0
			for _, w := range call {
				n += len(w.pts)
				got[w.series] = append(got[w.series], w.pts...)
			}
			require.LessOrEqual(t, n, max(budget, 1), "budget %d", budget)
		}
		require.Equal(t, byName, got, "budget %d", budget)
	}

	all := walkAll(a, 0, 100, nil)
	require.Len(t, all[0], 3, "no filter: the remote series too")
	require.Len(t, all[0][0].pts, 5)
}

func TestWalkRawEmptyAndGone(t *testing.T) {
	a, c := newTestAgg(Options{})
	next, done := a.WalkRaw(0, RawCursor{}, 10, nil, func(RawSeries, []RawPoint) { t.Fatal("nothing to give") })
	require.True(t, done)
	require.Equal(t, RawCursor{}, next)

	a.ingest(batch("s", gauge("x", c.ms, 1)))
	var got []RawSeries
	_, done = a.WalkRaw(c.ms+1, RawCursor{}, 10, nil, func(s RawSeries, _ []RawPoint) { got = append(got, s) })
	require.True(t, done)
	require.Empty(t, got, "nothing since then")

	// A cursor past every series (the one it named is gone) is the end.
	_, done = a.WalkRaw(0, RawCursor{Key: ^uint64(0), AfterMs: c.ms}, 10, nil, func(RawSeries, []RawPoint) { t.Fatal("past the end") })
	require.True(t, done)

	_, done = a.WalkRaw(0, RawCursor{}, 10, nil, func(s RawSeries, pts []RawPoint) { got = append(got, s) })
	require.True(t, done)
	require.Equal(t, []RawSeries{{Source: "s", Metric: "x", Kind: KindGauge}}, got)
}
