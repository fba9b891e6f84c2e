package dashboard

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/pulseboard/pulseboard/aggregator"
)

// writeLoop sends the hello, then the stream, and finally the close frame
// when the server decided the end. The close frame goes whether stream
// ended on the decision or on a write the decision cut short (a newcomer
// waiting for its admission turn gives up when the connection's context
// ends): the reader's verdict, 1008 for a flood, must reach the peer
// whichever the writer was doing at that moment. It has until the end of
// the closing handshake (closingAt) to go.
func (c *client) writeLoop() {
	c.stream()
	c.mu.Lock()
	code, text := c.closeCode, c.closeText
	c.mu.Unlock()
	if code != 0 {
		// On a connection whose writes fail this fails too, by closingAt;
		// the reader waits for the peer's answer until then.
		if c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), c.closeDeadline()) == nil {
			return
		}
	}
	// The peer is gone or a write failed: make sure the reader stops too.
	c.cut()
}

// stream writes until ctx is cancelled or a write fails.
func (c *client) stream() {
	// The ping after the hello asks the peer to show that it reads: its
	// pong settles the client (see admission).
	if !c.write(c.s.hello) || !c.writeControl(websocket.PingMessage, nil) {
		return
	}
	after, ok := c.resumeAt, c.hasResumeAt
	if !ok {
		if after, ok = c.awaitResume(); !ok {
			return
		}
	}
	sub, ok := c.subscribe(after)
	if !ok {
		return
	}
	defer func() {
		if sub != nil { // nil when a resubscription failed to write its snapshot
			sub.Close()
		}
	}()

	o := &c.s.opts.WebSocket
	var drops []time.Time
	nextPing := time.Now().Add(o.PingInterval)
	for {
		wait, wake := context.WithDeadline(c.ctx, nextPing)
		c.mu.Lock()
		c.wake = wake
		c.mu.Unlock()
		// A resume taken here was requested before wake was published.
		if seq, ok := c.takeResume(); ok {
			wake()
			sub.Close()
			if sub, ok = c.subscribe(seq); !ok {
				return
			}
			continue
		}
		if a, held := c.takeAnswer(); a != nil {
			wake()
			ok := c.writeOwn(a)
			c.s.adjustAnswerBytes(-held)
			if !ok {
				return
			}
			continue
		}
		err := c.pump(wait, sub)
		wake()
		switch {
		case err == errWriteFailed, c.ctx.Err() != nil:
			return // writeLoop sends a close code decided meanwhile, either way
		case errors.Is(err, aggregator.ErrDropped):
			// Counted by the drop hook. A newcomer dropped before it
			// answered the ping sent after its hello, more than a
			// mailbox's worth of deltas ago, has read nothing since: it
			// is cut, not resynced (a resync costs a subscription under
			// the aggregator's lock, and a thousand at once delay every
			// reader), nor sent a close frame it would not read.
			if !c.settled.Load() {
				c.setReason(disconnectSlow)
				return
			}
			drops = recent(append(drops, time.Now()), o.ResyncWindow)
			if len(drops) > o.MaxResyncs {
				c.closeWith(websocket.CloseTryAgainLater, "too slow", disconnectSlow)
				return
			}
			sub.Close()
			if sub, ok = c.subscribe(0); !ok { // resync: a fresh snapshot
				return
			}
		case wait.Err() == context.DeadlineExceeded:
			if !c.writeControl(websocket.PingMessage, nil) {
				return
			}
			nextPing = time.Now().Add(o.PingInterval)
		case wait.Err() != nil:
			// Woken for a resume: taken at the top of the loop.
		default:
			c.s.opts.Logger.Error("subscription ended", "err", err)
			c.closeWith(websocket.CloseInternalServerErr, "stream ended", disconnectInternal)
			return
		}
	}
}

var errWriteFailed = errors.New("write failed")

