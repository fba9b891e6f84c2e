package main

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// The secrets of secretConfig's URLs; none may reach anything a person or
// a program reads.
var secrets = []string{"admin", "s3cret", "abc"}

func requireNoSecret(t *testing.T, text, where string) {
	t.Helper()
	for _, s := range secrets {
		require.NotContains(t, text, s, where)
	}
}

// closedAddr is the address of a listener that was closed: connecting to
// it is refused.
func closedAddr(t *testing.T) string {
	t.Helper()
	// A socket bound and never listening: a connection to its port is
	// refused, and no other process can take the port while the test
	// holds it. A listener closed at once left the port free, and a
	// server started beside the test took it (the "down" source then
	// scraped that server's /metrics).
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { unix.Close(fd) })
	require.NoError(t, unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	sa, err := unix.Getsockname(fd)
	require.NoError(t, err)
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*unix.SockaddrInet4).Port))
}

// downConfig has a prometheus source whose target refuses connections,
// its URL holding a user, a password and a token, beside a healthy one.
func downConfig(addr string) []byte {
	return fmt.Appendf(nil, `server:
  listen: 127.0.0.1:0
  auth: {admin_token: %s}
broadcast: {interval: 20ms}
sources:
  - name: down
    type: prometheus
    url: http://admin:s3cret@%s/metrics?token=abc
    interval: 20ms
  - name: steady
    type: simulated
    interval: 20ms
    series:
      - {metric: steady_value, shape: constant, min: 1, max: 1}
`, adminToken, addr)
}

// TestDownIsNotRunning runs the program with a prometheus source pointed
// at a closed port: its collector is running, the source is not up, and
// /metrics, the API, the stream and the log all say so without a secret.
func TestDownIsNotRunning(t *testing.T) {
	addr := closedAddr(t)
	f := startReloadData(t, downConfig(addr), true)
	require.Eventually(t, func() bool {
		return f.stats("down").Failures >= 2 && f.stats("steady").Polls >= 2
	}, waitLong, 5*time.Millisecond)

	// /metrics: up is the last poll's health, running the supervision state.
	require.Equal(t, 0.0, metricValue(t, f.p.registry, "pulseboard_source_up", map[string]string{"source": "down"}))
	require.Equal(t, 1.0, metricValue(t, f.p.registry, "pulseboard_source_running", map[string]string{"source": "down"}))
	require.Equal(t, 1.0, metricValue(t, f.p.registry, "pulseboard_source_up", map[string]string{"source": "steady"}))
	_, metrics := f.do("GET", "/metrics", "")
	require.Contains(t, string(metrics), `pulseboard_source_up{source="down"} 0`)
	requireNoSecret(t, string(metrics), "/metrics")

	// The API.
	code, body := f.do("GET", "/api/v1/sources", "")
	require.Equal(t, http.StatusOK, code)
	requireNoSecret(t, string(body), "/api/v1/sources")
	list, err := protocol.Decoder{}.Sources(body)
	require.NoError(t, err)
	down := list.Sources[0]
	require.Equal(t, "down", down.Name)
	require.Equal(t, protocol.StateRunning, down.State)
	require.False(t, down.Up)
	require.Contains(t, down.LastError, "GET http://xxxxx:xxxxx@"+addr+"/metrics?token=xxxxx: ")
	require.Contains(t, down.LastError, "connection refused")
	require.Positive(t, down.LastErrorAt)
	require.Zero(t, down.LastSuccess)
	steady := list.Sources[1]
	require.True(t, steady.Up)
	require.Empty(t, steady.LastError)

	// The stream's snapshot.
	snap := readSnapshot(t, f.base)
	requireNoSecret(t, string(snap), "the stream")
	msg, err := protocol.Decode(snap)
	require.NoError(t, err)
	s := msg.(*protocol.Snapshot)
	require.Equal(t, "down", s.Sources[0].Name)
	require.False(t, s.Sources[0].Up)
	require.Equal(t, protocol.StateRunning, s.Sources[0].State)

	// The log: one line when the source started failing, redacted.
	logs := f.logs.String()
	require.Contains(t, logs, "poll failed")
	require.Contains(t, logs, "xxxxx:xxxxx@"+addr)
	requireNoSecret(t, logs, "the log")
}

// readSnapshot reads the stream until its first snapshot, raw.
func readSnapshot(t *testing.T, base string) []byte {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(waitLong)))
	for {
		_, data, err := conn.ReadMessage()
		require.NoError(t, err)
		if protocol.ReadHeader(data).Type == protocol.TypeSnapshot {
			return data
		}
	}
}

// TestRejectedReloadHidesSecrets: a reload refused for a URL with
// credentials names the URL redacted in the route's answer, the stream's
// event and the log.
func TestRejectedReloadHidesSecrets(t *testing.T) {
	f := startReload(t, "reload_base.yaml", true)
	stream := f.watchStream()
	stream.waitFor(t, "a first delta", func(n int, _ []protocol.Event) bool { return n > 0 })
	f.write([]byte(`server:
  listen: 127.0.0.1:0
  auth: {admin_token: reload-test-admin}
broadcast: {interval: 20ms}
sources:
  - name: steady
    type: prometheus
    url: ftp://admin:s3cret@host/x?token=abc
  - name: aliased
    type: json
    url: *ftp://admin:s3cret@host/x?token=abc
`))
	code, body := f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	requireNoSecret(t, string(body), "the reload route")

	var rejected reloadEvent
	stream.waitFor(t, "the rejected reload", func(_ int, events []protocol.Event) bool {
		for _, ev := range events {
			if r, ok := reloadIn(ev); ok && !r.OK {
				rejected = r
				return true
			}
		}
		return false
	})
	requireNoSecret(t, rejected.Message+strings.Join(rejected.Errors, "\n"), "the stream's reload event")
	require.NotEmpty(t, rejected.Errors)
	require.Contains(t, strings.Join(rejected.Errors, "\n"), "ftp://xxxxx:xxxxx@host/x?token=xxxxx")
	requireNoSecret(t, f.logs.String(), "the log")
}
