package collectors

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// testServer serves the behaviours every HTTP source is tested against.
// It records the headers of the last request.
type testServer struct {
	*httptest.Server
	mu     sync.Mutex
	header http.Header
	method string
}

func newTestServer(t *testing.T, tls bool) *testServer {
	t.Helper()
	ts := &testServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hello"))
	})
	mux.HandleFunc("/404", http.NotFound)
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		// Headers and a first byte at once, then nothing until the client
		// gives up: a body that never ends.
		_, _ = w.Write([]byte("#"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	// Headers past MaxResponseHeaderBytes: many small ones, or one large.
	mux.HandleFunc("/manyheaders", func(w http.ResponseWriter, r *http.Request) {
		for i := range 8000 {
			w.Header().Set("X-H"+strconv.Itoa(i), "v")
		}
		_, _ = w.Write([]byte("up 1\n"))
	})
	mux.HandleFunc("/bigheader", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Big", strings.Repeat("v", MaxResponseHeaderBytes))
		_, _ = w.Write([]byte("up 1\n"))
	})
	mux.HandleFunc("/fewheaders", func(w http.ResponseWriter, r *http.Request) {
		for i := range 100 { // about 3 KiB: any real exporter, proxy cookies included
			w.Header().Set("X-H"+strconv.Itoa(i), strings.Repeat("v", 20))
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte("up 1\n"))
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", 4096)))
	})
	mux.HandleFunc("/redirect/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/redirect/"))
		if n <= 0 {
			http.Redirect(w, r, "/ok", http.StatusFound)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/redirect/%d", n-1), http.StatusFound)
	})
	serve := func(body, contentType string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			_, _ = w.Write([]byte(body))
		}
	}
	mux.HandleFunc("/garbage", serve("\x00\x01{{{ not json, not metrics <html>", "text/plain"))
	mux.HandleFunc("/metrics", serve(promFixture(t, "small.prom"), "text/plain; version=0.0.4"))
	mux.HandleFunc("/node", serve(promFixture(t, "node_exporter.prom"), "text/plain; version=0.0.4"))
	mux.HandleFunc("/nan.prom", serve("# TYPE a gauge\na NaN\n# TYPE b gauge\nb +Inf\n", "text/plain"))
	mux.HandleFunc("/stats", serve(jsonFixture(t), "application/json"))
	mux.HandleFunc("/nan.json", serve(`{"a":"NaN","b":"+Inf","c":1e999}`, "application/json"))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.header, ts.method = r.Header.Clone(), r.Method
		ts.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
	ts.Server = httptest.NewUnstartedServer(handler)
	// Handshakes refused on purpose are not worth a line in the test log.
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return ts
}

func (ts *testServer) lastRequest() (http.Header, string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.header, ts.method
}

// refusedURL is the address of a listener that was closed: connecting to
// it is refused.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr + "/"
}

func pollWith(t *testing.T, cfg configs.Source, env Env, timeout time.Duration) ([]aggregator.Sample, error) {
	t.Helper()
	src, err := NewSource(cfg, env)
	require.NoError(t, err)
	t.Cleanup(func() { closeSource(src, env.logger(), nil) })
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return src.Poll(ctx)
}

func TestHTTPProbeUp(t *testing.T) {
	srv := newTestServer(t, false)
	cfg := urlSource(configs.TypeHTTP, srv.URL+"/ok")
	client(cfg).Headers = map[string]string{"X-Probe": "yes"}
	samples, err := pollWith(t, cfg, testEnv(nil), 5*time.Second)
	require.NoError(t, err)
	m := byMetric(samples)
	require.Equal(t, 1.0, m["http_up{}"].Value)
	require.Equal(t, 200.0, m["http_status_code{}"].Value)
	require.Equal(t, 5.0, m["http_response_size_bytes{}"].Value)
	require.Greater(t, m["http_duration_seconds{}"].Value, 0.0)
	require.NotContains(t, m, "http_tls_cert_expiry_seconds{}", "plain http has no certificate")
	for _, s := range samples {
		require.Equal(t, fixedNow.UnixMilli(), s.TimeMs)
		require.Equal(t, aggregator.KindGauge, s.Kind)
	}
	h, method := srv.lastRequest()
	require.Equal(t, "pulseboard/test", h.Get("User-Agent"))
	require.Equal(t, "yes", h.Get("X-Probe"))
	require.Equal(t, http.MethodGet, method)
}

