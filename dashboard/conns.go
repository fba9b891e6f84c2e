package dashboard

import (
	"container/list"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
)

// Accept's retry pause after an error: net/http's, 5 ms doubling to 1 s.
const (
	acceptPauseMin = 5 * time.Millisecond
	acceptPauseMax = time.Second
	// acceptLogEvery is the least time between two log lines about accept
	// errors: a descriptor shortage can last minutes, one line a second
	// would be noise and a disk cost of its own.
	acceptLogEvery = 10 * time.Second
)

// Reasons of pulseboard_http_accept_errors_total: the errno, lower case,
// as node_exporter's netstat and `ss` users know them.
const (
	acceptEMFILE       = "emfile"       // the process's descriptor limit (RLIMIT_NOFILE)
	acceptENFILE       = "enfile"       // the system's descriptor limit (fs.file-max)
	acceptENOBUFS      = "enobufs"      // kernel socket memory
	acceptENOMEM       = "enomem"       // kernel memory
	acceptECONNABORTED = "econnaborted" // the peer reset before accept
	acceptTimeout      = "timeout"
	acceptOther        = "other"
)

// refusedMaxConnections is the reason of
// pulseboard_http_connections_refused_total for a connection past
// Options.MaxConnections.
const refusedMaxConnections = "max_connections"

// refusal is what a connection past the cap gets before it is closed: a
// complete answer, written in one call to an empty send buffer (so it
// never blocks), that a browser or curl shows as 503 rather than a reset.
var refusal = []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n" +
	"Retry-After: 1\r\nConnection: close\r\nContent-Length: 24\r\n\r\ntoo many connections\r\n\r\n")

// connMetrics count the listener's work; they live as long as the Server.
type connMetrics struct {
	open         prometheus.Gauge
	idle         prometheus.Gauge
	max          prometheus.Gauge
	refused      *prometheus.CounterVec
	evicted      prometheus.Counter
	acceptErrors *prometheus.CounterVec
}

func newConnMetrics() *connMetrics {
	m := &connMetrics{
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pulseboard_http_connections",
			Help: "TCP connections to the dashboard open now (HTTP and WebSocket), each a file descriptor.",
		}),
		idle: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pulseboard_http_idle_connections",
			Help: "Of pulseboard_http_connections, those waiting for a request (none sent yet, or between keep-alive requests; nginx's \"waiting\"): the first to be closed at the cap.",
		}),
		max: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pulseboard_http_max_connections",
			Help: "The cap on pulseboard_http_connections (server.max_connections, or derived from RLIMIT_NOFILE).",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_http_connections_refused_total",
			Help: "TCP connections closed as soon as accepted, by reason (max_connections: the cap was reached; they were answered 503).",
		}, []string{"reason"}),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_http_idle_connections_evicted_total",
			Help: "Idle connections (no request yet, or between keep-alive requests; never a WebSocket) closed, the longest idle first, to make room for a new one at the connection cap.",
		}),
		acceptErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_http_accept_errors_total",
			Help: "Errors accepting a connection, by errno (emfile, enfile, enobufs, enomem, econnaborted, timeout, other); each is retried after a pause of 5 ms doubling to 1 s.",
		}, []string{"reason"}),
	}
	m.refused.WithLabelValues(refusedMaxConnections)
	for _, r := range []string{acceptEMFILE, acceptENFILE, acceptENOBUFS, acceptENOMEM, acceptECONNABORTED, acceptTimeout, acceptOther} {
		m.acceptErrors.WithLabelValues(r)
	}
	return m
}

// acceptReason names an accept error for the counter.
func acceptReason(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EMFILE:
			return acceptEMFILE
		case syscall.ENFILE:
			return acceptENFILE
		case syscall.ENOBUFS:
			return acceptENOBUFS
		case syscall.ENOMEM:
			return acceptENOMEM
		case syscall.ECONNABORTED:
			return acceptECONNABORTED
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return acceptTimeout
	}
	return acceptOther
}

