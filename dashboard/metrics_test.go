package dashboard

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// TestMetricsPassPromtool serves /metrics after some traffic of every kind
// and runs `promtool check metrics` on it: it must report nothing. Without
// promtool the test skips, except under CI=true (see testtool.Require).
func TestMetricsPassPromtool(t *testing.T) {
	testtool.Require(t, "promtool")
	f := newFixture(t, fixtureOptions{})
	f.pushAndWait(3, 1)
	c := f.dial("", nil)
	c.readType("hello")
	c.send(`{"type":"nonsense"}`)
	f.httpDo("GET", "/api/v1/series/0000000000000000", nil, nil)
	f.httpDo("GET", "/api/v1/sources", nil, nil)
	f.httpDo("GET", "/missing", nil, nil)

	code, h, body := f.httpDo("GET", "/metrics", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, h.Get("Content-Type"), "text/plain")
	for _, name := range []string{
		"pulseboard_ws_clients 1",
		"pulseboard_ws_messages_sent_total",
		"pulseboard_ws_batched_messages_total",
		"pulseboard_ws_bytes_sent_total",
		"pulseboard_ws_slow_client_drops_total 0",
		`pulseboard_ws_handshakes_refused_total{reason="origin"} 0`,
		`pulseboard_ws_client_messages_ignored_total{reason="unknown"}`,
		`pulseboard_ws_disconnects_total{reason="shutdown"} 0`,
		// Route patterns, never raw paths.
		`pulseboard_http_requests_total{code="404",route="/api/v1/series/:id"} 1`,
		`pulseboard_http_requests_total{code="200",route="/api/v1/sources"} 1`,
		`pulseboard_http_requests_total{code="404",route="unmatched"} 1`,
		`pulseboard_http_requests_total{code="101",route="/ws"} 1`,
	} {
		require.Contains(t, string(body), name)
	}
	require.NotContains(t, string(body), "0000000000000000")
	require.NotContains(t, string(body), "/missing")

	testtool.RequirePromtoolClean(t, body)
}

func TestMetricsGzip(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	code, h, _ := f.httpDo("GET", "/metrics", nil, http.Header{"Accept-Encoding": {"gzip"}})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "gzip", h.Get("Content-Encoding"))
}
