package dashboard

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

const (
	viewerSecret = "viewer-secret"
	adminSecret  = "admin-secret"
)

func authFixture(t *testing.T) *fixture {
	return newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.ViewerToken = viewerSecret
		o.AdminToken = adminSecret
		o.Reload = func(context.Context) error { return nil }
	}})
}

// TestAuthMatrix checks every kind of credential against every kind of route.
func TestAuthMatrix(t *testing.T) {
	f := authFixture(t)
	creds := []struct {
		name, token string
	}{{"none", ""}, {"wrong", "not-a-token"}, {"viewer", viewerSecret}, {"admin", adminSecret}}
	routes := []struct {
		name, method, path string
		want               map[string]int
	}{
		{"viewer route", "GET", "/api/v1/sources",
			map[string]int{"none": 401, "wrong": 401, "viewer": 200, "admin": 200}},
		{"alerts", "GET", "/api/v1/alerts",
			map[string]int{"none": 401, "wrong": 401, "viewer": 200, "admin": 200}},
		{"metrics", "GET", "/metrics",
			map[string]int{"none": 401, "wrong": 401, "viewer": 200, "admin": 200}},
		{"page", "GET", "/",
			map[string]int{"none": 401, "wrong": 401, "viewer": 200, "admin": 200}},
		{"admin route", "POST", "/api/v1/reload",
			map[string]int{"none": 401, "wrong": 401, "viewer": 403, "admin": 200}},
		{"admin check", "GET", "/api/v1/auth/admin",
			map[string]int{"none": 401, "wrong": 401, "viewer": 403, "admin": 204}},
		{"healthz", "GET", "/healthz",
			map[string]int{"none": 200, "wrong": 200, "viewer": 200, "admin": 200}},
	}
	for _, r := range routes {
		for _, c := range creds {
			code, h, body := f.httpDo(r.method, r.path, nil, bearerHeader(c.token))
			require.Equal(t, r.want[c.name], code, "%s with %s token: %s", r.name, c.name, body)
			if code == http.StatusUnauthorized {
				require.Contains(t, h.Get("WWW-Authenticate"), "Bearer")
				errorBody(t, h, body)
			}
		}
	}
	wsWant := map[string]int{"none": 401, "wrong": 401, "viewer": 101, "admin": 101}
	for _, c := range creds {
		conn, err := f.tryDial("", bearerHeader(c.token))
		if wsWant[c.name] == 101 {
			require.NoError(t, err, "ws with %s token", c.name)
			conn.readType("hello")
			continue
		}
		require.ErrorContains(t, err, "status 401", "ws with %s token", c.name)
	}
	require.Equal(t, 2.0, testutil.ToFloat64(f.srv.metrics.refused.WithLabelValues(refusedAuth)))
}

// TestAuthBrowserForms covers the credentials a browser can carry: the
// query on the page and the WebSocket, and the cookie the page sets.
func TestAuthBrowserForms(t *testing.T) {
	f := authFixture(t)

	// A query token is only taken where a browser cannot send a header.
	code, _, _ := f.httpDo("GET", "/api/v1/sources?token="+viewerSecret, nil, nil)
	require.Equal(t, http.StatusUnauthorized, code)
	code, _, _ = f.httpDo("POST", "/api/v1/reload?admin="+adminSecret, nil, nil)
	require.Equal(t, http.StatusUnauthorized, code)
	code, _, _ = f.httpDo("GET", "/?token=wrong", nil, nil)
	require.Equal(t, http.StatusUnauthorized, code)

	for _, q := range []string{"token=" + viewerSecret, "admin=" + adminSecret} {
		code, h, _ := f.httpDo("GET", "/?"+q, nil, nil)
		require.Equal(t, http.StatusOK, code, q)
		cookie := h.Get("Set-Cookie")
		require.Contains(t, cookie, viewerCookie+"="+viewerSecret, "the cookie holds the viewer token, never the admin one")
		require.Contains(t, strings.ToLower(cookie), "httponly")
		require.Contains(t, strings.ToLower(cookie), "samesite=strict")
	}

	withCookie := http.Header{"Cookie": {viewerCookie + "=" + viewerSecret}}
	code, _, _ = f.httpDo("GET", "/", nil, withCookie)
	require.Equal(t, http.StatusOK, code)
	code, _, _ = f.httpDo("GET", "/api/v1/snapshot", nil, withCookie)
	require.Equal(t, http.StatusOK, code)
	// The cookie is a viewer credential only: admin routes want the header.
	code, _, _ = f.httpDo("POST", "/api/v1/reload", nil, withCookie)
	require.Equal(t, http.StatusForbidden, code)
	code, _, _ = f.httpDo("GET", "/api/v1/sources", nil, http.Header{"Cookie": {viewerCookie + "=forged"}})
	require.Equal(t, http.StatusUnauthorized, code)

	f.dial("token="+viewerSecret, nil).readType("hello")
	f.dial("", withCookie).readType("hello")
	_, err := f.tryDial("token=wrong", nil)
	require.ErrorContains(t, err, "status 401")
}