// limitListener is the dashboard's accept loop guard, under budgetListener:
//
//   - No accept error but the listener's own closing ever reaches
//     fasthttp, which takes every other one as permanent and stops
//     serving (one client holding enough idle connections to run the
//     process out of descriptors would otherwise stop the dashboard).
//     Each is counted, logged at most once per acceptLogEvery, and
//     retried after a pause of 5 ms doubling to 1 s (net/http's), which a
//     successful accept resets and Close cuts short. Out of descriptors
//     (EMFILE, ENFILE: something else took them, or the limit was lowered
//     under the running process) the connection idle longest is closed
//     first, as at the cap, and the accept retried at once.
//   - At most max connections are open at once: the cap is below the
//     descriptor limit, so the descriptors the sources, the storage and
//     NATS need are left to them. At the cap a new connection takes the
//     place of the connection idle longest (one that sent no request yet,
//     or waits between keep-alive requests: fasthttp's StateNew and
//     StateIdle, see connState), which is closed and counted; a WebSocket
//     or a request in progress is never taken. Idle connections are what
//     an attacker holds the cap with at no cost, and what a client loses
//     least by (a browser reconnects); taking them first keeps /healthz,
//     a scrape and a new page served under such a flood. When none is
//     idle the new connection is answered 503 and closed at once, counted,
//     and never reaches fasthttp.
//
// Accept is called by fasthttp's one accept goroutine; Close by Serve's
// shutdown, on another.
type limitListener struct {
	net.Listener
	max     int64
	open    atomic.Int64
	m       *connMetrics
	log     *slog.Logger
	done    chan struct{}
	closing sync.Once
	// pause waits d, or returns false at once when done is closed; tests
	// replace it to count the pauses instead of waiting them.
	pause func(d time.Duration, done <-chan struct{}) bool

	mu   sync.Mutex
	idle list.List // of *limitConn, idle longest first

	lastLog time.Time // accept goroutine only
	unlog   int       // errors since the last log line; accept goroutine only
}

func newLimitListener(ln net.Listener, max int, m *connMetrics, log *slog.Logger) *limitListener {
	m.max.Set(float64(max))
	return &limitListener{Listener: ln, max: int64(max), m: m, log: log, done: make(chan struct{}), pause: sleepOrDone}
}

func sleepOrDone(d time.Duration, done <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

// Accept returns the next connection under the cap, or the listener's
// closing error (net.ErrClosed) once Close was called; it returns no other
// error.
func (l *limitListener) Accept() (net.Conn, error) {
	pause := time.Duration(0)
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			if l.closed() {
				return nil, net.ErrClosed
			}
			reason := acceptReason(err)
			if (reason == acceptEMFILE || reason == acceptENFILE) && l.evictIdle() {
				// A descriptor is free again: take the connection now.
				l.acceptFailed(err, reason, 0)
				continue
			}
			pause = min(max(2*pause, acceptPauseMin), acceptPauseMax)
			l.acceptFailed(err, reason, pause)
			if !l.pause(pause, l.done) {
				return nil, net.ErrClosed
			}
			continue
		}
		pause = 0
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			if !l.evictIdle() {
				l.m.refused.WithLabelValues(refusedMaxConnections).Inc()
				_ = c.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
				_, _ = c.Write(refusal)
				_ = c.Close()
				continue
			}
			l.open.Add(1) // the slot the idle one gave back: only Accept adds
		}
		l.m.open.Inc()
		lc := &limitConn{Conn: c, l: l}
		l.setIdle(lc, true)
		return lc, nil
	}
}

// evictIdle closes the connection idle longest and reports whether there
// was one; its slot is free when it returns.
func (l *limitListener) evictIdle() bool {
	if !l.closeIdle() {
		return false
	}
	l.m.evicted.Inc()
	return true
}

// setIdle puts c at the back of the idle list, or takes it out.
func (l *limitListener) setIdle(c *limitConn, idle bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.elem != nil {
		l.idle.Remove(c.elem)
		c.elem = nil
	}
	if idle && !c.closed {
		c.elem = l.idle.PushBack(c)
	}
	c.listed.Store(c.elem != nil)
	l.m.idle.Set(float64(l.idle.Len()))
}

