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

// limitRequests takes each request's cost from its connection's request
// budget, before anything else is done for it. A request the budget cannot
// pay is answered 429 with Retry-After (whole seconds until it could be)
// and counted by route in pulseboard_http_requests_limited_total; the
// connection stays open. A connection that is not a budgetConn (none in
// the server; a test's app) is not limited.
//
// Why per connection and weighted by route: one keep-alive connection
// looping a cheap route (/healthz) or a dear one (/api/v1/snapshot) could
// otherwise take most of a core, and the bytes it sends are far below its
// read budget. A dashboard, a Prometheus scrape every few seconds or a
// Grafana panel refresh use a small fraction of the default.
func (s *Server) limitRequests(c *fiber.Ctx) error {
	bc, ok := c.Context().Conn().(*budgetConn)
	if !ok || bc.requests == nil {
		return c.Next()
	}
	route, cost := requestCost(c)
	now := time.Now()
	if bc.requests.AllowN(now, cost) {
		return c.Next()
	}
	c.Locals(routeLocal, route) // counted under its route, though not routed
	s.metrics.limited.WithLabelValues(route).Inc()
	wait := float64(cost) - bc.requests.TokensAt(now)
	if lim := float64(bc.requests.Limit()); lim > 0 {
		wait /= lim
	}
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, int(math.Ceil(wait)))))
	return fiber.NewError(fiber.StatusTooManyRequests,
		"request budget exceeded: this connection asked for more than "+strconv.Itoa(int(bc.requests.Limit()))+" cost units a second (see docs/reliability.md); retry later")
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
