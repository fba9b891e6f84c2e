package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// fakeSources records crashes: "demo" exists, "broken" fails, the rest are unknown.
type fakeSources struct {
	mu      sync.Mutex
	crashed []string
}

func (f *fakeSources) Crash(name string) error {
	switch name {
	case "demo":
		f.mu.Lock()
		f.crashed = append(f.crashed, name)
		f.mu.Unlock()
		return nil
	case "broken":
		return errors.New("collector is broken")
	case "resting":
		return fmt.Errorf("crash %q: %w", name, ErrNotRunning)
	}
	return fmt.Errorf("crash %q: %w", name, ErrUnknownSource)
}

func (f *fakeSources) crashes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.crashed...)
}

func TestAPIReadRoutes(t *testing.T) {
	f := newFixture(t, fixtureOptions{agg: func(o *aggregator.Options) {
		o.Sources = func() []aggregator.SourceInfo {
			return []aggregator.SourceInfo{{Name: "src", Type: "simulated", State: aggregator.StateRunning}}
		}
	}})
	f.pushAndWait(2, 1)

	code, h, body := f.httpDo("GET", "/api/v1/sources", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "application/json", h.Get("Content-Type"))
	sources, err := protocol.Decoder{Strict: true}.Sources(body)
	require.NoError(t, err)
	require.Len(t, sources.Sources, 1)
	require.Equal(t, "src", sources.Sources[0].Name)

	code, _, body = f.httpDo("GET", "/api/v1/snapshot", nil, nil)
	require.Equal(t, http.StatusOK, code)
	snap, err := protocol.Decoder{Strict: true}.Snapshot(body)
	require.NoError(t, err)
	require.Equal(t, "snapshot", snap.Type)
	require.Len(t, snap.Series, 2)
	require.NotEmpty(t, snap.Series[0].Points, "points by default")

	code, _, body = f.httpDo("GET", "/api/v1/snapshot?points=0", nil, nil)
	require.Equal(t, http.StatusOK, code)
	snap, err = protocol.Decoder{Strict: true}.Snapshot(body)
	require.NoError(t, err)
	require.Len(t, snap.Series, 2)
	require.Nil(t, snap.Series[0].Points, "?points=0 leaves history out")

	code, h, body = f.httpDo("GET", "/api/v1/snapshot?points=maybe", nil, nil)
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "points must be 1, true, 0 or false", errorBody(t, h, body), "the message lists what is accepted")
	code, _, _ = f.httpDo("GET", "/api/v1/snapshot?points=false", nil, nil)
	require.Equal(t, http.StatusOK, code)

	id := snap.Series[0].ID
	code, _, body = f.httpDo("GET", "/api/v1/series/"+id, nil, nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	one, err := protocol.Decoder{Strict: true}.Series(body)
	require.NoError(t, err)
	require.Equal(t, id, one.ID)
	require.NotEmpty(t, one.Points)

	for _, bad := range []string{"0000000000000000", "not-an-id", "%2e%2e%2fmetrics", strings.ToUpper(id)} {
		code, h, body = f.httpDo("GET", "/api/v1/series/"+bad, nil, nil)
		require.Equal(t, http.StatusNotFound, code, bad)
		require.Equal(t, "unknown series", errorBody(t, h, body))
	}
}

// GET /api/v1/alerts answers Prometheus' shape with the active alerts as
// of the latest delta.
func TestAPIAlerts(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	code, h, body := f.httpDo("GET", "/api/v1/alerts", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "application/json", h.Get("Content-Type"))
	require.JSONEq(t, `{"status":"success","data":{"alerts":[]}}`, string(body))

	v := 91.5
	f.agg.SetAlerts([]protocol.Alert{{
		ID: "00000000000000aa", Name: "HighCPU", State: protocol.AlertFiring, Severity: protocol.SeverityWarning,
		Labels: map[string]string{"alertname": "HighCPU", "severity": "warning"}, Value: &v, ActiveAt: 1_700_000_000_000,
	}})
	require.Eventually(t, func() bool {
		_, _, body = f.httpDo("GET", "/api/v1/alerts", nil, nil)
		return strings.Contains(string(body), "HighCPU")
	}, 5*time.Second, 10*time.Millisecond, "published with the next delta")
	var resp protocol.AlertsResponse
	require.NoError(t, json.Unmarshal(body, &resp))
	require.Len(t, resp.Data.Alerts, 1)
	require.Equal(t, "firing", resp.Data.Alerts[0].State)
	require.Equal(t, "9.15e+01", resp.Data.Alerts[0].Value)
	require.Equal(t, "2023-11-14T22:13:20Z", resp.Data.Alerts[0].ActiveAt.Format(time.RFC3339))
}

func TestAPIErrorsAreJSON(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	cases := []struct {
		method, path string
		code         int
		msg          string
	}{
		{"GET", "/no/such/route", http.StatusNotFound, "not found"},
		{"GET", "/api/v1/nothing", http.StatusNotFound, "not found"},
		{"DELETE", "/api/v1/sources", http.StatusMethodNotAllowed, "method not allowed"},
		{"PUT", "/api/v1/snapshot", http.StatusMethodNotAllowed, "method not allowed"},
		{"GET", "/api/v1/reload", http.StatusMethodNotAllowed, "method not allowed"},
		{"GET", "/ws", http.StatusUpgradeRequired, "WebSocket upgrade required"},
	}
	for _, tc := range cases {
		code, h, body := f.httpDo(tc.method, tc.path, nil, nil)
		require.Equal(t, tc.code, code, "%s %s: %s", tc.method, tc.path, body)
		require.Equal(t, tc.msg, errorBody(t, h, body), "%s %s", tc.method, tc.path)
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), "security headers on errors too")
	}
}

