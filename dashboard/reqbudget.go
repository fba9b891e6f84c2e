package dashboard

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// Request costs, in the units of Options.RequestRate: about what one
// request of the route makes the server spend, relative to /healthz. The
// dear ones build or write a large body (a snapshot is megabytes with its
// history, a range answer up to maxRangeAnswerPoints points, /metrics one
// line per series) or read the disk.
const (
	costCheap    = 1  // /healthz, /readyz, the page's files, 404s, the WebSocket handshake
	costList     = 2  // sources, alerts, nodes, one series, a snapshot without points
	costMetrics  = 20 // a /metrics scrape: one gather and one line per series
	costSnapshot = 20 // a snapshot with every series' history
	costRange    = 20 // a range query: may read and decode stored blocks
	costReload   = 20 // a configuration reload
)

// newRequestBudget is one connection's request budget (Options.RequestRate
// and RequestBurst); budgetListener makes one per accepted connection.
func newRequestBudget(r float64, burst int) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(r), burst)
}

// requestCost names the route a request is for (the pattern
// pulseboard_http_requests_total counts it under, "unmatched" for none)
// and what it costs. It runs before Fiber's routing, so it matches the
// paths itself; a path it does not know costs costCheap.
func requestCost(c *fiber.Ctx) (string, int) {
	path := c.Path()
	switch path {
	case healthzPath, readyzPath, wsPath:
		return path, costCheap
	case metricsPath:
		return path, costMetrics
	case snapshotPath:
		switch c.Query("points") {
		case "0", "false":
			return path, costList
		}
		return path, costSnapshot
	case sourcesPath, alertsPath, nodesPath:
		return path, costList
	case reloadPath:
		return path, costReload
	}
	if id, ok := strings.CutPrefix(path, "/api/v1/series/"); ok && id != "" && !strings.Contains(id, "/") {
		args := c.Context().QueryArgs()
		for _, k := range []string{"from", "to", "step", "points"} {
			if args.Has(k) {
				return seriesPath, costRange
			}
		}
		return seriesPath, costList
	}
	if strings.HasPrefix(path, "/api/v1/nodes/") && strings.HasSuffix(path, "/reload") {
		return nodeReloadPath, costReload
	}
	return "unmatched", costCheap
}

// maxRequestDelay is the longest limitRequests holds a request back for
// its connection's budget to pay it; a request that would wait longer is
// refused with 429.
const maxRequestDelay = time.Second

// limitRequests takes each request's cost from its connection's request
// budget, before anything else is done for it. A request the budget cannot
// pay now waits until it can, at most maxRequestDelay, and is then served;
// one that would wait longer is answered 429 with Retry-After (whole
// seconds until it could be paid) and the connection stays open. Both are
// counted by route in pulseboard_http_requests_limited_total. A
// connection that is not a budgetConn (a test's app) is not limited. Runs
// on the connection's fasthttp goroutine, the only user of its budget.
//
// Why per connection and weighted by route: one keep-alive connection
// looping a cheap route (/healthz) or a dear one (/api/v1/snapshot) could
// otherwise take most of a core, and the bytes it sends are far below its
// read budget. Why wait rather than refuse at once: a 429 costs about what
// /healthz does, so a client that ignores Retry-After and loops would
// still burn a core on refusals; held back, a keep-alive connection (whose
// requests come one after another) gets exactly its budget's rate,
// answers included. A dashboard, a Prometheus scrape every few seconds or
// a Grafana panel refresh use a small fraction of the default and never
// wait.
func (s *Server) limitRequests(c *fiber.Ctx) error {
	bc, ok := c.Context().Conn().(*budgetConn)
	if !ok || bc.requests == nil {
		return c.Next()
	}
	route, cost := requestCost(c)
	now := time.Now()
	r := bc.requests.ReserveN(now, cost)
	if !r.OK() { // a cost above the burst (a burst set below costSnapshot)
		s.metrics.limited.WithLabelValues(route).Inc()
		return s.refuseRequest(c, route, time.Duration(float64(cost)/float64(bc.requests.Limit())*float64(time.Second)))
	}
	delay := r.DelayFrom(now)
	if delay == 0 {
		return c.Next()
	}
	s.metrics.limited.WithLabelValues(route).Inc()
	if delay > maxRequestDelay {
		r.CancelAt(now)
		return s.refuseRequest(c, route, delay)
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.Context().Done(): // the server is shutting down
	}
	return c.Next()
}

// refuseRequest answers 429, with Retry-After: wait rounded up to seconds.
func (s *Server) refuseRequest(c *fiber.Ctx, route string, wait time.Duration) error {
	c.Locals(routeLocal, route) // counted under its route, though not routed
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	return fiber.NewError(fiber.StatusTooManyRequests,
		"request budget exceeded: this connection's requests cost more than it may spend (see docs/reliability.md); retry later")
}

// limitedRoutes are the labels pulseboard_http_requests_limited_total starts
// with at zero.
var limitedRoutes = []string{healthzPath, readyzPath, wsPath, metricsPath, snapshotPath, sourcesPath,
	alertsPath, nodesPath, seriesPath, reloadPath, nodeReloadPath, "unmatched"}

func newLimitedCounter() *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulseboard_http_requests_limited_total",
		Help: "HTTP requests answered 429 because their connection's request budget (cost units a second, weighted by route) was spent, by route pattern.",
	}, []string{"route"})
	for _, r := range limitedRoutes {
		v.WithLabelValues(r)
	}
	return v
}
