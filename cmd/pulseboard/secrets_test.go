package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// TestSourceSecretsNeverShown runs a prometheus source whose target echoes
// the request in a 200 answer no parser takes, as some do: the parser's
// excerpt of the body quotes the token. Neither it nor a configured
// header's value reaches the API, the stream, /metrics or the log.
func TestSourceSecretsNeverShown(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "requested %s", r.URL.RequestURI())
	}))
	defer target.Close()
	keyTarget := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "metric_x %s", r.Header.Get("X-Api-Key"))
	}))
	defer keyTarget.Close()
	f := startReloadData(t, fmt.Appendf(nil, `server:
  listen: 127.0.0.1:0
  auth: {admin_token: %s}
broadcast: {interval: 20ms}
sources:
  - name: echo
    type: prometheus
    url: %s/echo200?token=sup3rs3cret
    headers: {Authorization: Bearer b34rer-t0ken}
    interval: 20ms
  - name: keyed
    type: prometheus
    url: %s/metrics
    headers: {X-Api-Key: k3yv4lue}
    interval: 20ms
`, adminToken, target.URL, keyTarget.URL), true)
	secrets := []string{"sup3rs3cret", "b34rer-t0ken", "k3yv4lue"}
	noSecret := func(text, where string) {
		t.Helper()
		for _, s := range secrets {
			require.NotContains(t, text, s, where)
		}
	}
	require.Eventually(t, func() bool {
		return f.stats("echo").Failures >= 2 && f.stats("keyed").Failures >= 2
	}, waitLong, tick)

	code, body := f.do("GET", "/api/v1/sources", "")
	require.Equal(t, http.StatusOK, code)
	noSecret(string(body), "/api/v1/sources")
	list := sourcesList(t, f)
	require.Contains(t, list["echo"].LastError, `/echo200?token=xxxxx: parsing metrics: `)
	require.Contains(t, list["echo"].LastError, `while parsing: "requested /echo200?token=xxxxx"`)
	require.Contains(t, list["keyed"].LastError, `parsing "xxxxx"`, "a header value quoted by the parser")

	snap := readSnapshot(t, f.base)
	noSecret(string(snap), "the stream")
	msg, err := protocol.Decode(snap)
	require.NoError(t, err)
	require.Contains(t, msg.(*protocol.Snapshot).Sources[0].LastError, "requested /echo200?token=xxxxx")

	_, metrics := f.do("GET", "/metrics", "")
	noSecret(string(metrics), "/metrics")
	logs := f.logs.String()
	require.Contains(t, logs, "poll failed")
	noSecret(logs, "the log")
}
