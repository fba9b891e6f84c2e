package dashboard

import (
	"context"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Routes, as docs/architecture.md and docs/protocol.md list them.
const (
	wsPath       = "/ws"
	metricsPath  = "/metrics"
	healthzPath  = "/healthz"
	readyzPath   = "/readyz"
	sourcesPath  = "/api/v1/sources"
	snapshotPath = "/api/v1/snapshot"
	seriesPath   = "/api/v1/series/:id"
	alertsPath   = "/api/v1/alerts"
	crashPath    = "/api/v1/sources/:name/crash"
	reloadPath   = "/api/v1/reload"
	adminPath    = "/api/v1/auth/admin"
)

// crashNodePath crashes source :name of node :node of the cluster.
const crashNodePath = "/api/v1/sources/:node/:name/crash"

// nodeReloadPath reloads the configuration of node :node of the cluster.
const nodeReloadPath = "/api/v1/nodes/:node/reload"

// routeLocal holds the matched route pattern for the request counter; a
// request that matched no route is counted as "unmatched", so raw paths
// never become label values.
const routeLocal = "pulseboard.route"

// securityHeaders go on every response. The page loads nothing but its own
// files (no inline script or style); connect-src 'self' covers the same-origin
// WebSocket in current browsers.
var securityHeaders = [][2]string{
	{"Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
	{"X-Content-Type-Options", "nosniff"},
	{"Referrer-Policy", "no-referrer"},
	{"X-Frame-Options", "DENY"},
}

// newApp builds one Fiber app for one Serve call; ctx is that call's.
func (s *Server) newApp(ctx context.Context, h *hub) *fiber.App {
	app := fiber.New(fiber.Config{
		// Request memory is reused by fasthttp: Immutable makes every string
		// from Params, Query and Body a copy, safe to keep.
		Immutable: true,
		// One spelling of each path: the routes' costs (requestCost), the
		// dear budgets and the query-token rule match paths exactly, and a
		// router that took /METRICS or /metrics/ as /metrics served dear
		// answers at a cheap path's cost (trial 14, round 7: one
		// connection, 68 % of the core). Prometheus and net/http match
		// exactly too.
		CaseSensitive:  true,
		StrictRouting:  true,
		BodyLimit:      bodyLimit,
		ReadBufferSize: headerLimit,
		// fasthttp lends a connection its read buffer (headerLimit) and
		// keeps it across keep-alive requests, and a hijacked connection
		// for its whole life, the WebSocket library reading through it:
		// 8 KiB of each open dashboard's memory. Told to reduce memory, it
		// gives the buffer back once a request is read with nothing after
		// it, and a hijacked connection then reads the socket itself.
		// (Pipelined bytes keep it, and are read from it first.)
		ReduceMemoryUsage:     true,
		ReadTimeout:           readTimeout,
		WriteTimeout:          writeTimeout,
		IdleTimeout:           idleTimeout,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
	})
	s.countMalformed(app)
	app.Use(s.countRequests, s.limitRequests(ctx.Done()), s.checkHost, setSecurityHeaders)

	viewer := s.requireViewer(false)
	// The static routes share one guard; only "/" (the page a link opens)
	// takes ?token= and ?admin=, as docs/design-notes.md says.
	page := s.requireViewerQueryOn("/")

	s.get(app, healthzPath, s.healthz)
	s.get(app, readyzPath, viewer, s.readyz)
	s.get(app, metricsPath, viewer, s.metricsHandler)
	s.get(app, wsPath, s.guardHandshake(h, ctx.Done()), h.upgrade())
	s.get(app, sourcesPath, viewer, s.sources)
	s.get(app, snapshotPath, viewer, s.snapshot(h))
	s.get(app, seriesPath, viewer, s.series)
	s.get(app, alertsPath, viewer, s.alerts)
	s.get(app, nodesPath, viewer, s.nodes)
	s.get(app, adminPath, s.requireAdmin, adminAccepted)
	s.post(app, crashPath, s.requireAdmin, emptyOrJSONBody, s.crash)
	s.post(app, crashNodePath, s.requireAdmin, emptyOrJSONBody, s.crash)
	s.post(app, reloadPath, s.requireAdmin, emptyOrJSONBody, s.reload(ctx))
	s.post(app, nodeReloadPath, s.requireAdmin, emptyOrJSONBody, s.nodeReload(ctx))
	s.pprofRoutes(app)
	s.staticRoutes(app, page)
	return app
}

// get and post register a route and record its pattern for the metrics.
func (s *Server) get(app *fiber.App, path string, handlers ...fiber.Handler) {
	app.Get(path, append([]fiber.Handler{markRoute(path)}, handlers...)...)
}

func (s *Server) post(app *fiber.App, path string, handlers ...fiber.Handler) {
	app.Post(path, append([]fiber.Handler{markRoute(path)}, handlers...)...)
}

func markRoute(path string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(routeLocal, path)
		return c.Next()
	}
}

func setSecurityHeaders(c *fiber.Ctx) error {
	for _, h := range securityHeaders {
		c.Set(h[0], h[1])
	}
	return c.Next()
}

// countRequests counts every answered request by route pattern and code.
// It turns a handler's error into its response right here, so that the code
// it counts is the one sent.
func (s *Server) countRequests(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		if herr := s.errorHandler(c, err); herr != nil {
			return herr
		}
	}
	route, _ := c.Locals(routeLocal).(string)
	if route == "" {
		route = "unmatched"
	}
	s.metrics.requests.WithLabelValues(route, strconv.Itoa(c.Response().StatusCode())).Inc()
	return nil
}

// errorHandler answers every error as {"error":"…"} with its status code.
// Details of internal errors are logged, not sent.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	code := fiber.StatusInternalServerError
	msg := "internal error"
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code = fe.Code
		msg = fe.Message
		switch code {
		case fiber.StatusNotFound:
			if _, matched := c.Locals(routeLocal).(string); !matched {
				msg = "not found" // Fiber's own text echoes the path
			}
		case fiber.StatusMethodNotAllowed:
			msg = "method not allowed"
		}
	}
	if code >= fiber.StatusInternalServerError && fe == nil {
		s.opts.Logger.Error("request failed", "route", c.Locals(routeLocal), "err", err)
	}
	for _, h := range securityHeaders {
		c.Set(h[0], h[1])
	}
	return c.Status(code).JSON(fiber.Map{"error": msg})
}

// newMetricsHandler serves the registry in the Prometheus text format
// (gzip when asked). Gather errors are served as 500 rather than hidden.
func newMetricsHandler(reg *prometheus.Registry) fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:          reg,
		ErrorHandling:     promhttp.HTTPErrorOnError,
		EnableOpenMetrics: false,
	}))
}
