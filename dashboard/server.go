// Package dashboard is pulseboard's HTTP side: the page, the WebSocket
// stream of snapshots and deltas, the REST API, /metrics, health, and the
// auth and origin checks in front of them.
//
// A Server is made once (New) and served by its supervisor (Serve), possibly
// many times: every Serve call builds a fresh Fiber app and WebSocket hub,
// while the metrics and tokens live as long as the Server.
package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/time/rate"
)

// ErrAlreadyServing is returned by Serve while another Serve call runs.
var ErrAlreadyServing = errors.New("dashboard: already serving")

// Server is the dashboard. Its methods are safe for concurrent use.
type Server struct {
	opts           Options
	tokens         tokens
	origins        origins
	hosts          hostPolicy
	metrics        *metrics
	hello          []byte // the WebSocket hello, the same for every client
	metricsHandler fiber.Handler
	rangeTurns     chan struct{}  // a slot per range query running (see queryRange)
	admit          *admission     // new connections' turns, across Serve calls
	slowCuts       *slowCuts      // addresses whose connections keep being cut as slow, across Serve calls
	sessions       *sessionBudget // new WebSocket sessions' work over every client (sessions.go)
	pprofOn        bool           // the admin token was configured: /debug/pprof/ is served
	answerBytes    atomic.Int64   // bytes of answers held now (answers.go)
	metricsAnswer  answerCache    // the /metrics exposition scrapes share
	liteSnapshot   answerCache    // the snapshot without points requests share
	dear           dearBudgets    // the dear requests' budgets over every connection (dear.go)
	seriesSize     atomic.Int64   // the last /api/v1/series/{id} answer's length, its next estimate

	mu        sync.Mutex
	serving   bool
	addr      string
	hub       *hub         // the running server's, for the tests to look into; guarded by mu
	given     net.Listener // Options.Listener until the first Serve takes it
	relisten  string       // where a later Serve listens: the first listener's address
	listening chan struct{}
	listenOne sync.Once
}

