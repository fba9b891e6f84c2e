package aggregator

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// A source whose samples the store refuses says so itself: counted by
// source and reason on /metrics, and named in its last_warning (newer
// than the collector's own warning), until a reload removes it.
func TestSourceRejectsAreCountedAndNamed(t *testing.T) {
	srcs := &mutable[[]SourceInfo]{v: []SourceInfo{{Name: "big", LastWarning: "older", LastWarningAt: 1}, {Name: "fine"}}}
	a, c := newTestAgg(Options{MaxSeriesPerSource: 2, Sources: srcs.get})
	a.ingest(batch("big", gauge("m", c.ms, 1, "i", "1"), gauge("m", c.ms, 1, "i", "2"), gauge("m", c.ms, 1, "i", "3"),
		gauge("old", c.ms-2*DefaultHistory.Milliseconds(), 1)))
	a.ingest(batch("fine", gauge("m", c.ms, 1)))
	a.tick()

	got := map[string]SourceInfo{}
	for _, s := range a.Sources() {
		got[s.Name] = s
	}
	require.Equal(t, c.ms, got["big"].LastWarningAt)
	require.Equal(t, "the store refused samples of the last poll: 1 stamped older than the history (too_old), "+
		"1 new series over aggregator.max_series or max_series_per_source (series_limit)", got["big"].LastWarning)
	require.Empty(t, got["fine"].LastWarning)
	require.Contains(t, string(a.SourcesJSON()), "series_limit", "the REST answer says it too")

	want := `# HELP pulseboard_source_samples_rejected_total Samples of the source the store refused, by reason: too_old, out_of_order, duplicate, too_far_ahead (as pulseboard_samples_rejected_total), series_limit (a new series over aggregator.max_series or max_series_per_source), memory_limit (a new series past aggregator.memory_limit's estimate), churn_limit (a new series past the source's aggregator.max_new_series_per_hour or all sources' max_new_series_per_hour_all_sources). The latest is also the source's last_warning.
# TYPE pulseboard_source_samples_rejected_total counter
pulseboard_source_samples_rejected_total{reason="series_limit",source="big"} 1
pulseboard_source_samples_rejected_total{reason="too_old",source="big"} 1
`
	require.NoError(t, testutil.GatherAndCompare(registry(t, a), strings.NewReader(want), "pulseboard_source_samples_rejected_total"))

	// A newer warning of the collector's own wins.
	c.ms += 1000
	srcs.set([]SourceInfo{{Name: "big", LastWarning: "newer", LastWarningAt: c.ms}, {Name: "fine"}})
	a.SourcesChanged()
	a.tick()
	require.Equal(t, "newer", a.Sources()[0].LastWarning)

	// Removed from the config: its counts go with it.
	srcs.set([]SourceInfo{{Name: "fine"}})
	a.SourcesChanged()
	a.tick()
	require.NoError(t, testutil.GatherAndCompare(registry(t, a), strings.NewReader(""), "pulseboard_source_samples_rejected_total"))
}
