package aggregator

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// scrapeIDs ingests one complete poll of source, a second after the last,
// showing the series req{id=…} of ids.
func scrapeIDs(a *Aggregator, c *clock, source string, ids ...string) {
	c.ms += 1000
	b := Batch{Source: source, Complete: true}
	for _, id := range ids {
		b.Samples = append(b.Samples, gauge("req", c.ms, 1, "id", id))
	}
	a.ingest(b)
}

// heldIDs returns the ids of source's series in the store, stale or not,
// sorted.
func heldIDs(a *Aggregator, source string) (live, stale []string) {
	for _, s := range a.st.bySrc[source] {
		if s.stale {
			stale = append(stale, s.labels[0].Value)
		} else {
			live = append(live, s.labels[0].Value)
		}
	}
	slices.Sort(live)
	slices.Sort(stale)
	return live, stale
}

// A target that makes new series without end keeps showing its live
// series at max_series_per_source: each new one takes the place of the
// longest-stale series of the source, announced removed, counted and
// named in its warning. Before, every new series past the cap was
// refused and the source showed only stale series.
func TestChurnReplacesStaleSeries(t *testing.T) {
	srcs := &mutable[[]SourceInfo]{v: []SourceInfo{{Name: "churn"}}}
	a, c := newTestAgg(Options{MaxSeriesPerSource: 4, Sources: srcs.get, MailboxSize: 64})
	sub := a.Subscribe(0)
	defer sub.Close()
	_ = next(t, sub) // the empty snapshot

	scrapeIDs(a, c, "churn", "0", "1")
	scrapeIDs(a, c, "churn", "2", "3") // 0 and 1 go stale at its end
	a.tick()
	ids := map[string]string{}
	for _, s := range decodeDelta(t, next(t, sub).Data).Added {
		ids[s.Labels["id"]] = s.ID
	}
	require.Len(t, ids, 4)

	scrapeIDs(a, c, "churn", "4", "5")
	live, stale := heldIDs(a, "churn")
	require.Equal(t, []string{"4", "5"}, live, "the new series are stored")
	require.Equal(t, []string{"2", "3"}, stale, "in place of the longest stale")
	require.Equal(t, uint64(2), a.stats.replaced.Load())
	require.Zero(t, a.stats.refused.Load())

	a.tick()
	d := decodeDelta(t, next(t, sub).Data)
	require.ElementsMatch(t, []string{ids["0"], ids["1"]}, d.Removed, "announced removed, as an eviction")
	require.Len(t, d.Added, 2)
	require.Equal(t, "series churn: 2 stale series replaced by new ones at the series limits (2 so far)", a.Sources()[0].LastWarning)
	require.Len(t, a.st.all, 4)
	for i, s := range a.st.all {
		require.Equal(t, i, s.allPos)
	}

	// No stale series left that this poll does not show: refused as before.
	scrapeIDs(a, c, "churn", "4", "5", "6", "7", "8")
	live, _ = heldIDs(a, "churn")
	require.Equal(t, []string{"4", "5", "6", "7"}, live)
	require.Equal(t, uint64(1), a.stats.refused.Load(), "8: nothing left to replace")
	require.Equal(t, uint64(4), a.stats.replaced.Load())
	a.tick()
	require.Contains(t, a.Sources()[0].LastWarning, "series churn: 2 stale series replaced")
	require.Contains(t, a.Sources()[0].LastWarning, "1 new series over aggregator.max_series or max_series_per_source (series_limit)")

	want := `# HELP pulseboard_series_replaced_total Stale series evicted to make room for a new series of the same source at max_series_per_source, max_series or the memory budget (series churn); announced removed like an eviction.
# TYPE pulseboard_series_replaced_total counter
pulseboard_series_replaced_total 4
`
	require.NoError(t, testutil.GatherAndCompare(registry(t, a), strings.NewReader(want), "pulseboard_series_replaced_total"))
}

// A stale series the poll shows again is never taken, even when a new
// series comes first in the poll and the series' own sample is refused;
// nor is one that went stale only at the end of the poll before.
func TestChurnTakesNoSeriesThePollShows(t *testing.T) {
	a, c := newTestAgg(Options{MaxSeriesPerSource: 2})
	scrapeIDs(a, c, "s", "a", "b")
	scrapeIDs(a, c, "s", "a") // b stale
	c.ms += 1000
	a.ingest(Batch{Source: "s", Complete: true, Samples: []Sample{
		gauge("req", c.ms, 1, "id", "new"),
		gauge("req", c.ms-5000, 1, "id", "b"), // out of order: refused, but shown
	}})
	live, stale := heldIDs(a, "s")
	require.Empty(t, live)
	require.Equal(t, []string{"a", "b"}, stale, "a went stale only at this poll's end")
	require.Zero(t, a.stats.replaced.Load())
	require.Equal(t, uint64(1), a.stats.refused.Load())

	scrapeIDs(a, c, "s", "new", "b")
	live, stale = heldIDs(a, "s")
	require.Equal(t, []string{"b", "new"}, live, "new took a's place; b came back")
	require.Empty(t, stale)
}

