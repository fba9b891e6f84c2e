package aggregator

import (
	"errors"
	"testing"
	"time"

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

// With Storage, a walk from before memory's history gives the stored raw
// points and then memory's, each once and none lost where they meet,
// whatever the budget; a series only on disk is walked too, with its
// identity from its meta; keep still filters. From within the history
// it is memory's walk.
func TestWalkRawReachesStoredTier(t *testing.T) {
	a, c := newTestAgg(Options{Storage: openDB(t), History: time.Minute, Windows: []time.Duration{time.Minute}})
	t0 := c.ms
	var want []RawPoint
	for i := range 600 {
		c.ms = t0 + int64(i)*1000
		smp := []Sample{gauge("x", c.ms, float64(i))}
		if i < 100 {
			smp = append(smp, gauge("gone", c.ms, float64(-i)))
		}
		a.ingest(batch("s", smp...))
		a.ingest(batch("b/s", gauge("remote", c.ms, 1)))
		want = append(want, RawPoint{TimeMs: c.ms, Value: float64(i)})
		if i%30 == 0 {
			a.tick()
			require.NoError(t, a.Flush())
		}
	}
	a.tick()
	require.NoError(t, a.Flush())
	a.mu.RLock()
	x := a.st.byKey[identityHash("s", "x", nil)]
	require.Greater(t, x.hist.head.firstT, t0+300_000, "most of x is on disk only")
	require.Nil(t, a.st.byKey[identityHash("s", "gone", nil)], "gone left memory")
	a.mu.RUnlock()
	local := func(src string) bool { return src == "s" }

	for _, budget := range []int{1, 7, 100, 1000} {
		got := map[string][]RawPoint{}
		for _, call := range walkAll(a, t0, budget, local) {
			n := 0
			for _, w := range call {
				n += len(w.pts)
				got[w.series] = append(got[w.series], w.pts...)
			}
			require.LessOrEqual(t, n, budget)
		}
		require.Equal(t, want, got["s/x"], "budget %d", budget)
		require.Len(t, got["s/gone"], 100, "budget %d", budget)
		require.Len(t, got, 2, "the remote source is left out")
	}

	recent := walkAll(a, c.ms-30_000, 1000, local)
	require.Len(t, recent, 1)
	require.Len(t, recent[0], 1, "from within the history: memory's series only")
	require.Len(t, recent[0][0].pts, 31)
}

// A stored series whose blocks do not read is skipped, the walk goes on.
func TestWalkRawSkipsUnreadableStored(t *testing.T) {
	f := newFakeStorage()
	a, c := newTestAgg(Options{Storage: f, History: time.Minute, Windows: []time.Duration{time.Minute}})
	for i := range 200 {
		c.ms += 1000
		a.ingest(batch("s", gauge("x", c.ms, float64(i))))
		if i%30 == 0 {
			a.tick()
			require.NoError(t, a.Flush())
		}
	}
	f.failRead = errors.New("unreadable")
	calls := walkAll(a, 0, 1000, nil)
	require.Len(t, calls, 1)
	require.Len(t, calls[0], 1)
	require.Equal(t, float64(199), calls[0][0].pts[len(calls[0][0].pts)-1].Value, "memory's points still given")
}
