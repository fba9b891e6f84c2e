package testtool

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
)

// alertmanagerConfig routes every alert to a receiver that does nothing:
// the tests look at Alertmanager's own view of its alerts.
const alertmanagerConfig = `route:
  receiver: sink
  group_wait: 0s
receivers:
  - name: sink
`

// alertmanagerClient is the tests' client of Alertmanager; StartAlertmanager
// closes its idle connections when its test ends (goleak).
var alertmanagerClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: 5 * time.Second}

// StartAlertmanager runs Debian's prometheus-alertmanager (or an
// alertmanager on PATH; see Require: skipped without it, failed under
// CI=true) on a free loopback port, with its storage in a temporary
// directory, its cluster gossip off and a route to a receiver that does
// nothing, waits up to 30 s until it is ready, and returns its base URL
// ("http://127.0.0.1:port"). It is stopped when the test ends. Call it
// from the test's goroutine.
func StartAlertmanager(t testing.TB) string {
	t.Helper()
	bin := Require(t, "prometheus-alertmanager", "alertmanager")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(alertmanagerConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // a small window in which another process could take it

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
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-exited
	})
	t.Cleanup(alertmanagerClient.CloseIdleConnections)

	base := "http://" + addr
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		if resp, err := alertmanagerClient.Get(base + "/-/ready"); err == nil {
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
			t.Fatalf("alertmanager on %s not ready within 30s\n%s", addr, out.String())
		case <-tick.C:
		}
	}
}

// AlertmanagerAlert is what Alertmanager's GET /api/v2/alerts says of an
// alert.
type AlertmanagerAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

// AlertmanagerAlerts reads the alerts of the Alertmanager at base (as
// StartAlertmanager returns it) from its GET /api/v2/alerts: the active,
// silenced and inhibited ones; resolved alerts are not listed. An answer
// other than 200 is an error.
func AlertmanagerAlerts(base string) ([]AlertmanagerAlert, error) {
	resp, err := alertmanagerClient.Get(base + "/api/v2/alerts")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v2/alerts: %s", resp.Status)
	}
	var out []AlertmanagerAlert
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// PollAlertmanager checks cond every 20 ms, on the test's goroutine, until
// it holds; after 20 s (a guard for a broken machine, not a wait) it fails
// with cond's last error and what logs returns (the caller's log).
// Alertmanager is polled, not awaited: it has no way to notify a test.
func PollAlertmanager(t testing.TB, what string, logs func() string, cond func() (bool, error)) {
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
			t.Fatalf("%s: not within 20s (last error: %v); log:\n%s", what, err, logs())
		}
	}
}