func TestHTTPProbeMethod(t *testing.T) {
	srv := newTestServer(t, false)
	cfg := urlSource(configs.TypeHTTP, srv.URL+"/ok")
	httpSpec(cfg).Method = "HEAD"
	_, err := pollWith(t, cfg, testEnv(nil), 5*time.Second)
	require.NoError(t, err)
	_, method := srv.lastRequest()
	require.Equal(t, http.MethodHead, method)
}

func TestHTTPProbeFailures(t *testing.T) {
	srv := newTestServer(t, false)
	cases := []struct {
		name, url string
		maxBody   int64
		timeout   time.Duration
		is        error
		text      string
		status    float64 // 0: no status sample
	}{
		{name: "404", url: srv.URL + "/404", is: ErrStatus, text: "unexpected status 404 Not Found (want 2xx)", status: 404},
		{name: "500", url: srv.URL + "/500", is: ErrStatus, text: "unexpected status 500 Internal Server Error", status: 500},
		{name: "refused", url: refusedURL(t), text: "connection refused"},
		{name: "slow body", url: srv.URL + "/slow", timeout: 200 * time.Millisecond, is: ErrTimeout, text: "timed out", status: 200},
		{name: "huge body", url: srv.URL + "/huge", maxBody: 1000, is: ErrBodyTooLarge, text: "body exceeds 1000 bytes", status: 200},
		{name: "too many redirects", url: srv.URL + "/redirect/11", text: "stopped after 10 redirects"},
		{name: "many headers", url: srv.URL + "/manyheaders", text: "server response headers exceeded 65536 bytes"},
		{name: "one huge header", url: srv.URL + "/bigheader", text: "server response headers exceeded 65536 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := urlSource(configs.TypeHTTP, tc.url)
			if tc.maxBody > 0 {
				client(cfg).MaxBodyBytes = tc.maxBody
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			samples, err := pollWith(t, cfg, testEnv(nil), timeout)
			require.Error(t, err)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			require.ErrorContains(t, err, tc.text)
			require.ErrorContains(t, err, "GET http://127.0.0.1:", "the error names the request")
			m := byMetric(samples)
			require.Equal(t, 0.0, m["http_up{}"].Value, "a failed probe reports down")
			require.Contains(t, m, "http_up{}")
			require.Contains(t, m, "http_duration_seconds{}")
			if tc.status > 0 {
				require.Equal(t, tc.status, m["http_status_code{}"].Value)
			} else {
				require.NotContains(t, m, "http_status_code{}")
			}
		})
	}
}

func TestHTTPProbeRedirects(t *testing.T) {
	srv := newTestServer(t, false)

	cfg := urlSource(configs.TypeHTTP, srv.URL+"/redirect/3")
	samples, err := pollWith(t, cfg, testEnv(nil), 5*time.Second)
	require.NoError(t, err, "3 redirects are followed")
	require.Equal(t, 200.0, byMetric(samples)["http_status_code{}"].Value)

	cfg = urlSource(configs.TypeHTTP, srv.URL+"/redirect/10")
	_, err = pollWith(t, cfg, testEnv(nil), 5*time.Second)
	require.Error(t, err, "redirect/10 is 11 hops to /ok: one too many")

	no := false
	cfg = urlSource(configs.TypeHTTP, srv.URL+"/redirect/3")
	httpSpec(cfg).FollowRedirects = &no
	samples, err = pollWith(t, cfg, testEnv(nil), 5*time.Second)
	require.ErrorIs(t, err, ErrStatus, "not following, the 302 itself is judged")
	require.Equal(t, 302.0, byMetric(samples)["http_status_code{}"].Value)

	httpSpec(cfg).ExpectStatus = []int{301, 302}
	samples, err = pollWith(t, cfg, testEnv(nil), 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, 1.0, byMetric(samples)["http_up{}"].Value)

	cfg = urlSource(configs.TypeHTTP, srv.URL+"/ok")
	httpSpec(cfg).ExpectStatus = []int{204}
	_, err = pollWith(t, cfg, testEnv(nil), 5*time.Second)
	require.ErrorContains(t, err, "200 OK (want one of 204)")
}

