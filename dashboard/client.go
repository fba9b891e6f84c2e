package dashboard

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"golang.org/x/time/rate"
)

// client is one WebSocket connection.
//
// How it works: the handler goroutine reads (readLoop) and a writer
// goroutine (writeLoop) is the only one to write data. The writer pulls
// from the connection's Subscription, whose bounded mailbox is the
// per-client queue: the broker drops a client whose mailbox is full
// (ErrDropped, and the OnDrop hook: see dropWatch), and the writer then
// resyncs it with a fresh snapshot, at most MaxResyncs times per
// ResyncWindow before closing it with 1013; a client stuck in a write at
// its drop is cut SlowWriteGrace later. A slow client therefore only ever
// delays itself. Every message's bytes are the broker's, encoded once and
// shared by all clients.
//
// Either side may end the connection. The reader ends on a read error
// (peer gone, no pong in time, a message over the read limit) and cancels
// ctx, which stops the writer. Anyone else (flood detection, shutdown, the
// writer itself) calls closeWith: the first decision wins, ctx is
// cancelled, the writer sends the close frame, and the reader only waits
// for the peer's answer, CloseWait at most from the decision.
type client struct {
	s    *Server
	hub  *hub
	conn *websocket.Conn
	// deflate: the client offered permessage-deflate (browsers do), so
	// the handshake negotiated it and its messages go out as the shared,
	// compressed prepared frames; without it they are written as they are
	// (writeDirect).
	deflate bool
	ctx     context.Context
	cancel  context.CancelFunc

	// watch follows the current subscription's drop; only the writer
	// replaces it. writing is set while the writer is inside a write,
	// writeID numbers the writes (see dropWatch).
	watch   *dropWatch
	writing atomic.Bool
	writeID atomic.Uint64
	// stall tells a peer that takes nothing (writer only; nil: unwatched).
	stall *stallWatch
	// writeDeadline is the data writes' deadline in force (writer only).
	writeDeadline time.Time
	// subscribedMs is when the current subscription began, Unix ms, or
	// when its snapshot was written, once it was (writer only): delivery
	// delays are timed from it at the earliest. A delta built while the
	// client's own snapshot was on its way could not have gone sooner:
	// timed from the subscription, it measured how fast the newcomer read
	// its snapshot, and newcomers' first deltas were most of the
	// histogram's p99 in the soak (docs/reliability.md).
	subscribedMs int64

	// addr is the client's address key (addrKey), charged when the
	// connection is cut as slow or stalled (slowCuts); zero if unknown.
	addr netip.Prefix

	// snapshotPaid: the session's first snapshot was written and
	// charged; later ones are resyncs (sessionBudget.chargeSnapshot).
	// Writer only.
	snapshotPaid bool
	// resyncPrepaid: the resync being written was paid before it was
	// built (subscribe). Writer only.
	resyncPrepaid bool

	// resumeAt is ?resume=N from the handshake, if any.
	resumeAt    uint64
	hasResumeAt bool
	// columns: the client asked for snapshots' points as columns
	// (?points=columns, columns.go).
	columns bool
	// settled is set by the first pong: the peer reads what it is sent,
	// and its writes stop taking admission turns (see admission).
	settled atomic.Bool
	// cutDone is set by cut, before its deadline: see cut.
	cutDone atomic.Bool
	// bc is the connection under the library (nil only when the listener
	// is not the server's own): its closeWatch counts what is dropped after
	// a close, and its budget shrinks then (closeWith).
	bc *budgetConn
	// closingAt is when the peer's time to answer the server's close
	// runs out, Unix ns (0 until closeWith decides a close): the read
	// deadline from then on, never extended, and the close frame's write
	// deadline. See closeWith.
	closingAt atomic.Int64

	mu         sync.Mutex
	closeCode  int
	closeText  string
	reason     string             // why the connection ended; the first one set wins
	resume     *uint64            // a resume request not yet taken by the writer
	answer     []byte             // a range answer not yet taken by the writer
	answerHeld int64              // the bytes counted for answer (answers.go)
	wake       context.CancelFunc // interrupts the writer's current wait
	// writerDone is set when the writer returned; slowTimer cuts a write
	// stuck after a drop (see dropWatch).
	writerDone bool
	slowTimer  *time.Timer
	resumed    chan struct{} // signals a resume during the initial grace

	// rangeBudget pays for range requests, in points (reader only).
	rangeBudget *rate.Limiter
}

func newClient(h *hub, conn *websocket.Conn) *client {
	ctx, cancel := context.WithCancel(context.Background())
	return &client{s: h.s, hub: h, conn: conn, ctx: ctx, cancel: cancel, resumed: make(chan struct{}, 1),
		rangeBudget: newRangeBudget(&h.s.opts.WebSocket)}
}

// settle marks the client as one that reads (its first pong, on the
// reader goroutine) or one that is gone; only the first call counts.
func (c *client) settle() {
	if c.settled.CompareAndSwap(false, true) {
		c.s.metrics.newcomers.Dec()
	}
}

// newcomerTurn waits for an admission turn until the client settled (nil,
// true from then on); false when the connection ended meanwhile. Writer
// goroutine only.
func (c *client) newcomerTurn() (*turn, bool) {
	if c.settled.Load() {
		return nil, true
	}
	return c.s.admit.take(c.ctx)
}

