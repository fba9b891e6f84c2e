package dashboard

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"

	"github.com/pulseboard/pulseboard/aggregator"
)

func TestHostPolicyDefaults(t *testing.T) {
	host := func() (string, error) { return "Build-Box", nil }
	cases := []struct {
		listen  string
		extra   []string
		allowed []string
		refused []string
	}{
		{
			listen: "127.0.0.1",
			allowed: []string{"127.0.0.1", "127.0.0.1:8080", "localhost:8080", "LOCALHOST.", "app.localhost:1",
				"[::1]:8080", "[::1]", "10.1.2.3:80", "127.0.0.1:65535"},
			refused: []string{"evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example",
				"build-box:8080", "", ":8080", "[::1", "[::1]x", "[127.0.0.1]:80", "localhost:http", "localhost:1234567", "127.0.0.1:99999", "[::1]:65536",
				"a..localhost", ".localhost", "::1"},
		},
		{
			listen:  "dash.lan",
			allowed: []string{"dash.lan:8080", "DASH.LAN"},
			refused: []string{"build-box", "x.dash.lan"},
		},
		{
			listen:  "0.0.0.0",
			allowed: []string{"build-box:8080", "192.168.1.20:8080"},
			refused: []string{"evil.example"},
		},
		{
			listen:  "",
			allowed: []string{"build-box"},
		},
		{
			listen:  "::",
			extra:   []string{"ops.example.com", "*.corp.example"},
			allowed: []string{"build-box", "ops.example.com:443", "a.corp.example", "b.a.corp.example:9"},
			refused: []string{"corp.example", "xops.example.com", "evil.example"},
		},
		{
			listen:  "127.0.0.1",
			extra:   []string{"*"},
			allowed: []string{"evil.example", "anything:1"},
		},
	}
	for _, tc := range cases {
		p, err := newHostPolicy(tc.listen, tc.extra, host)
		require.NoError(t, err)
		for _, h := range tc.allowed {
			require.True(t, p.allow(h), "listen %q: Host %q should be allowed", tc.listen, h)
		}
		for _, h := range tc.refused {
			require.False(t, p.allow(h), "listen %q: Host %q should be refused", tc.listen, h)
		}
	}

	// The machine's name is left out when it cannot be read.
	p, err := newHostPolicy("0.0.0.0", nil, func() (string, error) { return "", errors.New("no name") })
	require.NoError(t, err)
	require.False(t, p.allow("build-box"))
}

func TestHostPolicyRejectsBadEntries(t *testing.T) {
	for _, e := range []string{"", "host:8080", "http://host", "a/b", "*.", "a.*.b", "*x.com", "..", "[::1]"} {
		_, err := newHostPolicy("127.0.0.1", []string{e}, osHostname)
		require.ErrorIs(t, err, errBadHost, "entry %q", e)
		_, err = New(Options{Feed: aggregator.New(aggregator.Options{}), AllowedHosts: []string{e}})
		require.ErrorIs(t, err, ErrInvalidOptions, "entry %q", e)
	}
}

