package dashboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/dashboard/connlimit"
)

// DefaultListen is where the dashboard listens when Options.Listen is empty:
// loopback only, so that nothing is exposed until someone decides to.
const DefaultListen = "127.0.0.1:8080"

// DefaultShutdownTimeout bounds the whole graceful shutdown of Serve.
const DefaultShutdownTimeout = 5 * time.Second

// HTTP limits. Every route but the WebSocket answers small requests, so the
// limits are tight: a peer cannot make the server hold much memory.
const (
	bodyLimit      = 64 << 10 // request bodies
	headerLimit    = 8 << 10  // request line and headers (fasthttp's read buffer)
	readTimeout    = 10 * time.Second
	writeTimeout   = 10 * time.Second
	idleTimeout    = 60 * time.Second
	reloadTimeout  = 30 * time.Second
	tokenBytes     = 32 // a generated admin token: 32 random bytes, hex-encoded
	instanceBytes  = 8  // the hello's instance id
	defaultMaxConn = 20000
)

// SourceControl injects failures into sources. Crash is called from the
// crash route's handler, on any goroutine, and must not block for long. It
// returns nil once the crash is requested, an error wrapping
// ErrUnknownSource when no source has that name (answered 404), one
// wrapping ErrNotRunning when the source has no running collector to crash
// (backing off, parked as failed, stopped: answered 409); any other error
// answers 500 and is logged.
type SourceControl interface {
	Crash(name string) error
}

// The errors a SourceControl wraps to tell the crash route what went wrong.
var (
	ErrUnknownSource = errors.New("unknown source")
	ErrNotRunning    = errors.New("source is not running")
)

