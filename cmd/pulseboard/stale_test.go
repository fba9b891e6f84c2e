package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// exporter is a Prometheus target whose body the test changes, and which
// can refuse to answer (as a stopped exporter does).
type exporter struct {
	mu   sync.Mutex
	body string
	down bool
}

func (e *exporter) set(body string, down bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.body, e.down = body, down
}

func (e *exporter) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	e.mu.Lock()
	body, down := e.body, e.down
	e.mu.Unlock()
	if down {
		http.Error(w, "stopped", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprint(w, body)
}

// seriesState is each series of source in /api/v1/snapshot by metric: true
// when stale.
func seriesState(t *testing.T, f *reloadFixture, source string) map[string]bool {
	t.Helper()
	code, body := f.do("GET", "/api/v1/snapshot?points=0", "")
	require.Equal(t, http.StatusOK, code)
	snap, err := protocol.Decoder{}.Snapshot(body)
	require.NoError(t, err)
	out := map[string]bool{}
	for _, s := range snap.Series {
		if s.Source == source {
			out[s.Metric] = s.Stale
			if s.Stale {
				require.Positive(t, s.StaleSince, s.Metric)
			}
		}
	}
	return out
}

// TestStaleAsPrometheusHasIt runs the program against a target that drops
// a series, then stops answering, then comes back: a missing series is
// stale at once (marked in the API, gone from /metrics), a failed scrape
// makes every series of the source stale and the source down, and the
// next good scrape brings them back.
func TestStaleAsPrometheusHasIt(t *testing.T) {
	besideOthers(t)
	exp := &exporter{}
	exp.set("# TYPE kept gauge\nkept 1\n# TYPE dropped gauge\ndropped 2\n", false)
	srv := httptest.NewServer(exp)
	defer srv.Close()
	f := startReloadData(t, fmt.Appendf(nil, `server:
  listen: 127.0.0.1:0
  auth: {admin_token: %s}
broadcast: {interval: 20ms}
sources:
  - name: target
    type: prometheus
    url: %s/metrics
    interval: 20ms
`, adminToken, srv.URL), true)
	metricsHas := func(name string) bool {
		_, body := f.do("GET", "/metrics", "")
		return strings.Contains(string(body), "\n"+name+"{")
	}

	require.Eventually(t, func() bool {
		st := seriesState(t, f, "target")
		return len(st) == 2 && !st["kept"] && !st["dropped"] && metricsHas("dropped")
	}, waitLong, 5*time.Millisecond, "both series live")

	exp.set("# TYPE kept gauge\nkept 1\n", false)
	require.Eventually(t, func() bool {
		st := seriesState(t, f, "target")
		return !st["kept"] && st["dropped"] && !metricsHas("dropped") && metricsHas("kept")
	}, waitLong, 5*time.Millisecond, "the series missing from a good scrape is stale and leaves /metrics")

	exp.set("", true)
	require.Eventually(t, func() bool {
		st := seriesState(t, f, "target")
		return st["kept"] && st["dropped"] && !metricsHas("kept")
	}, waitLong, 5*time.Millisecond, "a failed scrape makes every series stale")
	list := sourcesList(t, f)
	require.Equal(t, protocol.StateRunning, list["target"].State)
	require.False(t, list["target"].Up, "the source is down, its collector running")

	exp.set("# TYPE kept gauge\nkept 3\n# TYPE dropped gauge\ndropped 4\n", false)
	require.Eventually(t, func() bool {
		st := seriesState(t, f, "target")
		return !st["kept"] && !st["dropped"] && metricsHas("dropped") && sourcesList(t, f)["target"].Up
	}, waitLong, 5*time.Millisecond, "the next good scrape brings them back")
}

func sourcesList(t *testing.T, f *reloadFixture) map[string]protocol.Source {
	t.Helper()
	_, body := f.do("GET", "/api/v1/sources", "")
	list, err := protocol.Decoder{}.Sources(body)
	require.NoError(t, err)
	out := map[string]protocol.Source{}
	for _, s := range list.Sources {
		out[s.Name] = s
	}
	return out
}