// rawGet sends one request with exactly this Host header (Go's client
// cannot send an empty or malformed one) and returns the status code.
func rawGet(t *testing.T, addr, path, host string, header http.Header) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", path, host)
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	if header.Get("Connection") == "" {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	_, err = conn.Write([]byte(b.String()))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// TestHostMatrix: every route, the WebSocket, the static files, /metrics
// and /healthz included, answers allowed Hosts and refuses the others with
// 421, counted.
func TestHostMatrix(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.AllowedHosts = []string{"dash.example.com"} }})
	addr := strings.TrimPrefix(f.base, "http://")
	_, port, _ := net.SplitHostPort(addr)
	wsHeader := func(origin string) http.Header {
		h := http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Version": {"13"},
			"Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}}
		if origin != "" {
			h["Origin"] = []string{origin}
		}
		return h
	}
	routes := []struct {
		path   string
		header http.Header
		ok     int // the status with an allowed Host
	}{
		{"/", nil, http.StatusOK},
		{"/index.html", nil, http.StatusOK},
		{"/favicon.svg", nil, http.StatusOK},
		{"/metrics", nil, http.StatusOK},
		{"/healthz", nil, http.StatusOK},
		{"/readyz", nil, http.StatusOK},
		{"/api/v1/sources", nil, http.StatusOK},
		{"/api/v1/snapshot?points=0", nil, http.StatusOK},
		{"/api/v1/series/0000000000000000", nil, http.StatusNotFound},
		{"/no/such/route", nil, http.StatusNotFound},
		{"/ws", wsHeader(""), http.StatusSwitchingProtocols},
	}
	allowed := []string{addr, "localhost:" + port, "[::1]:" + port, "LocalHost.:" + port, "dash.example.com", "dash.example.com:" + port}
	refused := []string{"evil.example:" + port, "evil.example", "127.0.0.1.evil.example:" + port,
		"localhost.evil.example", "evil.example.", "EVIL.example:" + port,
		"evil.example@127.0.0.1", "evil.example@127.0.0.1:" + port, "a@b@localhost",
		"local_host!:" + port}
	refusedBefore := testutil.ToFloat64(f.srv.metrics.hostRefused)
	for _, r := range routes {
		for _, h := range allowed {
			require.Equal(t, r.ok, rawGet(t, addr, r.path, h, r.header), "%s with Host %q", r.path, h)
		}
		for _, h := range refused {
			require.Equal(t, http.StatusMisdirectedRequest, rawGet(t, addr, r.path, h, r.header), "%s with Host %q", r.path, h)
		}
	}
	require.Equal(t, refusedBefore+float64(len(routes)*len(refused)), testutil.ToFloat64(f.srv.metrics.hostRefused))
	require.Equal(t, float64(len(routes)*len(refused)),
		testutil.ToFloat64(f.srv.metrics.requests.WithLabelValues("unmatched", "421")))
	// An empty Host never reaches a route: fasthttp answers 400 itself.
	require.Equal(t, http.StatusBadRequest, rawGet(t, addr, "/healthz", "", nil))

	// DNS rebinding against the WebSocket: the page's "own" origin on the
	// attacker's name no longer passes.
	evil := "evil.example:" + port
	require.Equal(t, http.StatusMisdirectedRequest, rawGet(t, addr, "/ws", evil, wsHeader("http://"+evil)))
	// Its origin on an allowed Host is a foreign origin: 403.
	require.Equal(t, http.StatusForbidden, rawGet(t, addr, "/ws", addr, wsHeader("http://"+evil)))
	require.Equal(t, http.StatusSwitchingProtocols, rawGet(t, addr, "/ws", addr, wsHeader("http://"+addr)))
}

// TestHostAbsoluteForm: a request line in absolute form names the host
// the request is for (RFC 9112 3.2.2), and that host is checked as the
// Host header is, whatever the Host header says.
func TestHostAbsoluteForm(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	addr := strings.TrimPrefix(f.base, "http://")
	_, port, _ := net.SplitHostPort(addr)
	local := "localhost:" + port
	for target, want := range map[string]int{
		"http://" + local + "/api/v1/sources":          http.StatusOK,
		"https://" + addr + "/api/v1/sources":          http.StatusOK,
		"http://evil.example/api/v1/sources":           http.StatusMisdirectedRequest,
		"HTTP://EVIL.example:" + port + "/healthz":     http.StatusMisdirectedRequest,
		"http://evil.example?x=/healthz":               http.StatusMisdirectedRequest,
		"http://evil.example@" + local + "/healthz":    http.StatusMisdirectedRequest,
		"http:///healthz":                              http.StatusMisdirectedRequest,
		"evil.example/healthz?x=http://" + local + "/": http.StatusBadRequest, // fasthttp refuses it first
		"x y://" + local + "/healthz":                  http.StatusBadRequest, // not a request line fasthttp reads
	} {
		before := testutil.ToFloat64(f.srv.metrics.hostRefused)
		require.Equal(t, want, rawGet(t, addr, target, local, nil), "GET %s", target)
		counted := 0.0
		if want == http.StatusMisdirectedRequest {
			counted = 1
		}
		require.Equal(t, before+counted, testutil.ToFloat64(f.srv.metrics.hostRefused), "GET %s", target)
	}
	// The Host header is still checked beside the authority.
	require.Equal(t, http.StatusMisdirectedRequest, rawGet(t, addr, "http://"+local+"/healthz", "evil.example", nil))
}

