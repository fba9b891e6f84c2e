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
// its connection's budget (or the server's dear budget) to pay it; a
// request that would wait longer is refused.
const maxRequestDelay = time.Second

// answerBytesPerUnit is how many bytes of an answer cost one more unit,
// charged after the answer is built (chargeAnswer): what writing (and,
// when not shared, building) an answer costs grows with its size, which
// the route alone does not say. Why 64 KiB: a /metrics of 800 series
// (2.8 MB) then costs 20+43 units, a range answer of 2,000 points 20+1, a
// snapshot without points of 800 series (about 200 KB) 2+3; a Prometheus
// scrape of 100k series (7 MB) each second stays below the default rate.
const answerBytesPerUnit = 64 << 10

// limitRequests takes each request's cost from its connection's request
// budget, before anything else is done for it, and a dear request's cost
// from the server's dear budget of its kind as well (dear.go). A request a budget cannot pay now
// waits until it can, at most maxRequestDelay, and is then served; one
// that would wait longer is refused: 429 for its connection's budget, 503
// for the server's, with Retry-After (whole seconds until it could be
// paid) and the connection open. Counted by route in
// pulseboard_http_requests_limited_total (the connection's) and
// pulseboard_http_dear_requests_limited_total{outcome="held|refused"}
// (the server's). Once the answer is built, its size is charged to both
// (chargeAnswer). A connection that is not a budgetConn (a test's app)
// has no budget of its own. Runs on the connection's fasthttp goroutine,
// the only user of its budget; the dear budgets are safe for concurrent use.
//
// Why per connection, weighted by route and by answer size: one keep-alive
// connection looping a cheap route (/healthz) or a dear one could
// otherwise take most of a core, and the bytes it sends are far below its
// read budget; a route's weight alone misses that the same route costs
// ten times more on a config ten times larger (trial 14, round 6, F4).
// Why server-wide budgets for dear work: one client opens as many
// connections as it likes, each with its own budget (200 connections
// looping range queries took three quarters of the core and the readers'
// p99 to 800 ms). Why wait rather than refuse at once: a refusal costs
// about what /healthz does, so a client that ignores Retry-After and loops
// would still burn a core on refusals; held back, a keep-alive connection
// (whose requests come one after another) gets exactly its budget's rate,
// answers included. A dashboard, a Prometheus scrape every second or
// Grafana panel refreshes use a small fraction of the defaults and never
// wait.
//
// stopping is closed when the server shuts down (Serve's context): a
// request held back is let go then. Not the request's own Done: fasthttp's
// panics on a request that no server runs (the fuzzers' handler calls).
func (s *Server) limitRequests(stopping <-chan struct{}) fiber.Handler {
	return func(c *fiber.Ctx) error { return s.limitRequest(c, stopping) }
}

func (s *Server) limitRequest(c *fiber.Ctx, stopping <-chan struct{}) error {
	route, cost := requestCost(c)
	var own *rate.Limiter
	if bc, ok := c.Context().Conn().(*budgetConn); ok {
		own = bc.requests
	}
	if own != nil {
		held, wait, refused := payOrWait(stopping, own, cost)
		if held || refused {
			s.metrics.limited.WithLabelValues(route).Inc()
		}
		if refused {
			return s.refuseRequest(c, route, wait)
		}
	}
	dear := s.dear[route] // nil for a cheap route or with the budget off
	if dear != nil && cost >= costDear {
		held, wait, refused := payOrWait(stopping, dear, cost)
		switch {
		case refused:
			s.metrics.dearLimited.WithLabelValues(route, dearRefused).Inc()
			if own != nil {
				// The connection pays for the Retry-After it is given:
				// its next request waits about that long. Why: a client
				// that ignores Retry-After and loops would otherwise
				// cost the server a refusal per round trip (200
				// connections: about 1,800 refusals a second, a fifth
				// of the core).
				payPenalty(own, wholeSeconds(wait))
			}
			return s.shedRequest(c, route, wait)
		case held:
			s.metrics.dearLimited.WithLabelValues(route, dearHeld).Inc()
		}
	}
	err := c.Next()
	s.chargeAnswer(c, own, dear)
	return err
}

// payOrWait pays cost from lim: at once, or after waiting for it (held),
// at most maxRequestDelay. refused: it could not be paid within that (or
// cost is above the burst), nothing is taken, and wait is how long it
// would have taken. stopping closed (a server shutting down) ends the
// wait early.
func payOrWait(stopping <-chan struct{}, lim *rate.Limiter, cost int) (held bool, wait time.Duration, refused bool) {
	now := time.Now()
	r := lim.ReserveN(now, cost)
	if !r.OK() { // a cost above the burst (a burst set below costSnapshot)
		return false, time.Duration(float64(cost) / float64(lim.Limit()) * float64(time.Second)), true
	}
	delay := r.DelayFrom(now)
	if delay == 0 {
		return false, 0, false
	}
	if delay > maxRequestDelay {
		r.CancelAt(now)
		return false, delay, true
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-stopping: // the server is shutting down
	}
	return true, delay, false
}

// chargeAnswer charges the answer just built, one unit per
// answerBytesPerUnit of its body, to the connection's budget (own) and to
// the server's dear budget of its route (dear), either nil if none: taken
// now, without waiting, so the next requests pay it (a debt at most a
// burst deep). Why after: the size is known only once built, and the
// request has already paid its route's base cost.
func (s *Server) chargeAnswer(c *fiber.Ctx, own, dear *rate.Limiter) {
	resp := c.Response()
	// Body() would read a body stream whole (and close it): its length
	// is the header's.
	n := resp.Header.ContentLength()
	if !resp.IsBodyStream() {
		n = len(resp.Body())
	}
	units := n / answerBytesPerUnit
	if units <= 0 {
		return
	}
	now := time.Now()
	for _, lim := range []*rate.Limiter{own, dear} {
		if lim != nil {
			lim.ReserveN(now, min(units, lim.Burst()))
		}
	}
	s.metrics.answerUnits.Add(float64(units))
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
