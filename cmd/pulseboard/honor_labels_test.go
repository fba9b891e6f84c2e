package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// TestScrapedSourceLabelIsExported scrapes a series that carries its own
// "source" and "env" with honor_labels true and false: "source" is
// pulseboard's in both modes (the scraped one is exported_source), "env"
// follows honor_labels, and the API and /metrics say the same.
func TestScrapedSourceLabelIsExported(t *testing.T) {
	besideOthers(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, "# TYPE clash_value gauge\nclash_value{source=\"exp-src\",env=\"dev\"} 5\n")
	}))
	defer target.Close()
	f := startReloadData(t, fmt.Appendf(nil, `server:
  listen: 127.0.0.1:0
  auth: {admin_token: %[1]s}
broadcast: {interval: 20ms}
sources:
  - name: honored
    type: prometheus
    url: %[2]s/metrics
    interval: 20ms
    honor_labels: true
    labels: {env: prod}
  - name: configured
    type: prometheus
    url: %[2]s/metrics
    interval: 20ms
    labels: {env: prod}
`, adminToken, target.URL), true)
	want := map[string]struct {
		labels  map[string]string
		metrics string
	}{
		"honored": {map[string]string{"exported_source": "exp-src", "env": "dev"},
			`clash_value{env="dev",exported_source="exp-src",source="honored"} 5`},
		"configured": {map[string]string{"exported_source": "exp-src", "env": "prod", "exported_env": "dev"},
			`clash_value{env="prod",exported_env="dev",exported_source="exp-src",source="configured"} 5`},
	}
	var snap *protocol.Snapshot
	require.Eventually(t, func() bool {
		code, body := f.do("GET", "/api/v1/snapshot?points=0", "")
		require.Equal(t, http.StatusOK, code)
		var err error
		snap, err = protocol.Decoder{}.Snapshot(body)
		require.NoError(t, err)
		return len(snap.Series) == 2
	}, waitLong, tick)
	for _, s := range snap.Series {
		require.Equal(t, want[s.Source].labels, s.Labels, "%s: the API", s.Source)
	}
	_, body := f.do("GET", "/metrics", "")
	var lines []string
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, "clash_value{") {
			lines = append(lines, strings.TrimSpace(line))
		}
	}
	require.ElementsMatch(t, []string{want["honored"].metrics, want["configured"].metrics}, lines, "/metrics")
}
