package dashboard

import (
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	contribws "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"
)

// WebSocket handshake and connection bookkeeping. The stream itself is in
// client.go.

// resumeQuery carries the last sequence a reconnecting client has, so that
// it gets the deltas it missed rather than a snapshot, without the wait for
// a resume message.
const resumeQuery = "resume"

// wsLocalResume passes the parsed ?resume=N from the handshake to the
// connection (the Fiber context is gone by then).
const wsLocalResume = "pulseboard.resume"

// wsLocalAddr passes the client's address key (addrKey) from the
// handshake to the connection, whose cut as slow is charged to it.
const wsLocalAddr = "pulseboard.addr"

// guardHandshake refuses, with a JSON error and a count by reason, what must
// not become a WebSocket: a plain GET, a handshake from an address whose
// connections keep being cut as slow beyond its pace (429 after a hold, see
// slowCuts), a missing or wrong viewer token, a foreign Origin, a server
// that is closing or full, a session the server-wide session budget
// cannot pay within SessionWait (503 after a hold, see sessionBudget; a
// held handshake is let go when stopping, Serve's context, is closed, as
// limitRequest's are). A handshake that passes
// then waits for its turn (admission); the upgrade runs in that turn, and a
// handshake refused there is answered 503 with Retry-After.
func (s *Server) guardHandshake(h *hub, stopping <-chan struct{}) fiber.Handler {
	return func(c *fiber.Ctx) error {
		refuse := func(reason string, err error) error {
			s.metrics.refused.WithLabelValues(reason).Inc()
			return err
		}
		if !contribws.IsWebSocketUpgrade(c) {
			return refuse(refusedNotWebSocket, fiber.NewError(fiber.StatusUpgradeRequired, "WebSocket upgrade required"))
		}
		key, _ := addrKey(c.Context().RemoteIP())
		if ok, wait := s.slowCuts.admit(key); !ok {
			s.slowCuts.hold(stopping)
			c.Set(fiber.HeaderRetryAfter, retryAfterHeader(wait))
			return refuse(refusedSlowCuts, fiber.NewError(fiber.StatusTooManyRequests, "too many connections from this address were cut as slow; retry later"))
		}
		c.Locals(wsLocalAddr, key)
		if s.tokens.hasViewer {
			if ok, _, presented := s.tokens.viewerAccess(c, true); !ok {
				challenge(c, presented)
				return refuse(refusedAuth, errUnauthorized)
			}
		}
		if !s.origins.allow(c.Get(fiber.HeaderOrigin), string(c.Request().Host())) {
			return refuse(refusedOrigin, fiber.NewError(fiber.StatusForbidden, "origin not allowed"))
		}
		seq, resume, err := parseResumeQuery(c.Query(resumeQuery))
		if err != nil {
			return err
		} else if resume {
			c.Locals(wsLocalResume, seq)
		}
		if bc, ok := c.Context().Conn().(*budgetConn); ok {
			c.Locals(wsLocalConn, bc)
		}
		if columns, err := parsePointsQuery(c.Query(pointsQuery)); err != nil {
			return fiber.NewError(fiber.StatusBadRequest, err.Error())
		} else if columns {
			c.Locals(wsLocalColumns, true)
		}
		// The upgrader negotiates permessage-deflate whenever it is
		// offered: a request that does not name it certainly did not.
		if strings.Contains(strings.ToLower(c.Get(fiber.HeaderSecWebSocketExtensions)), "permessage-deflate") {
			c.Locals(wsLocalDeflate, true)
		}
		// The hub's state first: a server closing or full refuses at once,
		// without taking from the session budget (nor does a bad query).
		if err := h.refuseByState(refuse); err != nil {
			return err
		}
		// A reconnecting page whose missed deltas the server still holds
		// costs a start, and is let in beside any snapshot traffic (trial
		// 14 round 10, F1: made to wait for the resyncs of 150 resuming
		// connections, every reconnecting page was held and refused for
		// the length of the attack); one that will be sent a snapshot
		// (?resume=0, a seq too old) waits for it as a new session does.
		cheap := resume && s.opts.Feed.Resumable(seq)
		ok, _, wait := s.sessions.admit(stopping, cheap, key)
		if !ok {
			s.sessions.hold(stopping)
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wholeSeconds(wait).Seconds())))
			return fiber.NewError(fiber.StatusServiceUnavailable, "the server is busy starting sessions for all clients; retry later")
		}
		// The hub may have closed or filled while this one waited.
		if err := h.refuseByState(refuse); err != nil {
			return err
		}
		t, reason := s.admit.admit(c.Context())
		switch {
		case reason == refusedShutdown:
			return refuse(reason, fiber.NewError(fiber.StatusServiceUnavailable, "server shutting down"))
		case t == nil:
			c.Set(fiber.HeaderRetryAfter, retryAfter)
			return refuse(reason, fiber.NewError(fiber.StatusServiceUnavailable, "too many new connections"))
		}
		defer t.release()
		// The hub may have closed or filled while this one waited.
		if err := h.refuseByState(refuse); err != nil {
			return err
		}
		return c.Next()
	}
}