// run serves the connection until either side ends it. Both goroutines
// recover from a panic: it ends this connection (the writer sends 1011),
// not the program, and the handler still waits for the writer.
func (c *client) run() {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		defer c.writerFinished()
		defer func() {
			if r := recover(); r != nil {
				c.s.opts.Logger.Error("websocket writer panicked", "panic", r)
				c.setReason(disconnectInternal)
				c.cut()
			}
		}()
		c.writeLoop()
	}()
	defer func() {
		c.cancel()
		c.awaitWriter(writerDone)
		c.dropAnswer()
		c.mu.Lock()
		reason := c.reason
		c.mu.Unlock()
		if reason == "" {
			reason = disconnectPeer
		}
		if c.bc != nil { // the reader is done: closeWatch is this goroutine's
			c.s.metrics.droppedAfterClose(c.bc.closes.dropped)
		}
		c.s.metrics.disconnects.WithLabelValues(reason).Inc()
		if reason == disconnectSlow || reason == disconnectStalled {
			c.s.slowCuts.cut(c.addr)
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			c.s.opts.Logger.Error("websocket reader panicked", "panic", r)
			c.setReason(disconnectInternal)
			c.cut() // a writer blocked in a write must fail now
		}
	}()
	c.readLoop()
}

// setReason records why the connection ends, unless a reason is known.
func (c *client) setReason(reason string) {
	c.mu.Lock()
	if c.reason == "" {
		c.reason = reason
	}
	c.mu.Unlock()
}

// closeWith ends the connection with a close frame: code and text go to
// the peer, reason to the metrics. Later calls change nothing. Any
// goroutine may call it.
//
// The decision starts the closing handshake's clock: the peer has
// CloseWait to answer, whatever it sends meanwhile. The read deadline
// becomes closingAt at once (a reader blocked on a silent peer wakes
// then), the reader's extensions stop at it (readLoop's extend), its
// messages are dropped unparsed (awaitPeerClose) and the writer, if still
// busy then, is cut (awaitWriter). So a closed connection ends within
// CloseWait of the decision, and reads no more than its read budget
// meanwhile.
func (c *client) closeWith(code int, text, reason string) {
	at := time.Now().Add(c.s.opts.WebSocket.CloseWait)
	c.mu.Lock()
	first := c.reason == ""
	if first {
		c.reason = reason
		c.closeCode, c.closeText = code, text
		c.closingAt.Store(at.UnixNano()) // with the code: the writer reads both
	}
	c.mu.Unlock()
	if first {
		if c.bc != nil {
			c.bc.lim.SetBurst(closingBurst)
		}
		_ = c.conn.SetReadDeadline(at)
		if c.cutDone.Load() { // a cut before this deadline stays a cut
			c.cut()
		}
	}
	c.cancel()
}

// closingBurst is what is left of a connection's read budget once the
// server decided to close it: at most 16 KiB at once, refilled at the
// WebSocket's ReadRate as before. A peer has some messages in flight when
// the close reaches it (a page's are a few KiB a second at most); a peer
// that goes on sending runs the budget dry within the grace and is reset.
// At 8 KiB/s and a CloseWait of 1 s that is at most 24 KiB, 4,000 empty
// frames, dropped: the full burst (256 KiB) would be 44,000.
const closingBurst = 16 << 10

// closeDeadline is closingAt as a time; zero before a close was decided.
func (c *client) closeDeadline() time.Time {
	if at := c.closingAt.Load(); at != 0 {
		return time.Unix(0, at)
	}
	return time.Time{}
}

// awaitWriter waits for the writer to return, after the reader did. Once
// a close was decided, the writer has until closingAt to send its close
// frame (or to finish a write a non-reading peer holds up); then the
// connection is cut, and the writer's write fails at once.
func (c *client) awaitWriter(writerDone <-chan struct{}) {
	if at := c.closeDeadline(); !at.IsZero() {
		timer := time.NewTimer(time.Until(at))
		defer timer.Stop()
		select {
		case <-writerDone:
			return
		case <-timer.C:
			c.cut()
		}
	}
	<-writerDone
}

// cut makes every pending and later read and write on the connection fail
// at once, without a close handshake; the handler then returns and fasthttp
// closes the socket. (Closing the hijacked connection here would do
// nothing: fasthttp's Close on it is a no-op until the handler returns.)
//
// A cut is for good: the reader's extension of its deadline (a pong, a
// message) checks cutDone after it and cuts again, so that an extension
// racing the cut cannot undo it (it did: a pong arriving as the writer
// panicked left the reader waiting out PongWait).
func (c *client) cut() {
	c.cutDone.Store(true)
	_ = c.conn.NetConn().SetDeadline(time.Unix(1, 0))
}

// requestResume hands a client's resume to the writer and wakes it.
func (c *client) requestResume(seq uint64) {
	c.mu.Lock()
	c.resume = &seq
	wake := c.wake
	c.mu.Unlock()
	select {
	case c.resumed <- struct{}{}:
	default:
	}
	if wake != nil {
		wake()
	}
}

// takeResume returns a pending resume request, if any.
func (c *client) takeResume() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.resume == nil {
		return 0, false
	}
	seq := *c.resume
	c.resume = nil
	return seq, true
}