// connState is fasthttp's Server.ConnState hook, called on a connection's
// worker goroutine as it changes state: a connection waiting for a request
// may be evicted, one in a request, hijacked (a WebSocket) or closed may
// not. StateNew needs nothing: Accept listed the connection already.
// fasthttp says StateActive for a first request before reading any of it,
// so a connection that never sent a byte stays listed until its first
// Read returns some (limitConn.Read); for later requests StateActive comes
// once the first byte is in, pipelined ones included.
func (l *limitListener) connState(c net.Conn, st fasthttp.ConnState) {
	if bc, ok := c.(*budgetConn); ok {
		c = bc.Conn
	}
	lc, ok := c.(*limitConn)
	if !ok {
		return
	}
	switch st {
	case fasthttp.StateIdle:
		l.setIdle(lc, true)
	case fasthttp.StateActive:
		if lc.started.Load() {
			l.setIdle(lc, false)
		}
	case fasthttp.StateHijacked, fasthttp.StateClosed:
		l.setIdle(lc, false)
	}
}

func (l *limitListener) acceptFailed(err error, reason string, pause time.Duration) {
	l.m.acceptErrors.WithLabelValues(reason).Inc()
	l.unlog++
	if now := time.Now(); now.Sub(l.lastLog) >= acceptLogEvery {
		l.log.Warn("cannot accept connections; retrying", "err", err, "errors", l.unlog,
			"open_connections", l.open.Load(), "retry_in", pause)
		l.lastLog, l.unlog = now, 0
	}
}

func (l *limitListener) closed() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// Close stops Accept, a pause included, closes the listener, and closes
// the idle connections: fasthttp's shutdown closes those between
// keep-alive requests itself, but waits for the ones that never sent a
// request until their read timeout (10 s), past the shutdown budget.
func (l *limitListener) Close() error {
	l.closing.Do(func() { close(l.done) })
	err := l.Listener.Close()
	for l.closeIdle() {
	}
	return err
}

// closeIdle closes the connection idle longest; false when none is.
func (l *limitListener) closeIdle() bool {
	l.mu.Lock()
	e := l.idle.Front()
	if e == nil {
		l.mu.Unlock()
		return false
	}
	victim := l.idle.Remove(e).(*limitConn)
	victim.elem = nil
	victim.listed.Store(false)
	l.m.idle.Set(float64(l.idle.Len()))
	l.mu.Unlock()
	_ = victim.Close() // fasthttp's read of it fails and its worker moves on
	return true
}

// limitConn gives its slot back once, however often it is closed (fasthttp
// and the WebSocket handler may both close a hijacked connection, and an
// evicted one is closed by Accept too).
type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
	// elem is c's place in l.idle, nil when not idle; closed is set by
	// Close. Both under l.mu.
	elem   *list.Element
	closed bool
	// listed mirrors elem != nil for Read's fast path; started is set by
	// the first Read that returned bytes.
	listed, started atomic.Bool
}

// Read takes c off the idle list once its peer sent something.
func (c *limitConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		if !c.started.Load() {
			c.started.Store(true)
		}
		if c.listed.Load() {
			c.l.setIdle(c, false)
		}
	}
	return n, err
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		c.closed = true
		if c.elem != nil {
			c.l.idle.Remove(c.elem)
			c.elem = nil
		}
		c.listed.Store(false)
		c.l.m.idle.Set(float64(c.l.idle.Len()))
		c.l.mu.Unlock()
		c.l.open.Add(-1)
		c.l.m.open.Dec()
	})
	return err
}

// SyscallConn is the socket's, for stallWatch's ioctl.
func (c *limitConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

// tcpConn is c's TCP connection under limitConn, or nil.
func tcpConn(c net.Conn) *net.TCPConn {
	if lc, ok := c.(*limitConn); ok {
		c = lc.Conn
	}
	tc, _ := c.(*net.TCPConn)
	return tc
}
