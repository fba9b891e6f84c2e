package dashboard

import (
	"math"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// costDear is the cost from which a request is dear: it is paid from the
// server's dear budget of its kind too (dearBudgets): /metrics, the
// snapshot with its history, range queries, reloads.
const costDear = costMetrics

// dearBudgets are the server's budgets for dear work over every
// connection together (Options.DearRate and DearBurst each), by route
// pattern: one for /metrics, one for snapshots, one for range queries (and
// single series), one shared by the two reload routes, and one for the
// WebSocket range requests (wsRangeKind). A nil map (the budgets off) has
// none.
//
// Why one per kind rather than one for all: a flood of one kind (200
// connections looping range queries) must not shed the others, above all
// the operator's Prometheus scrape; each kind's flood is bounded on its
// own. Why budgets of cost units a second rather than a bound on work at
// once: what takes the readers' core is the rate of dear work, and a
// bucket refills whether or not a slow client holds its answer.
type dearBudgets map[string]*rate.Limiter

// wsRangeKind is the key of the budget WebSocket range requests share
// (answerRange): a kind of its own, so that an HTTP flood of range
// queries does not refuse the dashboards' own, and the reverse.
const wsRangeKind = "websocket range"

// newDearBudgets makes the budgets; nil when r is 0 (off).
func newDearBudgets(r float64, burst int) dearBudgets {
	if r <= 0 {
		return nil
	}
	mk := func() *rate.Limiter { return rate.NewLimiter(rate.Limit(r), burst) }
	reload := mk()
	return dearBudgets{metricsPath: mk(), snapshotPath: mk(), seriesPath: mk(),
		reloadPath: reload, nodeReloadPath: reload, wsRangeKind: mk()}
}

// chargeUnits takes n units from b now, without waiting (a debt at most
// a burst deep); nothing for a nil b or n ≤ 0.
func chargeUnits(b *rate.Limiter, n int) {
	if b != nil && n > 0 {
		b.ReserveN(time.Now(), min(n, b.Burst()))
	}
}

// shedRequest answers 503, with Retry-After: wait rounded up to seconds:
// the server's dear budget of the request's kind is spent, by every
// connection together.
func (s *Server) shedRequest(c *fiber.Ctx, route string, wait time.Duration) error {
	c.Locals(routeLocal, route) // counted under its route, though not routed
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wholeSeconds(wait).Seconds())))
	return fiber.NewError(fiber.StatusServiceUnavailable,
		"the server is busy with requests of this kind (/metrics, snapshots, range queries or reloads) from all clients; retry later")
}

// payPenalty takes from a connection's budget what its next dear request
// would pay for waiting about wait (at most maxRequestDelay): the tokens
// it has left, and that wait's worth less one dear request (so that
// request is held back rather than refused at once: a refusal loop is
// what this avoids). Taken now, not waited for.
func payPenalty(own *rate.Limiter, wait time.Duration) {
	now := time.Now()
	if left := int(own.TokensAt(now)); left > 0 {
		own.ReserveN(now, min(left, own.Burst()))
	}
	if n := int(min(wait, maxRequestDelay).Seconds()*float64(own.Limit())) - costDear; n > 0 {
		own.ReserveN(now, min(n, own.Burst()))
	}
}

// wholeSeconds is wait rounded up to whole seconds, at least one: what
// Retry-After says.
func wholeSeconds(wait time.Duration) time.Duration {
	return time.Duration(max(1, math.Ceil(wait.Seconds()))) * time.Second
}

// Outcomes of pulseboard_http_dear_requests_limited_total.
const (
	dearHeld    = "held"    // waited for the server's dear budget, then served
	dearRefused = "refused" // would have waited over maxRequestDelay: 503
)

func newDearLimitedCounter() *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulseboard_http_dear_requests_limited_total",
		Help: "Dear HTTP requests (/metrics, snapshots, range queries, reloads) held back (outcome=held) or answered 503 (outcome=refused) because the server-wide budget for that kind of dear work (dear_request_rate cost units a second for each of /metrics, snapshots, range queries and reloads, all connections together) was spent, by route pattern.",
	}, []string{"route", "outcome"})
	for _, r := range []string{metricsPath, snapshotPath, seriesPath, reloadPath, nodeReloadPath} {
		for _, o := range []string{dearHeld, dearRefused} {
			v.WithLabelValues(r, o)
		}
	}
	return v
}