// refuseByState refuses a handshake (through refuse) when the hub is
// closing or full; nil when open.
func (h *hub) refuseByState(refuse func(string, error) error) error {
	switch h.state() {
	case hubClosing:
		return refuse(refusedShutdown, fiber.NewError(fiber.StatusServiceUnavailable, "server shutting down"))
	case hubFull:
		return refuse(refusedCapacity, fiber.NewError(fiber.StatusServiceUnavailable, "too many clients"))
	}
	return nil
}

// parseResumeQuery reads ?resume=N: false when absent, a 400 error when
// not a decimal uint64.
func parseResumeQuery(q string) (uint64, bool, error) {
	if q == "" {
		return 0, false, nil
	}
	seq, err := strconv.ParseUint(q, 10, 64)
	if err != nil {
		return 0, false, fiber.NewError(fiber.StatusBadRequest, "resume must be a sequence number")
	}
	return seq, true, nil
}

// hub knows every connection of one Serve call, to close them all on
// shutdown and to cap their number.
type hub struct {
	s       *Server
	max     int
	pool    websocket.BufferPool
	mu      sync.Mutex
	closing bool
	clients map[*client]struct{}
	wg      sync.WaitGroup // one per registered client, until its handler returns
	snap    snapshotCache
	// cols holds the snapshots rewritten for the clients that asked for
	// columns (?points=columns).
	cols columnsCache
	// prepared holds the frames every client shares (hello, snapshots,
	// deltas), compressed once for the clients that negotiated it.
	prepared preparedCache
	// plain counts the registered clients that did not negotiate
	// permessage-deflate (client.writeDirect).
	plain atomic.Int64
}

func newHub(s *Server, maxClients int) *hub {
	h := &hub{s: s, max: maxClients, pool: &sync.Pool{}, clients: make(map[*client]struct{})}
	h.snap.expired = h.forgetSnapshot
	return h
}

// forgetSnapshot lets go of what was made of a shared snapshot that will
// not be served again: its columns form and the prepared frames of both.
func (h *hub) forgetSnapshot(data []byte) {
	if cols := h.cols.forget(data); cols != nil {
		h.prepared.forget(cols)
	}
	h.prepared.forget(data)
}

type hubState int

const (
	hubOpen hubState = iota
	hubFull
	hubClosing
)

func (h *hub) state() hubState {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closing:
		return hubClosing
	case len(h.clients) >= h.max:
		return hubFull
	}
	return hubOpen
}

// upgrade is the WebSocket route. The guard already checked the origin, so
// the upgrader's own check allows all.
func (h *hub) upgrade() fiber.Handler {
	return contribws.New(h.serveConn, contribws.Config{
		HandshakeTimeout: readTimeout,
		// Client messages are tiny and rare; the buffer only needs a control
		// frame (125 bytes of payload, read whole): 1 KiB was 7.5 MB held
		// at 10,000 dashboards. It reads the socket itself (fasthttp gives
		// its reader back after the handshake, app.go), so a message costs
		// a read call a 256 bytes; the connection's read budget (8 KiB/s
		// once upgraded) bounds them at about 32 a second.
		ReadBufferSize: 256,
		// Messages go out as shared prepared frames, written straight to the
		// socket; the pooled write buffer only serves what is not prepared.
		WriteBufferSize: 4 << 10,
		WriteBufferPool: h.pool,
		// permessage-deflate, when the browser offers it (they all do): one
		// compressed frame per message, shared by every client.
		EnableCompression: true,
		RecoverHandler:    h.recoverConn,
	})
}