// Options configures a Server. Feed is required; everything else has a default.
type Options struct {
	// Listen is host:port; "" means DefaultListen, ":0" picks a free port.
	Listen string
	// Listener, when set, is a listener the caller bound on Listen, so
	// that a busy port is one error at start-up rather than a crash the
	// supervisor restarts. The first Serve serves it (and closes it when
	// it returns); a later Serve, a restart, listens again on its address
	// (its port, even when Listen asked for ":0"). Listen still names the
	// listen host for the Host checks.
	Listener net.Listener
	// AllowedOrigins are the origins, beside the page's own, whose pages may
	// open the WebSocket. Matching is exact (scheme://host[:port]).
	AllowedOrigins []string
	// AllowedHosts are the Host names, beside loopback names, IP addresses,
	// the listen host and (listening on every interface) the machine's
	// name, that the server answers: "name", "*.domain" or "*" (any). Any
	// other Host gets 421 on every route (see hostPolicy).
	AllowedHosts []string
	// ViewerToken, when set, is needed for everything but /healthz.
	ViewerToken string
	// AdminToken is needed for every state-changing route. When empty, New
	// makes a random one (see AdminToken).
	AdminToken string

	// Feed is the data: snapshots, series, sources and the delta stream.
	Feed Feed
	// Sources takes the crash-injection route; nil answers 501.
	Sources SourceControl
	// Reload re-reads the configuration; an error means the new one was
	// rejected and answers 422. Nil answers 501.
	Reload func(ctx context.Context) error
	// NodeReload reloads node's configuration, for POST
	// /api/v1/nodes/:node/reload: this node's own (as Reload) or, in a
	// cluster, a peer's, forwarded to it. An error means refused: a
	// *StatusError carries the code decided elsewhere (the peer's 422 with
	// its reason, 503 for a peer down), ErrUnknownSource answers 404, any
	// other 422. Nil answers 501. Called on a request's goroutine.
	NodeReload func(ctx context.Context, node string) error
	// Range answers range requests (the WebSocket's "range" message and
	// GET /api/v1/series/{id}?from=&to=): a series' history from the
	// stored tiers. Called on a client's reader goroutine or a request's,
	// at most two at a time; it may read the disk. Nil answers 501 (REST)
	// and ignores the message (WebSocket).
	Range func(protocol.RangeRequest) protocol.RangeAnswer

	// Nodes lists the pulseboards of the cluster, this one first (GET
	// /api/v1/nodes); a single node lists itself. Called on the request's
	// goroutine; it must be quick. Nil answers 501.
	Nodes func() []Node

	// Registry is what /metrics serves. The dashboard registers its own
	// metrics there; the caller registers the rest (Go and process
	// collectors, the aggregator's collector). Nil makes a registry with all
	// of those.
	Registry *prometheus.Registry
	// Ready says whether the program is ready (/readyz). Nil means always.
	Ready func() bool
	// Warnings are what /readyz says beside its status: conditions that
	// leave the program ready but worse off (the stored history degraded
	// to memory only). Called on the request's goroutine; must be quick.
	// Nil means none.
	Warnings func() []string
	// OnDelivery, when set, is called with every delta's delivery delay
	// (its build to its write returning, as
	// pulseboard_ws_delivery_delay_seconds times it), on the client's
	// writer goroutine right after the write: it must be quick and must not
	// block. The flight recorder (PULSEBOARD_TRACE_SLOW) uses it to catch
	// a slow delivery in the act.
	OnDelivery func(delay time.Duration)
	// Version is reported by the WebSocket hello.
	Version string
	// Logger receives errors and lifecycle events, never tokens.
	Logger *slog.Logger
	// ShutdownTimeout bounds the graceful shutdown; 0 means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration

	// ReadRate and ReadBurst are every connection's read budget in bytes:
	// a bucket of ReadBurst (256 KiB) refilled at ReadRate a second (64
	// KiB). A connection that overdraws it is closed (WebSocket: 1008) and
	// counted. It bounds the frames a client can make the server parse,
	// whatever their kind (see budgetListener).
	ReadRate  int
	ReadBurst int
	// SendBuffer is each connection's kernel send buffer in bytes (128
	// KiB); negative leaves the kernel's autotuning (up to megabytes for a
	// client that does not read, which then looks fast for seconds).
	SendBuffer int
	// MaxConnections caps the TCP connections open at once, HTTP and
	// WebSocket together, each a file descriptor; 0 derives it from the
	// process's descriptor limit (connlimit.Default: RLIMIT_NOFILE less
	// the larger of 256 and a tenth, kept for sources, storage, NATS and
	// config reads). One more is answered 503 and closed at once, and
	// counted (pulseboard_http_connections_refused_total). It must exceed
	// WebSocket.MaxClients, whose default fits under it.
	MaxConnections int
	// RequestRate and RequestBurst are every HTTP connection's request
	// budget in cost units (reqbudget.go: /healthz 1, a snapshot or a range
	// query 20): a bucket of RequestBurst (400) refilled at RequestRate a
	// second (200). A request it cannot pay is answered 429 with
	// Retry-After and counted; the connection stays open. Negative
	// RequestRate turns the budget off.
	RequestRate  float64
	RequestBurst int
	// DearRate and DearBurst are the server's budgets for dear requests,
	// one for each kind (/metrics, snapshots, range queries and single
	// series, reloads), in the same cost units, over every connection
	// together, each request's size charge included (reqbudget.go,
	// dear.go): a bucket of DearBurst (4000) refilled at DearRate a second
	// (2000). A dear request its budget cannot pay within a second is
	// answered 503 with Retry-After and counted, and its connection's
	// budget pays for the Retry-After. Negative DearRate turns them off.
	DearRate  float64
	DearBurst int
	// MaxAnswerBytes bounds the bytes of answers held at once (256 MiB),
	// counted by buffer capacity from before they are built until written
	// (answers.go): /metrics expositions and snapshots without points
	// (shared, counted once), range answers and single series. One that
	// would pass it is answered 503 with Retry-After before it is built.
	// The snapshot with history shares the WebSocket clients' buffer and
	// is not counted.
	MaxAnswerBytes int64

	// WebSocket tunes the stream; zero fields take their defaults.
	WebSocket WebSocketOptions
}

