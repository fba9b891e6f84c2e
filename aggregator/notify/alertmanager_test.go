package notify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// TestRealAlertmanager delivers a firing alert to Debian's
// prometheus-alertmanager on loopback, sees it active in its
// GET /api/v2/alerts, then resolves it (endsAt now) and sees it go. It
// skips without the binary, except under CI=true (.ci/run installs it).
func TestRealAlertmanager(t *testing.T) {
	base := testtool.StartAlertmanager(t)

	logs := newLogSink()
	n := New(Options{Alertmanagers: []string{base}, Logger: logs.logger(), UserAgent: "pulseboard/test"})
	serve(t, n)
	firing := Alert{
		Labels:       map[string]string{"alertname": "HighCPU", "severity": "critical", "source": "host", "cpu": "total"},
		Annotations:  map[string]string{"summary": "CPU at 97 %"},
		StartsAt:     time.Now().Add(-30 * time.Second).Truncate(time.Millisecond),
		EndsAt:       ValidUntil(time.Now(), time.Minute, time.Second),
		GeneratorURL: "http://127.0.0.1:8080/#series=host/host_cpu_percent",
	}
	n.Send([]Alert{firing})

	var got testtool.AlertmanagerAlert
	poll(t, "the alert reaches Alertmanager", logs, func() (bool, error) {
		alerts, err := testtool.AlertmanagerAlerts(base)
		if len(alerts) == 1 {
			got = alerts[0]
		}
		return len(alerts) == 1, err
	})
	require.Equal(t, firing.Labels, got.Labels)
	require.Equal(t, firing.Annotations, got.Annotations)
	require.Equal(t, firing.GeneratorURL, got.GeneratorURL)
	require.True(t, firing.StartsAt.Equal(got.StartsAt), "%s != %s", firing.StartsAt, got.StartsAt)
	require.Equal(t, "active", got.Status.State)

	resolved := firing
	resolved.EndsAt = time.Now()
	n.Send([]Alert{resolved})
	poll(t, "the resolved alert leaves Alertmanager's active alerts", logs, func() (bool, error) {
		alerts, err := testtool.AlertmanagerAlerts(base)
		// sent is counted once the answer is in: maybe after Alertmanager shows it.
		return err == nil && len(alerts) == 0 && n.targets[0].sent.Load() == 2, err
	})
	require.Zero(t, n.targets[0].errors.Load())
}

// poll is testtool.PollAlertmanager with the notifier's log.
func poll(t *testing.T, what string, logs *logSink, cond func() (bool, error)) {
	t.Helper()
	testtool.PollAlertmanager(t, what, logs.text, cond)
}