// New checks opts, makes the admin token if none is configured and
// registers the dashboard's metrics. It does not listen yet: Serve does.
func New(opts Options) (*Server, error) {
	if err := opts.setDefaultsAndValidate(); err != nil {
		return nil, err
	}
	pprofOn := opts.AdminToken != ""
	if opts.AdminToken == "" {
		t, err := generateToken()
		if err != nil {
			return nil, err
		}
		opts.AdminToken = t
	}
	listenHost, _, _ := net.SplitHostPort(opts.Listen)
	hosts, err := newHostPolicy(listenHost, opts.AllowedHosts, osHostname)
	if err != nil { // checked by setDefaultsAndValidate
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	s := &Server{
		opts:       opts,
		given:      opts.Listener,
		relisten:   opts.Listen,
		hosts:      hosts,
		tokens:     newTokens(opts.ViewerToken, opts.AdminToken),
		origins:    newOrigins(opts.AllowedOrigins),
		metrics:    newMetrics(),
		listening:  make(chan struct{}),
		rangeTurns: make(chan struct{}, rangeQueries),
		pprofOn:    pprofOn,
	}
	s.dear = newDearBudgets(opts.DearRate, opts.DearBurst)
	s.metricsAnswer.maxAge, s.liteSnapshot.maxAge = metricsMaxAge, snapshotMaxAge
	s.metricsAnswer.inFlightOnly = true
	if s.opts.Registry == nil {
		s.opts.Registry = prometheus.NewRegistry()
		for _, c := range []prometheus.Collector{
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
			opts.Feed.Collector(),
		} {
			if err := s.opts.Registry.Register(c); err != nil {
				return nil, fmt.Errorf("dashboard: register metrics: %w", err)
			}
		}
	}
	for _, c := range s.metrics.collectors() {
		if err := s.opts.Registry.Register(c); err != nil {
			return nil, fmt.Errorf("dashboard: register metrics: %w", err)
		}
	}
	s.admit = newAdmission(&s.opts.WebSocket, s.metrics, runtime.Gosched)
	s.slowCuts = newSlowCuts(&s.opts.WebSocket, s.opts.MaxConnections, time.Now)
	s.sessions = newSessionBudget(&s.opts.WebSocket, s.opts.MaxConnections, s.metrics)
	if err := s.opts.Registry.Register(s.metrics.suspectsGauge(s.slowCuts)); err != nil {
		return nil, fmt.Errorf("dashboard: register metrics: %w", err)
	}
	s.metricsHandler = newMetricsHandler(s.opts.Registry)
	if store, ok := opts.Feed.(storeExposer); ok {
		store.ExposeStoreDirectly()
		s.metricsHandler = newDirectMetricsHandler(s.opts.Registry, store, s)
	}
	instance, err := randomHex(instanceBytes)
	if err != nil {
		return nil, fmt.Errorf("dashboard: instance id: %w", err)
	}
	hello, err := helloMessage(opts.Version, instance, opts.Feed.WindowNames(), opts.Feed.History(), time.Now())
	if err != nil {
		return nil, err
	}
	s.hello = hello
	return s, nil
}

// AdminToken is the token admin routes need: the configured one or the one
// New made. The caller may show it once; the dashboard never logs it.
func (s *Server) AdminToken() string { return s.tokens.adminP }

// Addr is the address Serve listens on ("" when not listening).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Listening is closed once a Serve call has its listener up, the first time.
func (s *Server) Listening() <-chan struct{} { return s.listening }

// URL is the dashboard's base URL without a trailing slash, e.g.
// http://127.0.0.1:8080 ("" when not listening). An unspecified listen host
// (0.0.0.0, ::) is shown as loopback.
func (s *Server) URL() string {
	addr := s.Addr()
	if addr == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ip.To4() != nil {
			host = "127.0.0.1"
		} else {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Serve listens on Options.Listen and serves until ctx is cancelled, then
// shuts down gracefully within Options.ShutdownTimeout:
//
//  1. stop accepting connections;
//  2. close every WebSocket with 1001 (going away) and wait for their
//     handlers (Fiber's own shutdown would not, and clients would see 1006);
//     connections still open at half the budget are cut;
//  3. shut the Fiber app down, which waits for in-flight requests;
//  4. wait for the listener goroutine to return.
//
// Serve returns only once all of that is done: nil after a cancel, or the
// error that stopped it. It may be called again after it returned.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	if s.serving {
		s.mu.Unlock()
		return ErrAlreadyServing
	}
	s.serving = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.serving, s.addr = false, ""
		s.mu.Unlock()
	}()

	ln, err := s.listen(ctx)
	if err != nil {
		return fmt.Errorf("dashboard: listen: %w", err)
	}
	o := &s.opts
	limited := newLimitListener(ln, o.MaxConnections, s.metrics.conns, o.Logger)
	stop := &onceListener{Listener: &budgetListener{Listener: limited, rate: rate.Limit(o.ReadRate), burst: o.ReadBurst,
		sendBuffer: o.SendBuffer, exceeded: s.metrics.readBudget.Inc, reqRate: o.RequestRate, reqBurst: o.RequestBurst}}
	h := newHub(s, s.opts.WebSocket.MaxClients)
	app := s.newApp(ctx, h)
	app.Server().ConnState = limited.connState

	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.hub = h
	s.mu.Unlock()
	s.listenOne.Do(func() { close(s.listening) })
	s.opts.Logger.Info("listening", "addr", ln.Addr().String(), "max_connections", o.MaxConnections,
		"max_clients", o.WebSocket.MaxClients)

	served := make(chan error, 1)
	go func() { served <- app.Listener(stop) }()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
		// The listener failed on its own; still close what is open.
		served = nil
	}
	shutdownErr := s.shutdown(app, h, stop)
	if served != nil {
		if err := <-served; err != nil && serveErr == nil {
			serveErr = err
		}
	}
	if serveErr != nil {
		return fmt.Errorf("dashboard: serve: %w", serveErr)
	}
	return shutdownErr
}

// listen returns the listener Options gave, the first time, and a new one
// on the same address after that.
func (s *Server) listen(ctx context.Context) (net.Listener, error) {
	s.mu.Lock()
	ln, addr := s.given, s.relisten
	if ln != nil {
		s.given, s.relisten = nil, ln.Addr().String()
	}
	s.mu.Unlock()
	if ln != nil {
		return ln, nil
	}
	var lc net.ListenConfig
	return lc.Listen(ctx, "tcp", addr)
}

func (s *Server) shutdown(app *fiber.App, h *hub, ln *onceListener) error {
	start := time.Now()
	budget := s.opts.ShutdownTimeout
	_ = ln.Close() // stop accepting first: nothing new while the rest closes

	// Half the budget for a clean WebSocket close, the rest for cutting
	// the stragglers and for Fiber's own shutdown.
	h.closeAll(budget / 2)

	remaining := budget - time.Since(start)
	if remaining < 10*time.Millisecond {
		remaining = 10 * time.Millisecond
	}
	if err := app.ShutdownWithTimeout(remaining); err != nil {
		s.opts.Logger.Warn("shutdown incomplete", "err", err)
		return fmt.Errorf("dashboard: shutdown: %w", err)
	}
	s.opts.Logger.Info("stopped", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// onceListener makes Close idempotent: Serve closes it to stop accepting
// before Fiber's shutdown closes it again, and fasthttp stops waiting for
// open connections when that second Close fails.
type onceListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}