func TestRequestAuthority(t *testing.T) {
	for target, want := range map[string]struct {
		authority string
		absolute  bool
	}{
		"/":                        {"", false},
		"/a?b=http://evil.example": {"", false},
		"*":                        {"", false},
		"http://h:1/p":             {"h:1", true},
		"ws+x.1-2://h?q":           {"h", true},
		"http://u@h#f":             {"u@h", true},
		"h/p?u=http://localhost/":  {"", true},
		"1http://localhost/":       {"", true},
		"mailto:x@localhost":       {"", true},
		"":                         {"", false},
	} {
		a, abs := requestAuthority(target)
		require.Equal(t, want.authority, a, target)
		require.Equal(t, want.absolute, abs, target)
	}
}

// TestQueryTokenOnlyOnPageAndWebSocket: ?token= and ?admin= open "/" and
// /ws, and nothing else (docs/design-notes.md).
func TestQueryTokenOnlyOnPageAndWebSocket(t *testing.T) {
	const viewer, admin = "viewer-secret", "admin-secret"
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.ViewerToken, o.AdminToken = viewer, admin }})
	for _, q := range []string{"token=" + viewer, "admin=" + admin} {
		code, _, _ := f.httpDo(http.MethodGet, "/?"+q, nil, nil)
		require.Equal(t, http.StatusOK, code, "/?%s", q)
		for _, p := range []string{"/index.html", "/favicon.svg", "/js/protocol.js", "/metrics", "/readyz", "/api/v1/sources"} {
			code, _, _ := f.httpDo(http.MethodGet, p+"?"+q, nil, nil)
			require.Equal(t, http.StatusUnauthorized, code, "%s?%s", p, q)
			code, _, _ = f.httpDo(http.MethodGet, p, nil, bearerHeader(viewer))
			require.Equal(t, http.StatusOK, code, "%s with the bearer header", p)
		}
		c := f.dial(q, nil)
		c.readType("hello")
	}
}

func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	return conn
}

// TestMalformedRequestsCounted: the requests fasthttp refuses before any
// route (an empty Host, a Host with a port that is no number, two Hosts,
// a garbled request line, oversized headers) keep their status and are
// counted by reason.
func TestMalformedRequestsCounted(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	addr := strings.TrimPrefix(f.base, "http://")
	malformed := f.srv.metrics.malformed.WithLabelValues(malformedRequest)
	for _, tc := range []struct {
		name, target, host string
		header             http.Header
	}{
		{"empty Host", "/healthz", "", nil},
		{"port not a number", "/healthz", "localhost:other", nil},
		{"two Hosts", "/healthz", "localhost", http.Header{"Host": {"localhost"}}},
		{"garbled request line", "evil.example/healthz?x=http://localhost/", "localhost", nil},
	} {
		before := testutil.ToFloat64(malformed)
		require.Equal(t, http.StatusBadRequest, rawGet(t, addr, tc.target, tc.host, tc.header), tc.name)
		require.Equal(t, before+1, testutil.ToFloat64(malformed), tc.name)
	}
	big := http.Header{"X-Big": {strings.Repeat("x", headerLimit)}}
	require.Equal(t, http.StatusRequestHeaderFieldsTooLarge, rawGet(t, addr, "/healthz", "localhost", big))
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.malformed.WithLabelValues(malformedHeaderSize)))
}

func TestMalformedReason(t *testing.T) {
	for want, err := range map[string]error{
		malformedRequest:    errors.New("fasthttp: unexpected host"),
		malformedHeaderSize: &fasthttp.ErrSmallBuffer{},
		malformedBodySize:   fmt.Errorf("reading: %w", fasthttp.ErrBodyTooLarge),
		malformedTimeout:    &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded},
		malformedReadError:  &net.OpError{Op: "read", Err: syscall.ECONNRESET},
	} {
		require.Equal(t, want, malformedReason(err), "%v", err)
	}
}