// WebSocketOptions tunes the /ws stream. The defaults suit browsers on a
// LAN; tests shorten them.
type WebSocketOptions struct {
	// PingInterval is how often the server pings an idle-looking client (25s).
	PingInterval time.Duration
	// PongWait is how long a client may stay silent (no pong, no message)
	// before it is taken for dead and closed (60s). Must exceed PingInterval.
	PongWait time.Duration
	// WriteWait bounds one write to a client (10s).
	WriteWait time.Duration
	// CloseWait is how long the peer has to answer the server's close
	// frame, counted from the server's decision to close (1s). Meanwhile
	// the peer's data frames are read and dropped, not parsed, under the
	// read budget; then the TCP connection is closed, answered or not.
	CloseWait time.Duration
	// SlowWriteGrace is how long a write still in progress when the broker
	// drops its client (its mailbox full) may go on before the connection
	// is cut (1s); a write done by then is followed by a resync.
	SlowWriteGrace time.Duration
	// StallAfter is how long a client may take none of the bytes waiting
	// for it before it is cut as stalled (3s; see stallWatch): a client
	// that never reads is found then, not when the kernel's buffers are
	// full. Negative: never.
	StallAfter time.Duration
	// ResumeGrace is how long after the hello the server waits for a first
	// {"type":"resume"} before it starts with a snapshot (150ms). A client
	// that passes ?resume=N on the URL never waits.
	ResumeGrace time.Duration
	// MessageWait is the longest a client message may take from its first
	// frame to its last (5s): a message kept open by a trickle of empty or
	// tiny fragments costs a frame's parsing each, under the byte budget
	// and never reaching the message rate, so its duration is what bounds
	// it. Past it the connection is closed with 1008 ("slow_message").
	MessageWait time.Duration
	// ReadRate is a WebSocket connection's read budget refill in bytes a
	// second once upgraded (8 KiB), in place of Options.ReadRate; the
	// burst stays Options.ReadBurst. A page sends a resume and a few range
	// requests; 8 KiB a second of the smallest frames (six bytes each,
	// empty fragments of complete messages) is about 1,400 frames a
	// second to parse, where the HTTP rate allowed about 11,000.
	ReadRate int
	// MaxMessageBytes is the largest client message that is parsed (4 KiB);
	// larger ones, up to ReadLimit, are ignored and counted.
	MaxMessageBytes int64
	// ReadLimit is the largest client message at all (64 KiB): a larger one
	// closes the connection with 1009 (message too big).
	ReadLimit int64
	// MessageRate and MessageBurst bound client messages: a token bucket of
	// MessageBurst tokens refilled at MessageRate a second (20/s, burst 40).
	// A client that runs it dry is closed with 1008 (policy violation).
	MessageRate  float64
	MessageBurst int
	// MaxResyncs is how many times a slow client may be dropped by the
	// broker and resynced with a snapshot within ResyncWindow (3 per
	// minute); once more and it is closed with 1013 (try again later).
	MaxResyncs   int
	ResyncWindow time.Duration
	// MaxResumes is how many resume messages a client may send within
	// ResyncWindow (10 a minute, all of them at once at most); once more
	// and it is closed with 1008. A resume costs a subscription under the
	// aggregator's lock and, from seq 0, a whole snapshot written to the
	// client: 19 a second, under the message rate, took most of a core
	// and sent one client 813 MB in 10 s. A page sends one a connection,
	// and one more after a gap or a server restart.
	MaxResumes int
	// MaxClients caps concurrent WebSocket clients (20000, or less to fit
	// under Options.MaxConnections: connlimit.MaxClientsFor); more are
	// refused with 503.
	MaxClients int
	// RangeRate and RangeBurst bound the range work one connection may ask
	// for, in points (distinct series × points a series, see rangeCost): a
	// token bucket of RangeBurst points refilled at RangeRate a second
	// (20,000 a second, burst 1,000,000: a page of 500 series on a wide
	// screen switches span twice at once, and a connection asking without
	// pause costs a few percent of a core). A request the bucket cannot pay
	// for is answered with an error and counted, not run.
	RangeRate  float64
	RangeBurst int
	// AdmitTurns is how much newcomer work runs at once (4): a new
	// connection's handshake, and its writes until it answered its first
	// ping (a peer that reads). Work beyond it waits parked, so that a
	// burst of connections cannot crowd the writers of the clients already
	// there (see admission).
	AdmitTurns int
	// AdmitQueue is how many handshakes may wait for a turn (1024), each
	// for at most AdmitWait (5s); past either a handshake is refused with
	// 503 and Retry-After.
	AdmitQueue int
	AdmitWait  time.Duration
	// SlowCutBurst and SlowCutRate are how many of an address's
	// connections may be cut as slow or stalled at once (60) and a second
	// after that (1). An address whose cuts outrun them is suspect until
	// its bucket is full again; a suspect address's handshakes are let in
	// at SuspectRate a second (2), SuspectBurst at once (20), the others
	// refused with 429 and Retry-After, after a hold of about SuspectHold (15s: 7.5 to 22.5).
	// It is suspect until SuspectQuiet (10s) passes without a cut (see
	// slowCuts). A negative SlowCutBurst turns the budget off.
	SlowCutBurst int
	SlowCutRate  float64
	SuspectRate  float64
	SuspectBurst int
	SuspectHold  time.Duration
	SuspectQuiet time.Duration
	// slowCutLoopback charges loopback addresses' cuts too (tests, which
	// dial from loopback). Off, 127/8 and ::1 are never suspect: every
	// local user has all of them, so a key per address does not bound a
	// local attacker (trial 14 round 8, F4), and one key for them all
	// would lock the machine's own dashboards out; the session budget
	// bounds them instead.
	slowCutLoopback bool
	// SessionRate and SessionBurst are the server's budget of new
	// WebSocket sessions (handshakes), over every client together: 20 a
	// second, 100 at once. SnapshotByteRate and SnapshotByteBurst are its
	// budget of snapshot bytes sent to sessions: 16 MiB a second, 64 MiB
	// at once. A handshake they cannot pay at once waits up to
	// SessionWait (5s); past half of it, it may be refused (at random,
	// surely at SessionWait): held about SessionHold (15s: 7.5 to 22.5)
	// and answered 503 with Retry-After (see sessionBudget). A negative
	// SessionRate turns the budget off.
	SessionRate       float64
	SessionBurst      int
	SnapshotByteRate  float64
	SnapshotByteBurst int
	SessionWait       time.Duration
	SessionHold       time.Duration
}

