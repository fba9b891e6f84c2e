package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// The whole program against a real Alertmanager (Debian's
// prometheus-alertmanager; skipped without it, failed under CI=true): a
// rule on a simulated source fires within seconds and reaches
// Alertmanager's GET /api/v2/alerts with its labels and a link back to the
// dashboard; then the load ends by a hot reload of the config (the
// source's value drops, the rule is left alone) and Alertmanager sees the
// alert resolved, pulseboard never restarted.

// e2eAlertConfig is the config with the source's constant value at load.
func e2eAlertConfig(am string, load int) []byte {
	return fmt.Appendf(nil, `server: {listen: 127.0.0.1:0, auth: {admin_token: %s}}
broadcast: {interval: 20ms}
alerting: {interval: 100ms, alertmanagers: [%q]}
sources:
  - name: box
    type: simulated
    interval: 50ms
    series:
      - {metric: box_cpu_percent, shape: constant, min: %d, max: %d, labels: {cpu: total}}
alerts:
  - name: HighCPU
    select: {source: box, metric: box_cpu_percent, labels: {cpu: total}}
    stat: last
    warning: 80
    for: 500ms
    labels: {team: ops}
    annotations: {summary: "CPU at {{ $value }} %%"}
`, adminToken, am, load, load)
}

func TestAlertmanagerEndToEnd(t *testing.T) {
	besideOthers(t)
	am := testtool.StartAlertmanager(t)
	f := startReloadData(t, e2eAlertConfig(am, 95), false)
	started := f.p.root

	var got testtool.AlertmanagerAlert
	pollAlertmanager(t, f, "HighCPU firing in Alertmanager", func() (bool, error) {
		alerts, err := testtool.AlertmanagerAlerts(am)
		for _, a := range alerts {
			if a.Labels["alertname"] == "HighCPU" {
				got = a
				return true, err
			}
		}
		return false, err
	})
	require.Equal(t, map[string]string{"alertname": "HighCPU", "severity": "warning", "source": "box", "cpu": "total", "team": "ops"}, got.Labels)
	require.Equal(t, "CPU at 95 %", got.Annotations["summary"])
	require.Equal(t, "active", got.Status.State)
	require.True(t, strings.HasPrefix(got.GeneratorURL, f.base+"/#series="), "generatorURL %q links to the series on %s", got.GeneratorURL, f.base)
	require.True(t, got.EndsAt.After(time.Now()), "firing: endsAt ahead, %s", got.EndsAt)
	require.Eventually(t, func() bool { return f.apiAlerts()["HighCPU"].State == "firing" }, waitLong, 20*time.Millisecond)
	firedAt := got.StartsAt

	// The load ends: the source's value drops, in a hot reload.
	f.write(e2eAlertConfig(am, 10))
	e := f.event()
	require.True(t, e.OK, "%+v", e)
	require.Empty(t, e.NeedsRestart)
	require.Equal(t, []string{"box"}, e.Changed)
	require.Same(t, started, f.p.root, "the same program: not restarted")

	pollAlertmanager(t, f, "HighCPU gone from Alertmanager's active alerts", func() (bool, error) {
		alerts, err := testtool.AlertmanagerAlerts(am)
		for _, a := range alerts {
			if a.Labels["alertname"] == "HighCPU" && a.EndsAt.After(time.Now()) {
				return false, err
			}
		}
		return err == nil, err
	})
	// Alertmanager drops an alert by itself once its endsAt passes, so on a
	// loaded machine it may be gone there before the rule saw the new value:
	// the dashboard and the resolved notification are waited for, not assumed.
	require.Eventually(t, func() bool { _, ok := f.apiAlerts()["HighCPU"]; return !ok }, waitLong, 20*time.Millisecond,
		"resolved on the dashboard too")
	target := map[string]string{"target": am + "/api/v2/alerts"}
	require.Eventually(t, func() bool {
		v, err := gatheredValue(f.p.registry, "pulseboard_notifications_sent_total", target)
		return err == nil && v >= 2
	}, waitLong, 20*time.Millisecond, "the firing and the resolved alert sent")
	require.Zero(t, metricValue(t, f.p.registry, "pulseboard_notifications_dropped_total", target))
	t.Logf("fired at %s, resolved in Alertmanager by a reload", firedAt.Format(time.RFC3339Nano))
}

// pollAlertmanager is testtool.PollAlertmanager with pulseboard's log.
func pollAlertmanager(t *testing.T, f *reloadFixture, what string, cond func() (bool, error)) {
	t.Helper()
	testtool.PollAlertmanager(t, what, f.logs.String, cond)
}
