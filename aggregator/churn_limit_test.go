package aggregator

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// scrapeRound ingests one complete poll of source, a second after the
// last, of n series req{id=…} whose ids all carry round: a target that
// renames its series at every scrape passes a new round each time.
func scrapeRound(a *Aggregator, c *clock, source string, round, n int) {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%d-%d", round, i)
	}
	scrapeIDs(a, c, source, ids...)
}

// A target that renames its series at every scrape (issue 14, round 7,
// N2: 9,000 new series a second) makes new series only until its hourly
// budget is spent: then every further new series is refused, counted as
// churn_limit by source and in all, and named in its warning, instead of
// taking a stale series' place every other scrape. Without the budget,
// these 19 scrapes made 100 series (and evicted 90).
func TestChurnLimitRefusesNewSeriesPastTheBudget(t *testing.T) {
	srcs := &mutable[[]SourceInfo]{v: []SourceInfo{{Name: "churn"}, {Name: "fine"}}}
	a, c := newTestAgg(Options{MaxSeriesPerSource: 10, Sources: srcs.get})
	require.Equal(t, 20, a.opts.MaxNewSeriesPerHour, "twice max_series_per_source by default")
	for r := range 19 {
		scrapeRound(a, c, "churn", r, 10)
		scrapeIDs(a, c, "fine", "a", "b") // another source: untouched
	}
	made := a.stats.replaced.Load() + uint64(len(a.st.bySrc["churn"]))
	require.Equal(t, uint64(20), made, "the budget (38 s fill it by 0.2)")
	require.Equal(t, uint64(10), a.stats.replaced.Load(), "round 2 replaced round 0, then nothing")
	// Round 0 made 10. Round 1 was refused at the cap, with nothing to
	// replace: round 0 went stale only at its end (churn.go). Round 2
	// replaced round 0 and spent the budget; every later round was
	// refused for churn, at once.
	require.Equal(t, uint64(10), a.stats.refused.Load(), "round 1, at the cap")
	require.Equal(t, uint64(160), a.stats.refusedChurn.Load(), "rounds 3 to 18")
	live, stale := heldIDs(a, "fine")
	require.Equal(t, []string{"a", "b"}, live)
	require.Empty(t, stale)

	a.tick()
	var warning string
	for _, s := range a.Sources() {
		if s.Name == "churn" {
			warning = s.LastWarning
		}
	}
	require.Equal(t, "the store refused samples of the last poll: 10 new series past the source's aggregator.max_new_series_per_hour, or all sources' max_new_series_per_hour_all_sources (churn_limit)", warning)
	want := `# HELP pulseboard_series_refused_total Samples refused because their new series would pass a limit, by reason: series_limit (max_series or max_series_per_source), memory_limit (the estimate held against aggregator.memory_limit), churn_limit (a new series past its source's aggregator.max_new_series_per_hour or all sources' max_new_series_per_hour_all_sources). At series_limit or memory_limit a source with stale series has them replaced instead (pulseboard_series_replaced_total).
# TYPE pulseboard_series_refused_total counter
pulseboard_series_refused_total{reason="churn_limit"} 160
pulseboard_series_refused_total{reason="memory_limit"} 0
pulseboard_series_refused_total{reason="series_limit"} 10
# HELP pulseboard_source_samples_rejected_total Samples of the source the store refused, by reason: too_old, out_of_order, duplicate, too_far_ahead (as pulseboard_samples_rejected_total), series_limit (a new series over aggregator.max_series or max_series_per_source), memory_limit (a new series past aggregator.memory_limit's estimate), churn_limit (a new series past the source's aggregator.max_new_series_per_hour or all sources' max_new_series_per_hour_all_sources). The latest is also the source's last_warning.
# TYPE pulseboard_source_samples_rejected_total counter
pulseboard_source_samples_rejected_total{reason="churn_limit",source="churn"} 160
pulseboard_source_samples_rejected_total{reason="series_limit",source="churn"} 10
`
	require.NoError(t, testutil.GatherAndCompare(registry(t, a), strings.NewReader(want),
		"pulseboard_series_refused_total", "pulseboard_source_samples_rejected_total"))

	// The budget fills again at its rate: half an hour later, half of it.
	c.ms += 30 * 60 * 1000
	scrapeRound(a, c, "churn", 100, 10)
	live, _ = heldIDs(a, "churn")
	require.Len(t, live, 10, "10 new series, 10 of the half-budget")
	scrapeRound(a, c, "churn", 101, 10)
	require.Equal(t, uint64(170), a.stats.refusedChurn.Load(), "then none")
}

