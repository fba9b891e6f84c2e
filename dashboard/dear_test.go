package dashboard

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// TestAnswerSizeIsCharged (trial 14, round 6, F4): a connection pays for
// an answer's size too, one unit per answerBytesPerUnit, after the
// answer: with a burst of 99 units, two plain scrapes of a /metrics of
// 20 to 59 units spend what by the route's cost alone (20) would pay
// four, and the third is refused.
func TestAnswerSizeIsCharged(t *testing.T) {
	const n = 40_000
	f := newFixture(t, fixtureOptions{
		agg:  func(o *aggregator.Options) { o.MaxSeries, o.MaxSeriesPerSource = n, n },
		dash: func(o *Options) { o.RequestRate, o.RequestBurst, o.DearRate = 0.001, 99, -1 },
	})
	f.push(n, 1)
	f.waitStored(n)
	plain := http.Header{"Accept-Encoding": {"identity"}} // Go's client would ask for gzip
	code, _, body := f.httpDo(http.MethodGet, metricsPath, nil, plain)
	require.Equal(t, http.StatusOK, code)
	units := len(body) / answerBytesPerUnit
	require.GreaterOrEqual(t, units, costMetrics, "%d bytes", len(body))
	require.Less(t, units, 99-2*costMetrics, "%d bytes", len(body))
	require.Equal(t, float64(units), testutil.ToFloat64(f.srv.metrics.answerUnits))

	f.http.CloseIdleConnections() // a fresh connection, a full burst
	for range 2 {
		code, _, _ := f.httpDo(http.MethodGet, metricsPath, nil, plain)
		require.Equal(t, http.StatusOK, code)
	}
	code, h, _ := f.httpDo(http.MethodGet, metricsPath, nil, plain)
	require.Equal(t, http.StatusTooManyRequests, code, "the size of the answers is charged")
	require.NotEmpty(t, h.Get("Retry-After"))
}

// TestDearBudgetAcrossConnections (F4): the server's budget for dear
// requests is shared by every connection: once spent, a dear request on
// a fresh connection is answered 503 with Retry-After and counted, while
// cheap routes are served.
func TestDearBudgetAcrossConnections(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.Range = manyPoints
		o.RequestRate = -1
		o.DearRate, o.DearBurst = 0.001, 3*costRange
	}})
	const path = "/api/v1/series/02aa71c4e5b39f10?from=1"
	for i := range 3 {
		f.http.CloseIdleConnections() // a new connection each: each has its own budget
		code, _, _ := f.httpDo(http.MethodGet, path, nil, nil)
		require.Equal(t, http.StatusOK, code, "range query %d", i)
	}
	f.http.CloseIdleConnections()
	code, h, body := f.httpDo(http.MethodGet, path, nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, errorBody(t, h, body), "busy with requests of this kind")
	retry, err := strconv.Atoi(h.Get("Retry-After"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, retry, 1)
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.dearLimited.WithLabelValues(seriesPath, dearRefused)))
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.requests.WithLabelValues(seriesPath, "503")))

	code, _, _ = f.httpDo(http.MethodGet, healthzPath, nil, nil)
	require.Equal(t, http.StatusOK, code, "cheap routes are not dear")
	code, _, _ = f.httpDo(http.MethodGet, sourcesPath, nil, nil)
	require.Equal(t, http.StatusOK, code)
}

// TestDearRefusalHoldsTheConnectionBack: a connection refused by the
// server's dear budget pays for its Retry-After: its next request is held
// back about a second by its own budget, so a client that ignores
// Retry-After and loops costs a refusal a second, not one per round trip.
func TestDearRefusalHoldsTheConnectionBack(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.Range = manyPoints
		o.DearRate, o.DearBurst = 0.001, costRange
	}})
	const path = "/api/v1/series/02aa71c4e5b39f10?from=1"
	code, _, _ := f.httpDo(http.MethodGet, path, nil, nil)
	require.Equal(t, http.StatusOK, code)
	code, _, _ = f.httpDo(http.MethodGet, path, nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	start := time.Now()
	code, _, _ = f.httpDo(http.MethodGet, path, nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "held back by its own budget first")
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.limited.WithLabelValues(seriesPath)))
}

// TestDearBudgetHoldsBack: a dear request the server's budget pays within
// maxRequestDelay waits and is served, counted as held.
func TestDearBudgetHoldsBack(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.Range = manyPoints
		o.RequestRate = -1
		o.DearRate, o.DearBurst = 2*costRange, costRange // one range query each half second
	}})
	const path = "/api/v1/series/02aa71c4e5b39f10?from=1"
	for range 2 {
		code, _, _ := f.httpDo(http.MethodGet, path, nil, nil)
		require.Equal(t, http.StatusOK, code)
	}
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.dearLimited.WithLabelValues(seriesPath, dearHeld)))
}