// def sets *p to v when it is zero or negative: an option left out.
func def[T int | int64 | float64 | time.Duration](p *T, v T) {
	if *p <= 0 {
		*p = v
	}
}

func (w *WebSocketOptions) setDefaults() {
	def(&w.PingInterval, 25*time.Second)
	def(&w.PongWait, 60*time.Second)
	def(&w.WriteWait, 10*time.Second)
	def(&w.CloseWait, time.Second)
	def(&w.SlowWriteGrace, time.Second)
	def(&w.StallAfter, 3*time.Second)
	def(&w.ResumeGrace, 150*time.Millisecond)
	def(&w.MessageWait, 5*time.Second)
	def(&w.ReadRate, 8<<10)
	def(&w.ResyncWindow, time.Minute)
	def(&w.MaxMessageBytes, 4<<10)
	def(&w.ReadLimit, 64<<10)
	def(&w.MessageRate, 20)
	def(&w.MessageBurst, 40)
	def(&w.MaxResyncs, 3)
	def(&w.MaxResumes, 10)
	def(&w.MaxClients, defaultMaxConn)
	def(&w.RangeRate, 20_000)
	def(&w.RangeBurst, 1_000_000)
	def(&w.AdmitTurns, defaultAdmitTurns)
	def(&w.AdmitQueue, defaultAdmitQueue)
	def(&w.AdmitWait, defaultAdmitWait)
	if w.SlowCutBurst == 0 {
		w.SlowCutBurst = defaultSlowCutBurst
	}
	def(&w.SlowCutRate, defaultSlowCutRate)
	def(&w.SuspectRate, defaultSuspectRate)
	def(&w.SuspectBurst, defaultSuspectBurst)
	def(&w.SuspectHold, defaultSuspectHold)
	def(&w.SuspectQuiet, defaultSuspectQuiet)
	if w.SessionRate == 0 {
		w.SessionRate = defaultSessionRate
	}
	if w.SessionBurst <= 0 {
		w.SessionBurst = max(defaultSessionBurst, int(w.SessionRate*5))
	}
	def(&w.SnapshotByteRate, defaultSnapshotByteRate)
	if w.SnapshotByteBurst <= 0 {
		w.SnapshotByteBurst = max(defaultSnapshotByteBurst, int(w.SnapshotByteRate*4))
	}
	def(&w.SessionWait, defaultSessionWait)
	def(&w.SessionHold, defaultSessionHold)
}