func TestHTTPProbeTLSCertExpiry(t *testing.T) {
	srv := newTestServer(t, true)
	samples, err := pollWith(t, urlSource(configs.TypeHTTP, srv.URL+"/ok"), testEnv(srv.Server), 5*time.Second)
	require.NoError(t, err)
	want := srv.Certificate().NotAfter.Sub(fixedNow).Seconds()
	got := byMetric(samples)["http_tls_cert_expiry_seconds{}"]
	require.Equal(t, want, got.Value)

	// Without the test CA the handshake fails: down, with the reason.
	samples, err = pollWith(t, urlSource(configs.TypeHTTP, srv.URL+"/ok"), testEnv(nil), 5*time.Second)
	require.ErrorContains(t, err, "certificate")
	require.Equal(t, 0.0, byMetric(samples)["http_up{}"].Value)
}

func TestHTTPErrorsHideCredentials(t *testing.T) {
	srv := newTestServer(t, false)
	u := strings.Replace(srv.URL, "http://", "http://alice:s3cret@", 1) + "/404?token=t0ken&page=2"
	for _, typ := range []string{configs.TypeHTTP, configs.TypePrometheus, configs.TypeJSON} {
		cfg := urlSource(typ, u)
		client(cfg).Headers = map[string]string{"Authorization": "Bearer hdr-s3cret"}
		src, err := NewSource(cfg, testEnv(nil))
		require.NoError(t, err)
		_, err = src.Poll(context.Background())
		closeSource(src, testEnv(nil).logger(), nil)
		require.ErrorIs(t, err, ErrStatus, typ)
		for _, secret := range []string{"alice", "s3cret", "t0ken", "hdr-s3cret"} {
			require.NotContains(t, err.Error(), secret, typ)
			require.NotContains(t, src.(Describer).Describe(), secret, typ)
		}
		require.Contains(t, err.Error(), "GET http://xxxxx:xxxxx@"+strings.TrimPrefix(srv.URL, "http://")+"/404?token=xxxxx&page=xxxxx", typ)
		h, _ := srv.lastRequest()
		require.Equal(t, "Bearer hdr-s3cret", h.Get("Authorization"), "the header is still sent")
	}
}

func TestHTTPBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*configs.Source)
	}{
		{"no url", func(c *configs.Source) { client(*c).URL = "" }},
		{"ftp", func(c *configs.Source) { client(*c).URL = "ftp://example.com/" }},
		{"unparsable", func(c *configs.Source) { client(*c).URL = "http://a b:c@[::1/" }},
		{"method", func(c *configs.Source) { httpSpec(*c).Method = "GE T" }},
		{"status", func(c *configs.Source) { httpSpec(*c).ExpectStatus = []int{99} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := urlSource(configs.TypeHTTP, "http://127.0.0.1/")
			tc.mod(&cfg)
			_, err := NewSource(cfg, Env{})
			require.ErrorIs(t, err, ErrBadConfig)
			require.NotContains(t, err.Error(), "a b:c", "a URL that does not parse is not quoted")
		})
	}
}

// TestResponseHeadersBoundedForEveryHTTPKind: the header bound holds for
// every source that reads an answer (they share one fetch), and an answer
// with ordinary headers is read as before.
func TestResponseHeadersBoundedForEveryHTTPKind(t *testing.T) {
	srv := newTestServer(t, false)
	for _, typ := range []string{configs.TypeHTTP, configs.TypePrometheus, configs.TypeJSON} {
		t.Run(typ, func(t *testing.T) {
			_, err := pollWith(t, urlSource(typ, srv.URL+"/manyheaders"), testEnv(nil), 5*time.Second)
			require.ErrorContains(t, err, "server response headers exceeded 65536 bytes")
			if typ == configs.TypePrometheus {
				samples, err := pollWith(t, urlSource(typ, srv.URL+"/fewheaders"), testEnv(nil), 5*time.Second)
				require.NoError(t, err)
				require.Len(t, samples, 1)
			}
		})
	}
}