func TestAPIAdminRoutes(t *testing.T) {
	sources := &fakeSources{}
	var (
		mu      sync.Mutex
		reloads int
	)
	reloadErr := errors.New(`sources[1].interval: must be positive`)
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.AdminToken = "admin-secret"
		o.Sources = sources
		o.Reload = func(ctx context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			reloads++
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if reloads == 2 {
				return reloadErr
			}
			return nil
		}
	}})
	admin := bearerHeader("admin-secret")

	code, _, body := f.httpDo("POST", "/api/v1/sources/demo/crash", nil, admin)
	require.Equal(t, http.StatusAccepted, code, "%s", body)
	require.JSONEq(t, `{"status":"accepted","source":"demo"}`, string(body))
	require.Equal(t, []string{"demo"}, sources.crashes())

	code, h, body := f.httpDo("POST", "/api/v1/sources/nope/crash", nil, admin)
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, "unknown source", errorBody(t, h, body))

	code, h, body = f.httpDo("POST", "/api/v1/sources/resting/crash", nil, admin)
	require.Equal(t, http.StatusConflict, code)
	require.Contains(t, errorBody(t, h, body), "not running")

	code, h, body = f.httpDo("POST", "/api/v1/sources/broken/crash", nil, admin)
	require.Equal(t, http.StatusInternalServerError, code)
	require.Equal(t, "crash injection failed", errorBody(t, h, body))

	code, _, body = f.httpDo("POST", "/api/v1/reload", nil, admin)
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.JSONEq(t, `{"status":"reloaded"}`, string(body))

	code, h, body = f.httpDo("POST", "/api/v1/reload", nil, admin)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Equal(t, reloadErr.Error(), errorBody(t, h, body))
	mu.Lock()
	require.Equal(t, 2, reloads)
	mu.Unlock()
}

func TestAPIAdminRoutesUnavailable(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.AdminToken = "admin-secret" }})
	for _, path := range []string{"/api/v1/sources/demo/crash", "/api/v1/reload"} {
		code, h, body := f.httpDo("POST", path, nil, bearerHeader("admin-secret"))
		require.Equal(t, http.StatusNotImplemented, code, path)
		errorBody(t, h, body)
	}
}

func TestAPIGarbageBodies(t *testing.T) {
	sources := &fakeSources{}
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.AdminToken = "admin-secret"
		o.Sources = sources
		o.Reload = func(context.Context) error { return nil }
	}})
	admin := bearerHeader("admin-secret")
	cases := []struct {
		body string
		code int
	}{
		{"", http.StatusAccepted},
		{"{}", http.StatusAccepted},
		{`{"why":"testing"}`, http.StatusAccepted},
		{"not json", http.StatusBadRequest},
		{"[1,2,3]", http.StatusBadRequest},
		{"null", http.StatusBadRequest},
		{`{"unterminated":`, http.StatusBadRequest},
		{"\x00\xff\xfe garbage", http.StatusBadRequest},
	}
	for _, tc := range cases {
		for _, path := range []string{"/api/v1/sources/demo/crash", "/api/v1/reload"} {
			want := tc.code
			if want == http.StatusAccepted && path == "/api/v1/reload" {
				want = http.StatusOK
			}
			code, h, body := f.httpDo("POST", path, strings.NewReader(tc.body), admin)
			require.Equal(t, want, code, "%s with %.20q: %s", path, tc.body, body)
			if want >= 400 {
				errorBody(t, h, body)
			}
		}
	}
	// A body over the limit is refused from its Content-Length, before it
	// is read: ask with the headers alone, or the client would be writing
	// into a connection the server already closed.
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.base, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /api/v1/reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-secret\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", 70<<10)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	tooLarge, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	errorBody(t, resp.Header, tooLarge)

	// Authorisation comes before the body is looked at.
	code, _, _ := f.httpDo("POST", "/api/v1/reload", strings.NewReader("not json"), nil)
	require.Equal(t, http.StatusUnauthorized, code)
}

func TestHealthAndReadiness(t *testing.T) {
	var ready bool
	var warnings []string
	var mu sync.Mutex
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.Ready = func() bool { mu.Lock(); defer mu.Unlock(); return ready }
		o.Warnings = func() []string { mu.Lock(); defer mu.Unlock(); return warnings }
	}})
	code, _, body := f.httpDo("GET", "/healthz", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"status":"ok"}`, string(body))

	code, h, body := f.httpDo("GET", "/readyz", nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "not ready", errorBody(t, h, body))

	mu.Lock()
	ready = true
	mu.Unlock()
	code, _, body = f.httpDo("GET", "/readyz", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"status":"ready"}`, string(body))

	// A warning leaves the program ready and says why it is worse off.
	mu.Lock()
	warnings = []string{"storage degraded to memory-only: write /data/pulseboard.db: no space left on device"}
	mu.Unlock()
	code, _, body = f.httpDo("GET", "/readyz", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"status":"ready","warnings":["storage degraded to memory-only: write /data/pulseboard.db: no space left on device"]}`, string(body))
	mu.Lock()
	ready = false
	mu.Unlock()
	code, _, body = f.httpDo("GET", "/readyz", nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, string(body), `"warnings":[`)
}