// ErrInvalidOptions is wrapped by every error New returns for bad options.
var ErrInvalidOptions = errors.New("dashboard: invalid options")

func (o *Options) setDefaultsAndValidate() error {
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = connlimit.Default()
	}
	if o.WebSocket.MaxClients <= 0 {
		o.WebSocket.MaxClients = connlimit.MaxClientsFor(o.MaxConnections)
	}
	o.WebSocket.setDefaults()
	if o.ReadRate <= 0 {
		o.ReadRate = 64 << 10
	}
	if o.ReadBurst <= 0 {
		o.ReadBurst = 256 << 10
	}
	if o.MaxAnswerBytes <= 0 {
		o.MaxAnswerBytes = 256 << 20
	}
	if o.RequestRate == 0 {
		o.RequestRate = 200
	}
	if o.RequestBurst <= 0 {
		o.RequestBurst = 400
	}
	if o.RequestRate < 0 {
		o.RequestRate = 0
	}
	if o.DearRate == 0 {
		o.DearRate = 2000
	}
	if o.DearBurst <= 0 {
		o.DearBurst = 4000
	}
	if o.DearRate < 0 {
		o.DearRate = 0
	}
	if o.SendBuffer == 0 {
		o.SendBuffer = 128 << 10
	}

	var errs []error
	if o.Feed == nil {
		errs = append(errs, errors.New("feed is required"))
	}
	if _, _, err := net.SplitHostPort(o.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen %q: %w", o.Listen, err))
	}
	for _, origin := range o.AllowedOrigins {
		if _, err := parseOrigin(origin); err != nil {
			errs = append(errs, fmt.Errorf("allowed origin %q: %w", origin, err))
		}
	}
	for _, h := range o.AllowedHosts {
		if err := (&hostPolicy{exact: map[string]bool{}}).add(h); err != nil {
			errs = append(errs, fmt.Errorf("allowed host %q: %w", h, err))
		}
	}
	if o.WebSocket.PongWait <= o.WebSocket.PingInterval {
		errs = append(errs, errors.New("websocket: pong wait must exceed the ping interval"))
	}
	if int64(o.ReadBurst) < o.WebSocket.ReadLimit+headerLimit || o.ReadBurst < bodyLimit+headerLimit {
		errs = append(errs, errors.New("read burst must hold the largest request and client message"))
	}
	if o.WebSocket.RangeBurst < maxRangeCost {
		errs = append(errs, fmt.Errorf("websocket: range burst must hold the largest range request (%d points)", maxRangeCost))
	}
	if o.WebSocket.MaxMessageBytes > o.WebSocket.ReadLimit {
		errs = append(errs, errors.New("websocket: max message bytes must not exceed the read limit"))
	}
	if o.WebSocket.MaxClients >= o.MaxConnections {
		errs = append(errs, fmt.Errorf("websocket: max clients (%d) must be below max connections (%d), or plain HTTP has no room when they are all connected",
			o.WebSocket.MaxClients, o.MaxConnections))
	}
	if o.ViewerToken != "" && o.ViewerToken == o.AdminToken {
		errs = append(errs, errors.New("viewer and admin tokens must differ"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(errs...))
	}
	return nil
}
