package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// TestPromtoolCleanAfterScrapingTheCorpus scrapes every body of the
// collectors' scrape corpus (both text formats, histograms, summaries,
// label clashes, repeated and malformed families, and a real
// node_exporter, whose go_* and process_* families pulseboard exports too)
// with the real program, then checks its /metrics with promtool: whatever
// the sources scrape, pulseboard adds no problem. The only complaints
// allowed are the ones promtool makes of a target's own body: a scraped
// name such as node_memory_MemFree_bytes keeps the target's spelling, as
// it does in Prometheus.
func TestPromtoolCleanAfterScrapingTheCorpus(t *testing.T) {
	besideOthers(t)
	testtool.Require(t, "promtool")
	dir := filepath.Join("..", "..", "collectors", "testdata")
	bodies, err := filepath.Glob(filepath.Join(dir, "scrape", "*.*"))
	require.NoError(t, err)
	bodies = append(bodies, filepath.Join(dir, "node_exporter.prom"))

	targetOwn := map[string]bool{} // what promtool says of the bodies themselves
	mux := http.NewServeMux()
	var sources strings.Builder
	n := 0
	for _, path := range bodies {
		ext := filepath.Ext(path)
		if ext != ".prom" && ext != ".om" {
			continue
		}
		body, err := os.ReadFile(path)
		require.NoError(t, err)
		if ext == ".prom" { // promtool reads only the classic format, and not all of it
			lines, parsed := testtool.PromtoolProblemsOf(t, body)
			for _, line := range lines {
				targetOwn[line] = parsed // a body promtool cannot read excuses nothing
			}
		}
		contentType := "text/plain; version=0.0.4; charset=utf-8"
		if ext == ".om" {
			contentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"
		}
		route := fmt.Sprintf("/corpus/%d", n)
		mux.HandleFunc(route, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.Write(body)
		})
		fmt.Fprintf(&sources, "  - {name: corpus%d, type: prometheus, url: \"URL%s\", interval: 50ms}\n", n, route)
		n++
	}
	require.GreaterOrEqual(t, n, 9, "the corpus is there")
	srv := httptest.NewServer(mux)
	defer srv.Close()

	f := startReloadData(t, fmt.Appendf(nil, `server:
  listen: 127.0.0.1:0
  auth: {admin_token: %s}
broadcast: {interval: 20ms}
sources:
%s`, adminToken, strings.ReplaceAll(sources.String(), "URL", srv.URL)), true)
	require.Eventually(t, func() bool {
		for i := range n {
			if f.stats(fmt.Sprintf("corpus%d", i)).Polls < 2 {
				return false
			}
		}
		return true
	}, waitLong, 10*time.Millisecond)

	code, metrics := f.do("GET", "/metrics", "")
	require.Equal(t, http.StatusOK, code, "%s", metrics)
	require.Contains(t, string(metrics), `pulseboard_window_value`, "window metrics are on: the case that used to break")
	for _, line := range testtool.PromtoolProblems(t, metrics) {
		require.True(t, targetOwn[line], "promtool check metrics on /metrics: %s", line)
	}
}
