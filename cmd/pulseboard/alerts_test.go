package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// apiAlerts reads GET /api/v1/alerts, by alertname.
func (f *reloadFixture) apiAlerts() map[string]protocol.APIAlert {
	f.t.Helper()
	code, body := f.do("GET", "/api/v1/alerts", "")
	require.Equal(f.t, http.StatusOK, code)
	var resp protocol.AlertsResponse
	require.NoError(f.t, json.Unmarshal(body, &resp))
	out := map[string]protocol.APIAlert{}
	for _, a := range resp.Data.Alerts {
		out[a.Labels["alertname"]] = a
	}
	return out
}

// The whole program: rules from the file fire, show on /api/v1/alerts and
// /metrics, and a reload keeps the state of the rule it leaves alone,
// starts the edited one afresh and adds the new one, without a restart.
func TestReloadKeepsAlertState(t *testing.T) {
	f := startReload(t, "reload_alerts.yaml", false)
	var before map[string]protocol.APIAlert
	require.Eventually(t, func() bool {
		before = f.apiAlerts()
		return before["SteadyHigh"].State == "firing" && before["SteadyVeryHigh"].State == "pending"
	}, waitLong, 20*time.Millisecond)
	require.Equal(t, "steady at 5", before["SteadyHigh"].Annotations["summary"])
	require.Equal(t, "warning", before["SteadyHigh"].Labels["severity"])
	require.Equal(t, "steady", before["SteadyHigh"].Labels["source"])
	_, metrics := f.do("GET", "/metrics", "")
	require.Contains(t, string(metrics), `ALERTS{alertname="SteadyHigh",alertstate="firing",severity="warning",source="steady"} 1`)
	require.Contains(t, string(metrics), `ALERTS_FOR_STATE{alertname="SteadyVeryHigh",severity="critical",source="steady"}`)

	f.replace("reload_alerts_next.yaml")
	e := f.event()
	require.True(t, e.OK, "%+v", e)
	require.Empty(t, e.NeedsRestart)
	require.Equal(t, "config reloaded: alert rules changed", e.Message)

	var after map[string]protocol.APIAlert
	require.Eventually(t, func() bool {
		after = f.apiAlerts()
		return after["SteadyMissing"].State == "pending" && after["SteadyVeryHigh"].ActiveAt != nil &&
			after["SteadyVeryHigh"].ActiveAt.After(*before["SteadyVeryHigh"].ActiveAt)
	}, waitLong, 20*time.Millisecond, "the edited rule starts afresh, the new one evaluates")
	require.Equal(t, *before["SteadyHigh"].ActiveAt, *after["SteadyHigh"].ActiveAt, "the unchanged rule keeps its alert")
	require.Equal(t, "firing", after["SteadyHigh"].State)
	require.True(t, strings.Contains(f.logs.String(), "alert_rules_changed=true"))
}

// The embedded demo shows a pending and a firing alert within its first
// minute (configs/default.yaml, alerts:).
func TestDemoAlertsWithinAMinute(t *testing.T) {
	besideOthers(t)
	if testing.Short() {
		t.Skip("waits up to a minute of the demo")
	}
	f := startReload(t, "", true)
	seen := map[string]bool{}
	require.Eventually(t, func() bool {
		for name, a := range f.apiAlerts() {
			seen[a.State] = true
			seen[name] = true
		}
		return seen["pending"] && seen["firing"] && seen["WorkerBusy"]
	}, time.Minute, 100*time.Millisecond, "seen: %v", seen)
}
