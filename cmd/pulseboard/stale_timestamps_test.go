package main

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExporterTimestampsAndStaleness runs Prometheus' rule for samples
// that carry the exporter's own timestamp: by default such a series is not
// made stale by its absence from a scrape nor by a failed scrape (it stays
// on /metrics and live in the API until it ages out), while a series
// without timestamps beside it is; track_timestamps_staleness: true makes
// it stale like any other.
func TestExporterTimestampsAndStaleness(t *testing.T) {
	besideOthers(t)
	exp := &exporter{}
	stampMs := time.Now().Add(-10 * time.Second).UnixMilli()
	exp.set(fmt.Sprintf("# TYPE plain gauge\nplain 1\n# TYPE stamped gauge\nstamped 5 %d\n", stampMs), false)
	srv := httptest.NewServer(exp)
	defer srv.Close()
	f := startReloadData(t, fmt.Appendf(nil, `server:
  listen: 127.0.0.1:0
  auth: {admin_token: %[1]s}
broadcast: {interval: 20ms}
sources:
  - name: untracked
    type: prometheus
    url: %[2]s/metrics
    interval: 20ms
  - name: tracked
    type: prometheus
    url: %[2]s/metrics
    interval: 20ms
    track_timestamps_staleness: true
`, adminToken, srv.URL), true)
	exportedStamped := func(source string) bool {
		_, body := f.do("GET", "/metrics", "")
		return strings.Contains(string(body), `stamped{source="`+source+`"} 5`)
	}
	require.Eventually(t, func() bool {
		return len(seriesState(t, f, "untracked")) == 2 && len(seriesState(t, f, "tracked")) == 2 &&
			exportedStamped("untracked") && exportedStamped("tracked")
	}, waitLong, tick, "both series of both sources live")

	exp.set("", false) // a good scrape without either
	require.Eventually(t, func() bool {
		tr := seriesState(t, f, "tracked")
		return tr["plain"] && tr["stamped"] && seriesState(t, f, "untracked")["plain"]
	}, waitLong, tick, "the series without timestamps go stale; tracked, the stamped one too")
	require.False(t, seriesState(t, f, "untracked")["stamped"], "untracked, the stamped series stays live")
	require.True(t, exportedStamped("untracked"))
	require.False(t, exportedStamped("tracked"))

	exp.set("# TYPE plain gauge\nplain 2\n", false)
	require.Eventually(t, func() bool { return !seriesState(t, f, "untracked")["plain"] }, waitLong, tick)
	exp.set("", true) // the scrape fails: plain goes stale, the same batch keeps stamped live
	require.Eventually(t, func() bool {
		return seriesState(t, f, "untracked")["plain"] && !sourcesList(t, f)["untracked"].Up
	}, waitLong, tick)
	require.False(t, seriesState(t, f, "untracked")["stamped"], "a failed scrape leaves it live too")
	require.True(t, exportedStamped("untracked"))
}
