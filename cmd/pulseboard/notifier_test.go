package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/notify"
	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/supervisor"
)

// The notifier is a child of the root, after the dashboard, and delivers
// to the configured Alertmanager; its metrics are on the registry.
func TestTreeNotifierDelivers(t *testing.T) {
	bodies := make(chan string, 4)
	am := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- r.Method + " " + r.URL.Path + " " + string(b)
	}))
	defer am.Close()
	cfg, err := configs.Parse("alerting.yaml", []byte(`server: {listen: "127.0.0.1:0"}
alerting: {alertmanagers: ["`+am.URL+`/prefix"]}
`))
	require.NoError(t, err)
	cfg.Storage.Path = t.TempDir()
	p, err := newProgram(cfg, reloadSetup{noWatch: true}, quiet)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			require.ErrorIs(t, err, context.Canceled)
		}
	}()
	select {
	case <-p.dashboard.Listening():
	case <-time.After(waitLong):
		t.Fatal("the dashboard never listened")
	}

	var names []string
	for _, c := range p.root.Children() {
		names = append(names, c.Name)
	}
	require.Equal(t, []string{"aggregator", "collectors", "dashboard", "notifier", "alerting", "reloader"}, names)

	p.notifier.Send([]notify.Alert{{Labels: map[string]string{"alertname": "HighCPU"}, StartsAt: time.Now()}})
	select {
	case got := <-bodies:
		require.True(t, strings.HasPrefix(got, `POST /prefix/api/v2/alerts [{"labels":{"alertname":"HighCPU"}`), got)
	case <-time.After(waitLong):
		t.Fatal("nothing reached the Alertmanager")
	}
	target := map[string]string{"target": am.URL + "/prefix/api/v2/alerts"}
	require.Eventually(t, func() bool {
		return metricValue(t, p.registry, "pulseboard_notifications_sent_total", target) == 1
	}, waitLong, tick)
	for _, c := range p.root.Children() {
		require.Equal(t, supervisor.StateRunning, c.State, c.Name)
	}
}

// Without alertmanagers and webhooks the notifier runs and sends nothing.
func TestTreeNotifierWithoutTargets(t *testing.T) {
	cfg := configs.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	p, err := newProgram(cfg, reloadSetup{noWatch: true}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	require.Empty(t, p.notifier.Targets())
	p.notifier.Send([]notify.Alert{{Labels: map[string]string{"alertname": "A"}}})
	mfs, err := p.registry.Gather()
	require.NoError(t, err)
	var found bool
	for _, mf := range mfs {
		if mf.GetName() == "pulseboard_notifications_queue_capacity" {
			found = true
			require.Equal(t, float64(notify.DefaultQueueCapacity), mf.Metric[0].GetGauge().GetValue())
		}
	}
	require.True(t, found, "the notifier's metrics are registered")
}

// alerting.* is restart-only: a reload warns, lists it in needs_restart
// (without the URL: it may hold credentials) and keeps the running value.
func TestReloadAlertingNeedsARestart(t *testing.T) {
	f := startReload(t, "reload_base.yaml", true)
	targets := f.p.notifier.Targets()
	f.replace("reload_alerting.yaml")
	code, body := f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusOK, code, "%s", body)
	e := f.event()
	require.True(t, e.OK)
	require.Equal(t, []string{"alerting.alertmanagers", "alerting.resend_delay"}, e.NeedsRestart)
	require.Contains(t, f.logs.String(), `keys="[alerting.alertmanagers alerting.resend_delay]"`)
	require.NotContains(t, f.logs.String(), "hunter2pw")
	require.Empty(t, f.p.reloader.config().Alerting.Alertmanagers, "the running value stays")
	require.Equal(t, targets, f.p.notifier.Targets())
}
