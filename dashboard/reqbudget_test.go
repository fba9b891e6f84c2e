package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// TestRequestBudgetPerConnection: one keep-alive connection that asks for
// more than its request budget is answered 429 with Retry-After, counted
// by route, weighted by the route's cost; another connection is not.
func TestRequestBudgetPerConnection(t *testing.T) {
	// A refill so slow that no token comes back during the test.
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.RequestRate, o.RequestBurst = 0.001, 40 }})
	f.pushAndWait(3, 1)
	limited := func(route string) float64 {
		return testutil.ToFloat64(f.srv.metrics.limited.WithLabelValues(route))
	}

	for i := range 40 {
		code, _, _ := f.httpDo(http.MethodGet, "/healthz", nil, nil)
		require.Equal(t, http.StatusOK, code, "request %d of 40 cost units", i)
	}
	code, h, body := f.httpDo(http.MethodGet, "/healthz", nil, nil)
	require.Equal(t, http.StatusTooManyRequests, code)
	require.Contains(t, errorBody(t, h, body), "request budget exceeded")
	retry, err := strconv.Atoi(h.Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q", h.Get("Retry-After"))
	require.GreaterOrEqual(t, retry, 1)
	require.Equal(t, 1.0, limited(healthzPath))
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.requests.WithLabelValues(healthzPath, "429")))

	// A fresh connection has its own budget, and a snapshot with its
	// history costs costSnapshot: two fit in 40 units, the third does not.
	f.http.CloseIdleConnections()
	for range 2 {
		code, _, body := f.httpDo(http.MethodGet, snapshotPath, nil, nil)
		require.Equal(t, http.StatusOK, code, "%s", body)
	}
	code, _, _ = f.httpDo(http.MethodGet, snapshotPath, nil, nil)
	require.Equal(t, http.StatusTooManyRequests, code)
	require.Equal(t, 1.0, limited(snapshotPath))

	// So does a range query, counted under the series route.
	f.http.CloseIdleConnections()
	for range 2 {
		code, _, _ := f.httpDo(http.MethodGet, "/api/v1/series/02aa71c4e5b39f10?from=1", nil, nil)
		require.NotEqual(t, http.StatusTooManyRequests, code)
	}
	code, _, _ = f.httpDo(http.MethodGet, "/api/v1/series/02aa71c4e5b39f10?from=1", nil, nil)
	require.Equal(t, http.StatusTooManyRequests, code)
	require.Equal(t, 1.0, limited(seriesPath))
}

// TestRequestBudgetHoldsBack: past its burst, a connection's requests are
// held back to the budget's rate and served, not refused: a loop that
// ignored a 429 would cost the server as much in refusals.
func TestRequestBudgetHoldsBack(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.RequestRate, o.RequestBurst = 10, 1 }})
	start := time.Now()
	for range 6 {
		code, _, _ := f.httpDo(http.MethodGet, "/healthz", nil, nil)
		require.Equal(t, http.StatusOK, code, "held back and served, never refused")
	}
	// The first is paid by the burst, then one each 100 ms: five holds.
	// How many requests were held depends on how fast the client sends
	// (one whose round trip took over 100 ms finds the budget paid), so
	// the count is bounded, not exact; the elapsed time is exact.
	require.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond)
	limited := testutil.ToFloat64(f.srv.metrics.limited.WithLabelValues(healthzPath))
	require.GreaterOrEqual(t, limited, 1.0)
	require.LessOrEqual(t, limited, 5.0)
	require.Equal(t, 6.0, testutil.ToFloat64(f.srv.metrics.requests.WithLabelValues(healthzPath, "200")))
}

// TestRequestCost: the route and cost each kind of request is charged.
func TestRequestCost(t *testing.T) {
	var got string
	app := fiber.New()
	app.Use(func(c *fiber.Ctx) error {
		route, cost := requestCost(c)
		got = route + " " + strconv.Itoa(cost)
		return c.SendStatus(http.StatusNoContent)
	})
	for path, want := range map[string]string{
		"/healthz":                              "/healthz 1",
		"/metrics":                              "/metrics 20",
		"/api/v1/snapshot":                      "/api/v1/snapshot 20",
		"/api/v1/snapshot?points=0":             "/api/v1/snapshot 2",
		"/api/v1/series/abc":                    "/api/v1/series/:id 2",
		"/api/v1/series/abc?from=1":             "/api/v1/series/:id 20",
		"/api/v1/series/abc?from=0&to=":         "/api/v1/series/:id 20",
		"/api/v1/sources":                       "/api/v1/sources 2",
		"/api/v1/nodes/n1/reload":               "/api/v1/nodes/:node/reload 20",
		"/app.js":                               "unmatched 1",
		"/api/v1/series/a/b":                    "unmatched 1",
		"/api/v1/reload":                        "/api/v1/reload 20",
		"/no/such/path?from=1&to=2&points=2000": "unmatched 1",
	} {
		resp, err := app.Test(httptest.NewRequest(http.MethodGet, path, nil))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, want, got, path)
	}
}