// subscribe opens the stream after seq. From 0 it starts with the shared
// snapshot (see snapshotCache) and the deltas after it; false if writing
// the snapshot failed, unless the subscription was dropped meanwhile. The
// subscription exists before the snapshot is written, so that a client too
// slow to take the snapshot is dropped by its mailbox like any other.
func (c *client) subscribe(after uint64) (*aggregator.Subscription, bool) {
	feed := c.s.opts.Feed
	var sub *aggregator.Subscription
	if after > 0 {
		// A resume the retained deltas serve as they are; any other
		// starts from the shared snapshot (Feed.Resume says why).
		var ok bool
		if sub, ok = feed.Resume(after); !ok {
			after = 0
			c.s.metrics.resumesAsSnapshot.Inc()
		}
	}
	if after == 0 && c.snapshotPaid {
		// A resync: its bytes are paid before it is written, so that
		// resyncs on many connections at once come at the budget's rate
		// rather than all together, then wait (trial 14 round 10, F1:
		// 150 connections' first resyncs, written at once, took the
		// readers' p99 from 4 to 111 ms). Priced at the shared
		// snapshot's last size; 0 before any was built.
		if est := c.hub.snap.lastSize(); est > 0 {
			c.holdFor(c.s.sessions.chargeSnapshot(est, true))
			c.resyncPrepaid = true
		}
	}
	var snap []byte
	build := func() []byte { return feed.SnapshotJSON(true) }
	for try := 0; after == 0; try++ {
		data, seq, ok := c.hub.snap.get(build, time.Now())
		if !ok {
			break
		}
		snap, after = data, seq
		// The deltas after the shared snapshot, from the log; a snapshot
		// too far behind it for that is let go and built anew, once for
		// all the clients waiting, rather than caught up by a merge of
		// this client's own. A second one that is still behind (the
		// feed ran on meanwhile) is caught up by Subscribe.
		if s, ok := feed.Resume(seq); ok {
			sub = s
			break
		}
		if try > 0 {
			break
		}
		c.hub.snap.drop(seq)
		snap, after = nil, 0
	}
	if snap != nil && c.columns {
		snap = c.hub.cols.get(snap)
	}
	if sub == nil {
		sub = feed.Subscribe(after)
	}
	c.subscribedMs = time.Now().UnixMilli()
	c.watch = newDropWatch(c)
	sub.OnDrop(c.watch.dropped)
	if snap != nil && !c.write(snap) {
		if c.watch.isDropped() {
			// Dropped before or while its snapshot went (a newcomer may
			// wait for its turn meanwhile): the stream sees ErrDropped
			// and resyncs, or closes a client dropped too often.
			return sub, true
		}
		sub.Close()
		return nil, false
	}
	if snap != nil {
		c.subscribedMs = time.Now().UnixMilli()
		c.paySnapshot(len(snap))
	}
	return sub, true
}

// paySnapshot charges a snapshot of n bytes just written to the session
// budget and, for a resync, waits what it says before the writer goes on
// (the connection's end cuts the wait short). A session's first snapshot
// is a new session's, whatever its ?resume=N: a handshake that the
// retained deltas did not serve waited for the new sessions' bucket
// (admit). Writer only.
func (c *client) paySnapshot(n int) {
	if c.resyncPrepaid {
		c.resyncPrepaid = false
		return
	}
	wait := c.s.sessions.chargeSnapshot(n, c.snapshotPaid)
	c.snapshotPaid = true
	c.holdFor(wait)
}

// holdFor waits d (nothing when d <= 0), counted as a resync held, and
// times the deltas after it from its end; the connection's end cuts it
// short. Writer only.
func (c *client) holdFor(wait time.Duration) {
	if wait <= 0 {
		return
	}
	c.s.metrics.resyncsHeld.Inc()
	began := time.Now()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.ctx.Done():
	}
	c.s.metrics.resyncHeldSeconds.Add(time.Since(began).Seconds())
	// The deltas built meanwhile could not have gone sooner: their delay
	// is timed from now (delivered), not charged to the stream.
	c.subscribedMs = time.Now().UnixMilli()
}

// pump writes the subscription's messages until Next fails, and returns
// that error (or errWriteFailed). Messages that are ready together, up to
// maxBatch or batchBytes, go to the kernel in one write (see batch.go).
func (c *client) pump(ctx context.Context, sub *aggregator.Subscription) error {
	var batch [maxBatch]aggregator.Message
	for {
		msg, err := sub.Next(ctx)
		if err != nil {
			return err
		}
		n, size := 1, len(msg.Data)
		batch[0] = msg
		// Only a settled client batches: a newcomer's writes wait for
		// admission turns one by one, and held frames would wait with them.
		for n < maxBatch && size < batchBytes && c.bc != nil && c.settled.Load() {
			// Only what is ready: a done context makes Next return at once
			// when there is none (or the drop or close it would return next
			// time anyway).
			m, err := sub.Next(doneContext)
			if err != nil {
				break
			}
			batch[n], size = m, size+len(m.Data)
			n++
		}
		if err := c.writeBatch(batch[:n]); err != nil {
			return err
		}
		clear(batch[:n])
	}
}