// A normal target never meets the budget: one that fills its cap, then
// restarts and renames every series once (a new instance label), keeps
// all its new series.
func TestChurnLimitLetsATargetRenameOnce(t *testing.T) {
	a, c := newTestAgg(Options{MaxSeriesPerSource: 10})
	for range 5 {
		scrapeRound(a, c, "t", 0, 10)
	}
	for range 5 {
		scrapeRound(a, c, "t", 1, 10)
	}
	live, stale := heldIDs(a, "t")
	require.Len(t, live, 10)
	require.Empty(t, stale)
	require.Equal(t, "1-0", live[0])
	require.Zero(t, a.stats.refusedChurn.Load())
}

// A source known from its config (simulated) has no budget: its series
// are the config's. A negative limit turns the budget off for all.
func TestChurnLimitSparesKnownSourcesAndCanBeOff(t *testing.T) {
	a, c := newTestAgg(Options{MaxSeriesPerSource: 2})
	for r := range 10 {
		c.ms += 1000
		a.ingest(Batch{Source: "sim", Complete: true, Known: true, Samples: []Sample{
			gauge("req", c.ms, 1, "id", fmt.Sprint(r)),
		}})
	}
	require.Zero(t, a.stats.refusedChurn.Load())

	off, c := newTestAgg(Options{MaxSeriesPerSource: 2, MaxNewSeriesPerHour: -1})
	for r := range 10 {
		scrapeRound(off, c, "churn", r, 2)
	}
	require.Zero(t, off.stats.refusedChurn.Load())
	require.Equal(t, uint64(8), off.stats.replaced.Load(), "every even round from 2")
}

// A source a reload removes leaves no budget behind.
func TestChurnLimitForgetsARemovedSource(t *testing.T) {
	a, c := newTestAgg(Options{MaxSeriesPerSource: 2})
	scrapeRound(a, c, "s", 0, 2)
	require.Contains(t, a.st.newBySrc, "s")
	a.st.dropSource("s")
	require.NotContains(t, a.st.newBySrc, "s")
}

// A source renamed at every scrape (a reload that removes it and adds it
// again under a new name: trial 14, round 8, F6) starts a budget of its
// own each time, but the store's budget of new series, every source's
// together, is not renewed: past it every new series is refused as
// churn_limit, and it fills again at its rate.
func TestChurnLimitAllSourcesOutlivesARename(t *testing.T) {
	a, c := newTestAgg(Options{MaxSeries: 20, MaxSeriesPerSource: 10})
	require.Equal(t, 40, a.opts.MaxNewSeriesPerHourAllSources, "twice max_series by default")
	made := renameEveryScrape(a, c, 8)
	require.Equal(t, []int{10, 10, 10, 10, 0, 0, 0, 0}, made, "four renames' worth: the store's budget")
	require.Equal(t, uint64(40), a.stats.refusedChurn.Load(), "the four after it, each with a full budget of its own")

	// Known sources (simulated) have no budget and are never refused.
	a.ingest(Batch{Source: "sim", Known: true, Complete: true, Samples: []Sample{{Metric: "m", TimeMs: c.ms, Value: 1}}})
	require.Len(t, a.st.bySrc["sim"], 1)

	c.ms += 30 * 60 * 1000 // half an hour: half of the store's budget
	scrapeRound(a, c, "renamed-8", 8, 10)
	live, _ := heldIDs(a, "renamed-8")
	require.Len(t, live, 10)
}

// renameEveryScrape scrapes rounds times a source of 10 series, renamed
// (dropped and made again under a new name, as a reload does) before
// every scrape but the first, and says how many series each round made.
func renameEveryScrape(a *Aggregator, c *clock, rounds int) []int {
	var made []int
	for r := range rounds {
		name := fmt.Sprintf("renamed-%d", r)
		if r > 0 {
			a.st.dropSource(fmt.Sprintf("renamed-%d", r-1))
		}
		scrapeRound(a, c, name, r, 10)
		made = append(made, len(a.st.bySrc[name]))
	}
	return made
}

// The store's budget can be turned off, and the per-source one alone then
// governs, as before it came.
func TestChurnLimitAllSourcesOff(t *testing.T) {
	a, c := newTestAgg(Options{MaxSeries: 20, MaxSeriesPerSource: 10, MaxNewSeriesPerHourAllSources: -1})
	require.Equal(t, []int{10, 10, 10, 10, 10, 10, 10, 10}, renameEveryScrape(a, c, 8))
	require.Zero(t, a.stats.refusedChurn.Load())
}
