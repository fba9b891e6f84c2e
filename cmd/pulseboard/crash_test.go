package main

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// The crash route goes through the whole program: the collector panics, its
// supervisor restarts it, and no other source is touched.
func TestCrashRouteRestartsOnlyThatSource(t *testing.T) {
	besideOthers(t)
	f := startReload(t, "reload_base.yaml", true)
	require.Eventually(t, func() bool { return f.started("doomed") == 1 && f.stats("doomed").Polls > 0 }, waitLong, tick)

	code, body := f.do(http.MethodPost, "/api/v1/sources/doomed/crash", "")
	require.Equal(t, http.StatusUnauthorized, code, "%s", body)
	code, body = f.do(http.MethodPost, "/api/v1/sources/nowhere/crash", adminToken)
	require.Equal(t, http.StatusNotFound, code, "%s", body)

	code, body = f.do(http.MethodPost, "/api/v1/sources/doomed/crash", adminToken)
	require.Equal(t, http.StatusAccepted, code, "%s", body)
	require.Eventually(t, func() bool { return f.started("doomed") == 2 }, waitLong, tick, "restarted by its supervisor")
	require.Eventually(t, func() bool { return f.stats("doomed").Restarts == 1 }, waitLong, tick)

	panics := metricValue(t, f.p.registry, "pulseboard_supervisor_panics_total",
		map[string]string{"supervisor": "collectors", "child": "doomed"})
	require.Equal(t, 1.0, panics, "the crash is counted as a panic")
	for _, other := range []string{"steady", "edited"} {
		require.Equal(t, 1.0, f.started(other), "%s was not restarted", other)
		require.Zero(t, f.stats(other).Restarts)
	}
	code, body = f.do(http.MethodGet, "/api/v1/snapshot?points=0", "")
	require.Equal(t, http.StatusOK, code)
	snap, err := protocol.Decoder{}.Snapshot(body)
	require.NoError(t, err)
	require.NotNil(t, snap.Tree)
	require.Equal(t, "root", snap.Tree.Name)
	require.Equal(t, "rest_for_one", snap.Tree.Strategy)
	var names []string
	for _, c := range snap.Tree.Children {
		names = append(names, c.Name)
		require.Equal(t, aggregator.StateRunning, c.State, c.Name)
	}
	// The supervised children, then the stored history's node (the
	// fixture's config keeps its history on disk).
	require.Equal(t, []string{"aggregator", "collectors", "dashboard", "notifier", "alerting", "reloader", "storage"}, names)

	// The crash, its backoff and the restart are in the snapshot's events
	// (once the restart's delta is out): a page opened now still lists them.
	require.Eventually(t, func() bool {
		return slices.Equal(doomedEvents(t, f), []string{"started", "crashed", "restarting", "started"})
	}, waitLong, tick, "%v", doomedEvents(t, f))

	for _, root := range []string{"aggregator", "collectors", "dashboard", "notifier"} {
		require.Equal(t, 1.0, metricValue(t, f.p.registry, "pulseboard_supervisor_events_total",
			map[string]string{"supervisor": "root", "child": root, "event": "started"}), root)
	}
}

// tick is how often Eventually looks again.
const tick = 5 * time.Millisecond

// doomedEvents are the supervision events of "doomed" that a snapshot
// carries, in order; a restarting one must say when it is retried.
func doomedEvents(t *testing.T, f *reloadFixture) []string {
	t.Helper()
	code, body := f.do(http.MethodGet, "/api/v1/snapshot?points=0", "")
	require.Equal(t, http.StatusOK, code)
	snap, err := protocol.Decoder{}.Snapshot(body)
	require.NoError(t, err)
	var told []string
	for _, e := range snap.Events {
		if e.Kind != "supervision" {
			continue
		}
		var p supervisionPayload
		require.NoError(t, e.DecodePayload(&p))
		if p.Source == "doomed" {
			told = append(told, p.Event)
			if p.Event == "restarting" {
				require.Greater(t, p.RetryAt, e.TS, "when it is retried")
			}
		}
	}
	return told
}