// doneContext is a context that is already done: Next with it only takes
// what is ready.
var doneContext = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// writeBatch writes msgs, in one write to the kernel when there are
// several, and records their delivery delays once they went; nil, or why
// the stream must end (errWriteFailed, or ErrDropped when the drop cut a
// write short or came first).
func (c *client) writeBatch(msgs []aggregator.Message) error {
	if len(msgs) > 1 {
		c.bc.hold()
	}
	ok := true
	for _, msg := range msgs {
		data := msg.Data
		if c.columns {
			data = c.hub.cols.get(data) // a snapshot of the broker's own
		}
		if ok = c.write(data); !ok {
			break
		}
	}
	if len(msgs) > 1 && !c.flushBatch() {
		ok = false
	}
	if !ok {
		if c.watch.isDropped() {
			return aggregator.ErrDropped
		}
		return errWriteFailed
	}
	if len(msgs) > 1 {
		c.s.metrics.batched.Add(float64(len(msgs)))
	}
	for _, msg := range msgs {
		c.delivered(msg)
	}
	return nil
}

// flushBatch writes the held frames, as a write: a drop that finds it
// going gives it SlowWriteGrace (dropWatch); false when it failed.
func (c *client) flushBatch() bool {
	c.writeID.Add(1)
	c.writing.Store(true)
	defer c.writing.Store(false)
	if err := c.bc.flush(); err != nil {
		c.writeFailed(err)
		return false
	}
	return true
}

// delivered records msg as delivered now: a snapshot restarts the
// subscription's clock, a delta's delay is observed.
func (c *client) delivered(msg aggregator.Message) {
	if msg.TS == 0 { // a snapshot (a resync, or no shared one)
		c.subscribedMs = time.Now().UnixMilli()
		c.paySnapshot(len(msg.Data))
		return
	}
	// A delta built before this subscription's snapshot was written (the
	// catch-up after a shared snapshot, those built while it went) could
	// not have gone sooner: timed from then.
	delay := max(time.Since(time.UnixMilli(max(msg.TS, c.subscribedMs))), 0)
	c.s.metrics.delivery.Observe(delay.Seconds())
	if f := c.s.opts.OnDelivery; f != nil {
		f(delay)
	}
}

// awaitResume waits ResumeGrace for a client's first resume message;
// false if the connection ended meanwhile. No resume means after 0: a
// snapshot first.
func (c *client) awaitResume() (uint64, bool) {
	timer := time.NewTimer(c.s.opts.WebSocket.ResumeGrace)
	defer timer.Stop()
	select {
	case <-c.ctx.Done():
		return 0, false
	case <-c.resumed:
	case <-timer.C:
	}
	seq, _ := c.takeResume()
	return seq, true
}

// write sends one text message under the write deadline and counts it.
// The frame is the one every client shares (see preparedCache): compressed
// once when the client negotiated permessage-deflate. It
// sends nothing and fails when the subscription was dropped meanwhile
// (pump then sees ErrDropped); see dropWatch for a write the drop
// interrupts. A newcomer's write first waits for its admission turn.
func (c *client) write(data []byte) bool {
	t, ok := c.newcomerTurn()
	if !ok {
		return false
	}
	defer t.release()
	c.writeID.Add(1)
	c.writing.Store(true)
	defer c.writing.Store(false)
	if c.watch.isDropped() {
		return false
	}
	if c.stall.stalled(time.Now()) {
		c.setReason(disconnectStalled)
		return false
	}
	if !c.deflate && c.hub.direct(len(data)) {
		return c.writeDirect(data)
	}
	pm, err := c.hub.prepared.get(data)
	if err != nil {
		c.setReason(disconnectWrite)
		return false
	}
	return c.writePrepared(pm, len(data))
}