// TestEverydayUseIsFarBelowTheBudgets: with the default budgets, five
// seconds' worth of everyday use at once (five Prometheus scrapes, one of
// them plain; a Grafana board of 30 range panels refreshed five times
// over six connections; a page with its stream and its static files) is
// neither held back nor refused anywhere.
func TestEverydayUseIsFarBelowTheBudgets(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.Range = manyPoints }})
	f.pushAndWait(500, 1)

	c := f.dial("", nil)
	defer c.conn.Close()
	c.readType("hello")
	c.readType("snapshot")
	for _, p := range []string{"/", "/healthz", sourcesPath, alertsPath} {
		code, _, _ := f.httpDo(http.MethodGet, p, nil, nil)
		require.Less(t, code, 500, p)
	}
	for i := range 5 {
		h := http.Header{"Accept-Encoding": {"gzip"}}
		if i == 0 {
			h = nil
		}
		code, _, _ := f.httpDo(http.MethodGet, metricsPath, nil, h)
		require.Equal(t, http.StatusOK, code)
	}
	var wg sync.WaitGroup
	codes := make(chan int, 150)
	for range 6 { // Grafana's connections
		client := &http.Client{Transport: &http.Transport{}}
		wg.Go(func() {
			defer client.CloseIdleConnections()
			for range 25 {
				resp, err := client.Get(f.base + "/api/v1/series/02aa71c4e5b39f10?from=1&points=2000")
				if err != nil {
					codes <- 0
					continue
				}
				resp.Body.Close()
				codes <- resp.StatusCode
			}
		})
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		require.Equal(t, http.StatusOK, code)
	}
	for _, r := range limitedRoutes {
		require.Zero(t, testutil.ToFloat64(f.srv.metrics.limited.WithLabelValues(r)), r)
	}
	for _, r := range []string{metricsPath, snapshotPath, seriesPath} {
		for _, o := range []string{dearHeld, dearRefused} {
			require.Zero(t, testutil.ToFloat64(f.srv.metrics.dearLimited.WithLabelValues(r, o)), r+" "+o)
		}
	}
}

// TestDearKindsAreSeparate: a flood of one kind of dear request spends
// its own budget only: with range queries shed, a /metrics scrape and a
// snapshot are still served.
func TestDearKindsAreSeparate(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.Range = manyPoints
		o.RequestRate = -1
		o.DearRate, o.DearBurst = 0.001, costRange
	}})
	f.pushAndWait(3, 1)
	const path = "/api/v1/series/02aa71c4e5b39f10?from=1"
	code, _, _ := f.httpDo(http.MethodGet, path, nil, nil)
	require.Equal(t, http.StatusOK, code)
	code, _, _ = f.httpDo(http.MethodGet, path, nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	code, _, _ = f.httpDo(http.MethodGet, metricsPath, nil, nil)
	require.Equal(t, http.StatusOK, code, "the scrape has a budget of its own")
	code, _, _ = f.httpDo(http.MethodGet, snapshotPath, nil, nil)
	require.Equal(t, http.StatusOK, code)
}

// TestWebSocketRangeBudget: WebSocket range requests share a server-wide
// budget of their own: once spent, a request is answered with an error
// and counted as busy, and REST range queries are still served.
func TestWebSocketRangeBudget(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.Range = manyPoints
		o.DearRate, o.DearBurst = 0.001, costRange
	}})
	f.pushAndWait(3, 1)
	c := f.dial("", nil)
	defer c.conn.Close()
	c.readType("hello")
	c.readType("snapshot")
	c.send(`{"type":"range","id":1,"series":["02aa71c4e5b39f10"],"from":1,"to":2000000}`)
	require.NotContains(t, string(c.readType("range").raw), `"error"`)
	c.send(`{"type":"range","id":2,"series":["02aa71c4e5b39f10"],"from":1,"to":2000000}`)
	require.Contains(t, string(c.readType("range").raw), "busy with range requests")
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.rangeRefused.WithLabelValues(rangeRefusedBusy)))

	code, _, _ := f.httpDo(http.MethodGet, "/api/v1/series/02aa71c4e5b39f10?from=1", nil, nil)
	require.Equal(t, http.StatusOK, code, "the REST range queries' budget is another")
}

// TestWebSocketRangeCost: a WebSocket range request costs the route's
// units plus one per 2,000 points it may answer.
func TestWebSocketRangeCost(t *testing.T) {
	ids := func(n int) []string { return make([]string, n) }
	require.Equal(t, costRange, wsRangeCost(protocol.RangeRequest{Series: ids(1), Points: 100}))
	require.Equal(t, costRange+1, wsRangeCost(protocol.RangeRequest{Series: ids(1)}), "0 points: the most")
	require.Equal(t, costRange+50, wsRangeCost(protocol.RangeRequest{Series: ids(150), Points: 2000}), "cut to maxRangeAnswerPoints")
}