func (h *hub) recoverConn(conn *contribws.Conn) {
	if r := recover(); r != nil {
		h.s.opts.Logger.Error("websocket handler panicked", "panic", r)
	}
}

// add registers a client; false when the hub is closing (or full: two
// handshakes may pass the guard for the last place).
func (h *hub) add(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing || len(h.clients) >= h.max {
		return false
	}
	h.clients[c] = struct{}{}
	if !c.deflate {
		h.plain.Add(1)
	}
	h.wg.Add(1)
	h.s.metrics.clients.Inc()
	h.s.metrics.newcomers.Inc()
	return true
}

// remove forgets c. The last client to go releases the caches of messages
// shared between clients (see releaseShared).
func (h *hub) remove(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	idle := len(h.clients) == 0
	h.mu.Unlock()
	if !c.deflate {
		h.plain.Add(-1)
	}
	if idle {
		h.releaseShared()
	}
	c.settle() // no longer a newcomer, whatever it was
	h.s.metrics.clients.Dec()
	h.wg.Done()
}

// releaseShared lets go of the snapshot, columns and prepared caches. They
// serve clients that connect or read at about the same time, and turn
// over only as clients ask for new messages: with no client left they
// would keep what the last ones read for as long as the server runs. After
// an attack that was the largest snapshots of the time (a wide target's,
// each with its plain and its compressed frame): 510 MB of heap in use
// kept by a server of 50 series and no client, against 8.5 MB on a fresh
// one (scripts/longlived.sh). A client that connects meanwhile only
// builds what it needs again.
func (h *hub) releaseShared() {
	h.snap.release()
	h.cols.release()
	h.prepared.release()
}

// serveConn runs one connection: the handler goroutine reads, a writer
// goroutine writes; the handler returns only after the writer, because the
// connection goes back to a pool when it does.
func (h *hub) serveConn(conn *contribws.Conn) {
	c := newClient(h, conn.Conn)
	_ = conn.SetCompressionLevel(preparedLevel) // a valid level: cannot fail
	if seq, ok := conn.Locals(wsLocalResume).(uint64); ok {
		c.resumeAt, c.hasResumeAt = seq, true
	}
	c.columns, _ = conn.Locals(wsLocalColumns).(bool)
	c.deflate, _ = conn.Locals(wsLocalDeflate).(bool)
	c.addr, _ = conn.Locals(wsLocalAddr).(netip.Prefix)
	bc, _ := conn.Locals(wsLocalConn).(*budgetConn)
	if bc != nil {
		// A page sends little once upgraded: the WebSocket's own rate.
		bc.lim.SetLimit(rate.Limit(h.s.opts.WebSocket.ReadRate))
		bc.closes = &closeWatch{closingAt: &c.closingAt}
		c.bc = bc
	}
	c.stall = newStallWatch(bc, h.s.opts.WebSocket.StallAfter)
	if !h.add(c) {
		closing := h.state() == hubClosing
		code, text, reason := websocket.CloseTryAgainLater, "too many clients", refusedCapacity
		if closing {
			code, text, reason = websocket.CloseGoingAway, "server shutting down", refusedShutdown
		}
		h.s.metrics.refused.WithLabelValues(reason).Inc()
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
		return
	}
	defer func() {
		settled := c.settled.Load() // before remove settles it
		h.remove(c)
		if !settled && bc != nil {
			h.s.admit.abort(bc)
		}
	}()
	c.run()
}

// closeAll closes every connection with 1001 and waits for their handlers,
// at most wait; connections still open then are cut, and waited for a
// little longer. New connections are refused from the first moment.
//
// The close is decided under h.mu, for the clients in h.clients: a
// client's handler takes it to leave (remove), so none returns meanwhile.
// Why: once a handler has returned, fasthttp hands its connection back to
// a pool and zeroes it, and a deadline set on it then was a data race and,
// as it happened, a nil dereference (a client leaving as the server
// stopped, taken from a copy of the set made before it left).
func (h *hub) closeAll(wait time.Duration) {
	h.mu.Lock()
	h.closing = true
	for c := range h.clients {
		c.closeWith(websocket.CloseGoingAway, "server shutting down", disconnectShutdown)
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-done:
		return
	case <-timer.C:
	}
	h.mu.Lock()
	for c := range h.clients {
		c.cut()
	}
	h.mu.Unlock()
	h.s.opts.Logger.Warn("websocket clients cut after the close timeout")
	<-done // cut connections fail their reads at once
}
