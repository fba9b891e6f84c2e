package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// amConfig routes every alert to a receiver that does nothing: the test
// looks at Alertmanager's own view of its alerts.
const amConfig = `route:
  receiver: sink
  group_wait: 0s
receivers:
  - name: sink
`

// TestRealAlertmanager delivers a firing alert to Debian's
// prometheus-alertmanager on loopback, sees it active in its
// GET /api/v2/alerts, then resolves it (endsAt now) and sees it go. It
// skips without the binary, except under CI=true (.ci/run installs it).
func TestRealAlertmanager(t *testing.T) {
	bin := testtool.Require(t, "prometheus-alertmanager", "alertmanager")
	base := startAlertmanager(t, bin)

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

	var got amAlert
	poll(t, "the alert reaches Alertmanager", logs, func() (bool, error) {
		alerts, err := amAlerts(base)
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
		alerts, err := amAlerts(base)
		// sent is counted once the answer is in: maybe after Alertmanager shows it.
		return err == nil && len(alerts) == 0 && n.targets[0].sent.Load() == 2, err
	})
	require.Zero(t, n.targets[0].errors.Load())
}

// amAlert is what Alertmanager's GET /api/v2/alerts says of an alert.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

// amClient is the test's own client, its connections closed at the end.
var amClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: 5 * time.Second}

func amAlerts(base string) ([]amAlert, error) {
	resp, err := amClient.Get(base + "/api/v2/alerts")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v2/alerts: %s", resp.Status)
	}
	var out []amAlert
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// poll checks cond every 20 ms, on the test's goroutine, until it holds;
// after 20 s (a guard for a broken machine, not a wait) it fails with the
// last error and the notifier's log.
func poll(t *testing.T, what string, logs *logSink, cond func() (bool, error)) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for {
		ok, err := cond()
		if ok {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: not within 20s (last error: %v); notifier log:\n%s", what, err, logs.text())
		}
	}
}

// startAlertmanager runs bin on a free loopback port with its storage in
// a temporary directory and its cluster gossip off, waits until it is
// ready and returns its URL. It is stopped when the test ends.
func startAlertmanager(t *testing.T, bin string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	require.NoError(t, os.WriteFile(cfg, []byte(amConfig), 0o600))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // a small window in which another process could take it

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+cfg,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--cluster.listen-address=",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-exited
	})

	t.Cleanup(amClient.CloseIdleConnections)
	base := "http://" + addr
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		if resp, err := amClient.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("alertmanager exited: %v\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("alertmanager on %s not ready within 30s", addr)
		case <-tick.C:
		}
	}
}