// Writing a message to a client that did not negotiate permessage-deflate:
// as a frame of its own (writeDirect) or as the shared prepared frame.
//
// The library writes a frame of its own with the message's first
// directOneWrite bytes copied behind the header in the connection's write
// buffer, and the rest, if any, as a second write: no copy, no garbage,
// but a second system call for a longer message, for each client. A
// shared prepared frame is one write for each client, but costs, once for
// all of them, a copy of the message and a frame built in a buffer grown
// by doubling: about three times the message in garbage. Beside a wide
// target that was half of what the server allocated, and the collector's
// marking of it was what the stream's readers waited for (BENCHMARKS.md
// "A wide target at the stream's pace"); at 10,000 clients of deltas of
// 6 KB, a second write for each would cost far more. So a message goes
// as a frame of its own when it fits in one write, or when its length is
// at least directBytesPerClient for each such client connected.
const (
	directOneWrite       = 4 << 10 // the upgrader's WriteBufferSize: the library adds room for the header
	directBytesPerClient = 1 << 10
)

// direct says whether a message of n bytes goes to the clients without
// permessage-deflate as a frame of its own (see directOneWrite).
func (h *hub) direct(n int) bool {
	return n <= directOneWrite || h.plain.Load()*directBytesPerClient <= int64(n)
}

// writeDirect writes data as one text frame of its own (see
// directOneWrite).
func (c *client) writeDirect(data []byte) bool {
	c.armWriteDeadline()
	if err := c.conn.WriteMessage(websocket.TextMessage, data); err != nil {
		c.writeFailed(err)
		return false
	}
	c.s.metrics.sent(len(data))
	return true
}

// armWriteDeadline sets the write deadline when the one set last has less
// than three quarters of WriteWait left: one deadline serves the writes of
// a quarter of WriteWait, so that the timer behind it is not re-armed for
// every message.
func (c *client) armWriteDeadline() {
	if wait, now := c.s.opts.WebSocket.WriteWait, time.Now(); c.writeDeadline.Sub(now) < wait-wait/4 {
		c.writeDeadline = now.Add(wait)
		_ = c.conn.SetWriteDeadline(c.writeDeadline)
	}
}

// writePrepared writes one prepared text frame under the write deadline
// and counts its n payload bytes.
func (c *client) writePrepared(pm *websocket.PreparedMessage, n int) bool {
	c.armWriteDeadline()
	if err := c.conn.WritePreparedMessage(pm); err != nil {
		c.writeFailed(err)
		return false
	}
	c.s.metrics.sent(n)
	return true
}

// writeOwn sends a message only this client gets (a range answer): as
// write, without the shared frame cache.
func (c *client) writeOwn(data []byte) bool {
	t, ok := c.newcomerTurn()
	if !ok {
		return false
	}
	defer t.release()
	c.writeID.Add(1)
	c.writing.Store(true)
	defer c.writing.Store(false)
	if !c.deflate {
		return c.writeDirect(data) // its own message: nothing to share
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
	if err != nil {
		c.setReason(disconnectWrite)
		return false
	}
	return c.writePrepared(pm, len(data))
}

// writeControl sends a ping (or another control frame) the same way.
func (c *client) writeControl(mt int, data []byte) bool {
	c.writeID.Add(1)
	c.writing.Store(true)
	defer c.writing.Store(false)
	if err := c.conn.WriteControl(mt, data, time.Now().Add(c.s.opts.WebSocket.WriteWait)); err != nil {
		c.writeFailed(err)
		return false
	}
	return true
}

// writeFailed records a failed write as the reason, unless the library
// had sent a close frame already (ErrCloseSent): it does so on the
// reader's goroutine, answering the peer's close or a frame the protocol
// forbids, and the reader, which is about to fail, gives the reason.
func (c *client) writeFailed(err error) {
	if !errors.Is(err, websocket.ErrCloseSent) {
		c.setReason(writeErrorReason(err))
	}
}

// writeErrorReason names a failed write: the peer gone (the socket was
// reset, or its side closed: EPIPE, ECONNRESET) is "peer", as the reader
// would have said had it noticed first (which of the two does is a race
// the client's leaving decides); anything else, a timeout first of all,
// is "write".
func writeErrorReason(err error) string {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return disconnectPeer
	}
	return disconnectWrite
}

// recent keeps the times within window of the last one.
func recent(ts []time.Time, window time.Duration) []time.Time {
	cut := ts[len(ts)-1].Add(-window)
	i := 0
	for i < len(ts) && ts[i].Before(cut) {
		i++
	}
	return ts[i:]
}