func TestNoViewerTokenMeansOpenReading(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.Reload = func(context.Context) error { return nil }
	}})
	code, _, _ := f.httpDo("GET", "/api/v1/sources", nil, nil)
	require.Equal(t, http.StatusOK, code)
	f.dial("", nil).readType("hello")

	// Admin routes still need the generated token.
	token := f.srv.AdminToken()
	require.Len(t, token, 2*tokenBytes)
	code, _, _ = f.httpDo("POST", "/api/v1/reload", nil, nil)
	require.Equal(t, http.StatusUnauthorized, code)
	code, _, _ = f.httpDo("POST", "/api/v1/reload", nil, bearerHeader(token))
	require.Equal(t, http.StatusOK, code)
}

func TestGeneratedAdminTokensDiffer(t *testing.T) {
	a, err := generateToken()
	require.NoError(t, err)
	b, err := generateToken()
	require.NoError(t, err)
	require.Len(t, a, 64)
	require.NotEqual(t, a, b)
}

func TestTokenGrant(t *testing.T) {
	tk := newTokens(viewerSecret, adminSecret)
	require.Equal(t, accessAdmin, tk.grant(adminSecret))
	require.Equal(t, accessViewer, tk.grant(viewerSecret))
	require.Equal(t, accessNone, tk.grant(""))
	require.Equal(t, accessNone, tk.grant(viewerSecret+"x"))
	require.Equal(t, accessNone, tk.grant(adminSecret[:5]))

	// Without a viewer token, an empty presented token must not match it.
	open := newTokens("", adminSecret)
	require.Equal(t, accessNone, open.grant(""))
	require.Equal(t, accessNone, open.grant("anything"))
}

func TestOriginRules(t *testing.T) {
	o := newOrigins([]string{"https://ops.example.com", "http://localhost:3000/"})
	cases := []struct {
		origin, host string
		allow        bool
	}{
		{"", "127.0.0.1:8080", true}, // not a browser
		{"http://127.0.0.1:8080", "127.0.0.1:8080", true},
		{"http://LOCALHOST:8080", "localhost:8080", true},
		{"http://example.com", "example.com:80", true},
		{"https://example.com", "example.com:443", true},
		{"https://ops.example.com", "127.0.0.1:8080", true},
		{"http://localhost:3000", "127.0.0.1:8080", true},
		{"http://evil.example", "127.0.0.1:8080", false},
		{"http://127.0.0.1:9999", "127.0.0.1:8080", false},
		{"https://127.0.0.1:8080.evil.example", "127.0.0.1:8080", false},
		{"http://ops.example.com", "127.0.0.1:8080", false}, // scheme differs from the allowed one
		{"null", "127.0.0.1:8080", false},
		{"file://", "127.0.0.1:8080", false},
		{"http://127.0.0.1:8080", "", false},
	}
	for _, c := range cases {
		require.Equal(t, c.allow, o.allow(c.origin, c.host), "origin %q host %q", c.origin, c.host)
	}
}

func TestForeignOriginRefused(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.AllowedOrigins = []string{"https://ops.example.com"}
	}})
	_, err := f.tryDial("", http.Header{"Origin": {"http://evil.example"}})
	require.ErrorContains(t, err, "status 403")
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.refused.WithLabelValues(refusedOrigin)))

	f.dial("", http.Header{"Origin": {"https://ops.example.com"}}).readType("hello")
	f.dial("", http.Header{"Origin": {f.base}}).readType("hello")
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.refused.WithLabelValues(refusedOrigin)))
}

// TestAdminCheck covers the route the page asks whether it holds a good
// admin token: an empty 204 for it, the refusals of every admin route
// otherwise, each counted by code, and the token echoed nowhere.
func TestAdminCheck(t *testing.T) {
	f := authFixture(t)
	code, h, body := f.httpDo("GET", adminPath, nil, bearerHeader(adminSecret))
	require.Equal(t, http.StatusNoContent, code)
	require.Empty(t, body)
	require.Equal(t, "no-store", h.Get("Cache-Control"))

	for _, tok := range []string{"wrongtoken123", viewerSecret} {
		code, h, body = f.httpDo("GET", adminPath, nil, bearerHeader(tok))
		require.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, code)
		require.NotContains(t, string(body), tok)
		for k, vs := range h {
			require.NotContains(t, strings.Join(vs, " "), tok, "header %s", k)
		}
	}
	// A query token is not a bearer header: refused, as on every admin route.
	code, _, _ = f.httpDo("GET", adminPath+"?admin="+adminSecret, nil, nil)
	require.Equal(t, http.StatusUnauthorized, code)

	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.requests.WithLabelValues(adminPath, "204")))
	require.Equal(t, 2.0, testutil.ToFloat64(f.srv.metrics.requests.WithLabelValues(adminPath, "401")))
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.requests.WithLabelValues(adminPath, "403")))
}
