package main

import (
	"time"

	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The crash route goes through the whole program: the collector panics, its
// supervisor restarts it, and no other source is touched.
func TestCrashRouteRestartsOnlyThatSource(t *testing.T) {
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
	for _, root := range []string{"aggregator", "collectors", "dashboard"} {
		require.Equal(t, 1.0, metricValue(t, f.p.registry, "pulseboard_supervisor_events_total",
			map[string]string{"supervisor": "root", "child": root, "event": "started"}), root)
	}
}

// tick is how often Eventually looks again.
const tick = 5 * time.Millisecond
