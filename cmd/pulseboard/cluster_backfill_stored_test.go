package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// storedClusterConfig is clusterConfig with a history of two seconds kept
// on disk in dir, flushed every 100 ms: a break of a few seconds is
// longer than the history, as an hour is with the defaults.
func storedClusterConfig(name, dir string, routes []string) string {
	cfg := clusterConfig(name, routes)
	cfg = strings.Replace(cfg, `storage: {path: ""}`,
		fmt.Sprintf("storage: {path: %q, flush_interval: 100ms}\naggregator: {history: 2s, windows: [1s]}", dir), 1)
	return cfg
}

// seriesID is the id n gives the metric of source src ("" if none).
func (n *clusterNode) seriesID(src, metric string) string {
	var snap protocol.Snapshot
	if n.get("/api/v1/snapshot?points=0", &snap) != nil {
		return ""
	}
	for _, s := range snap.Series {
		if s.Source == src && s.Metric == metric {
			return s.ID
		}
	}
	return ""
}

// rangeOf is n's GET /api/v1/series/{id}?from=&to=&step=.
func (n *clusterNode) rangeOf(t *testing.T, id string, from, to, step int64) protocol.RangeAnswer {
	t.Helper()
	var ans protocol.RangeAnswer
	path := fmt.Sprintf("/api/v1/series/%s?from=%d&to=%d", id, from, to)
	if step > 0 {
		path += fmt.Sprintf("&step=%d&points=50", step)
	}
	require.NoError(t, n.get(path, &ans))
	require.Len(t, ans.Series, 1)
	return ans
}

// A node away for longer than its history gets what it missed of its
// peer's series back from the peer's stored raw tier, merged into its own
// stored tiers next to what it held before it went: its range API then
// answers over the break exactly what the peer answers of its own series,
// raw and by the minute.
func TestClusterBackfillFillsStoredHistoryAfterLongBreak(t *testing.T) {
	besideOthers(t)
	const metric = "temperature_celsius"
	dirA, dirB := t.TempDir(), t.TempDir()
	a := startClusterNodeFrom(t, "a", storedClusterConfig("a", dirA, nil))
	b := startClusterNodeFrom(t, "b", storedClusterConfig("b", dirB, []string{a.route}))
	require.Eventually(t, func() bool {
		p := b.rawPoints(remoteSource("a", "demo"), metric)
		return len(p) > 10
	}, waitLong, 20*time.Millisecond, "b holds a's live samples")
	b.stop(t)
	stopped := time.Now().UnixMilli()

	// a goes on for twice b's history while b is away.
	require.Eventually(t, func() bool {
		p := a.rawPoints("demo", metric)
		return len(p) > 0 && p[len(p)-1].TimeMs >= stopped+4000
	}, waitLong, 20*time.Millisecond)
	restarted := time.Now().UnixMilli()
	b = startClusterNodeFrom(t, "b", storedClusterConfig("b", dirB, []string{a.route}))
	require.Eventually(t, func() bool { return b.backfills("done") >= 1 }, waitLong, 20*time.Millisecond)
	require.Positive(t, metricValueOr0(b, "pulseboard_cluster_backfill_samples_total", map[string]string{"fate": "written"}),
		"samples older than b's history went to its stored tiers")

	own, remote := a.seriesID("demo", metric), ""
	require.Eventually(t, func() bool {
		remote = b.seriesID(remoteSource("a", "demo"), metric)
		return remote != ""
	}, waitLong, 20*time.Millisecond)
	// From before b went away to well before it came back: all of it older
	// than b's history when it came back.
	from, to := stopped-1500, restarted-2500
	want := a.rangeOf(t, own, from, to, 0)
	got := b.rangeOf(t, remote, from, to, 0)
	require.Equal(t, "raw", got.Tier)
	require.Equal(t, want.Series[0].Points, got.Series[0].Points, "b holds over the break what a holds")
	require.GreaterOrEqual(t, len(got.Series[0].Points), int(to-from)/100-5, "the source's every 100 ms")

	// The minute that holds to may still be open on both: each node's
	// open minute holds the samples it has now, and b is a replication
	// behind a, so the two read at different moments differ (a loaded run
	// read means 18.1097 and 18.1143). Read them once both have closed it:
	// a sample of the next minute came to each.
	closed := (to/60_000 + 1) * 60_000
	require.Eventually(t, func() bool {
		pa, pb := a.rawPoints("demo", metric), b.rawPoints(remoteSource("a", "demo"), metric)
		return len(pa) > 0 && len(pb) > 0 && pa[len(pa)-1].TimeMs >= closed && pb[len(pb)-1].TimeMs >= closed
	}, 75*time.Second, 100*time.Millisecond, "both nodes closed the minute of %d", to)
	wantMin := a.rangeOf(t, own, from-60_000, to, 60_000)
	gotMin := b.rangeOf(t, remote, from-60_000, to, 60_000)
	require.Equal(t, "1m", gotMin.Tier)
	require.Equal(t, len(wantMin.Series[0].Points), len(gotMin.Series[0].Points))
	for i, w := range wantMin.Series[0].Points {
		g := gotMin.Series[0].Points[i]
		require.Equal(t, w.T, g.T)
		require.InDelta(t, w.Mean, g.Mean, 1e-9, "minute %d at %d", i, w.T)
		require.Equal(t, w.Min, g.Min, "minute %d at %d", i, w.T)
		require.Equal(t, w.Max, g.Max, "minute %d at %d", i, w.T)
	}
}