// A target that flaps between two label sets, together past the cap,
// keeps both sets' history: the set a poll leaves out is stale only from
// that poll's end and live again at the next, so nothing is replaced.
func TestChurnFlappingKeepsBothSets(t *testing.T) {
	a, c := newTestAgg(Options{MaxSeriesPerSource: 4})
	setA, setB := []string{"a1", "a2", "a3"}, []string{"b1", "b2", "b3"}
	for range 10 {
		scrapeIDs(a, c, "flap", setA...)
		scrapeIDs(a, c, "flap", setB...)
	}
	require.Zero(t, a.stats.replaced.Load())
	live, stale := heldIDs(a, "flap")
	require.Equal(t, []string{"b1"}, live)
	require.Equal(t, setA, stale)
	for _, s := range a.st.bySrc["flap"] {
		require.Equal(t, 10, s.hist.len(), "%s kept every point", s.labels)
	}
}

// At max_series a new series takes the place of a stale series of its own
// source only: another source's, stale because its target is down, stay.
func TestChurnAtMaxSeriesTakesOnlyItsOwn(t *testing.T) {
	a, c := newTestAgg(Options{MaxSeries: 4})
	scrapeIDs(a, c, "down", "x1", "x2")
	a.ingest(Batch{Source: "down", Failed: true})
	scrapeIDs(a, c, "churn", "1", "2")
	scrapeIDs(a, c, "churn", "3", "4") // refused: the down source's stale series are not its own
	require.Equal(t, uint64(2), a.stats.refused.Load())
	scrapeIDs(a, c, "churn", "5", "6") // 1 and 2 are stale since the last poll
	live, stale := heldIDs(a, "churn")
	require.Equal(t, []string{"5", "6"}, live)
	require.Empty(t, stale)
	_, stale = heldIDs(a, "down")
	require.Equal(t, []string{"x1", "x2"}, stale)
	require.Equal(t, uint64(2), a.stats.replaced.Load())
}

// With storage, a replaced series keeps its stored history, as an evicted
// one does: what it had in memory is written, and a range read still
// answers for it.
func TestChurnReplacedSeriesKeepsItsStoredHistory(t *testing.T) {
	db := newFakeStorage()
	a, c := newTestAgg(Options{MaxSeriesPerSource: 1, Storage: db, Windows: []time.Duration{time.Minute}})
	t0 := c.ms + 1000
	scrapeIDs(a, c, "s", "old")
	scrapeIDs(a, c, "s", "old")
	oldID := a.st.bySrc["s"][0].id
	scrapeIDs(a, c, "s", "next") // refused; old goes stale
	scrapeIDs(a, c, "s", "next")
	require.Equal(t, uint64(1), a.stats.replaced.Load())
	require.NoError(t, a.Flush())
	ans := a.QueryRange(protocol.RangeRequest{Series: []string{oldID}, From: t0 - 1000, To: c.ms + 1})
	require.Empty(t, ans.Error)
	require.Empty(t, ans.Series[0].Error)
	require.Len(t, ans.Series[0].Points, 2, "its two points, from storage")
	require.Equal(t, t0, ans.Series[0].Points[0].T)
	require.NotEmpty(t, db.metas)
}

// Every series keeps its place in store.all (allPos, which replacements
// use to drop a series in O(1)) right through replacements, sweeps,
// evictions and sorts.
func TestChurnKeepsPositions(t *testing.T) {
	a, c := newTestAgg(Options{MaxSeriesPerSource: 50, History: time.Minute, Windows: []time.Duration{time.Minute}})
	for i := range 40 {
		ids := make([]string, 20)
		for j := range ids {
			ids[j] = fmt.Sprint(i*20 + j)
		}
		scrapeIDs(a, c, "s", ids...)
		if i%7 == 0 {
			a.tick()
		}
		for p, s := range a.st.all {
			require.Equal(t, p, s.allPos)
			require.False(t, s.evicted)
		}
	}
	require.Len(t, a.st.all, 50)
	require.Len(t, a.st.byKey, 50)
}