// TestRESTSnapshotSharesTheCachedBuffer: a loop of snapshot requests is
// served from the snapshot the WebSocket clients share (at most
// snapshotMaxAge old), not encoded per request: the server allocates
// about one snapshot for many answers.
func TestRESTSnapshotSharesTheCachedBuffer(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.RequestRate = -1 }}) // the loop is the point here
	for i := range 40 {
		f.pushAndWait(500, float64(i))
	}
	code, _, first := f.httpDo(http.MethodGet, snapshotPath, nil, nil)
	require.Equal(t, http.StatusOK, code)
	size := len(first)
	require.Greater(t, size, 200_000, "a snapshot large enough to see in the allocations")

	const n = 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		resp, err := f.http.Get(f.base + snapshotPath)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	// Encoded per request, the answers alone would be n × size; the cache
	// rebuilds at most once a second (twice or so over this loop).
	require.Less(t, allocated, uint64(5*size), "allocated %d bytes for %d snapshots of %d bytes", allocated, n, size)
}

// TestRangeRefusedIsNotAQuery: a range request the store refuses (400) is
// not observed as a range query.
func TestRangeRefusedIsNotAQuery(t *testing.T) {
	refuse := func(req protocol.RangeRequest) protocol.RangeAnswer {
		return protocol.RangeAnswer{Error: "from: want a time after 1970"}
	}
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.Range = refuse }})
	for range 5 {
		code, _, _ := f.httpDo(http.MethodGet, "/api/v1/series/02aa71c4e5b39f10?from=0", nil, nil)
		require.Equal(t, http.StatusBadRequest, code)
	}
	var m dto.Metric
	require.NoError(t, f.srv.metrics.rangeSeconds.Write(&m))
	require.Zero(t, m.GetHistogram().GetSampleCount(), "no range query observed")
}

// TestOneSpellingOfEachPath: the router takes a path only as the routes'
// costs spell it, so another spelling of a dear route is a cheap 404,
// never a dear answer at a cheap path's cost (trial 14, round 7).
func TestOneSpellingOfEachPath(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.pushAndWait(3, 1)
	for _, path := range []string{"/METRICS", "/metrics/", "/Api/v1/snapshot", "/api/v1/snapshot/",
		"/API/V1/SERIES/02aa71c4e5b39f10?points=2000", "/api/v1/sources/", "/HEALTHZ"} {
		code, _, _ := f.httpDo(http.MethodGet, path, nil, nil)
		require.Equal(t, http.StatusNotFound, code, path)
	}
	for _, path := range []string{"/metrics", "/api/v1/snapshot", "/api/v1/sources", "/healthz", "/"} {
		code, _, _ := f.httpDo(http.MethodGet, path, nil, nil)
		require.Equal(t, http.StatusOK, code, path)
	}
}

// TestHeldRequestWithoutServer: a request held back for the dear budget
// waits on the server's own stopping, not on the request's Done, which
// fasthttp makes panic for a request no server runs (the REST fuzzer's
// handler calls found it).
func TestHeldRequestWithoutServer(t *testing.T) {
	agg := aggregator.New(aggregator.Options{})
	srv, err := New(Options{Listen: "127.0.0.1:0", Feed: agg, DearRate: 200, DearBurst: costSnapshot})
	require.NoError(t, err)
	handler := srv.newApp(t.Context(), newHub(srv, 10)).Handler()
	for range 2 { // the second waits for the first's units
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod(fiber.MethodGet)
		ctx.Request.SetRequestURI(snapshotPath)
		ctx.Request.Header.SetHost("127.0.0.1")
		handler(&ctx)
		require.Equal(t, http.StatusOK, ctx.Response.StatusCode())
	}
	require.Equal(t, 1.0, testutil.ToFloat64(srv.metrics.dearLimited.WithLabelValues(snapshotPath, dearHeld)))
}
