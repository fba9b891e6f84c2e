package dashboard

import (
	"sync/atomic"
	"time"
)

// dropWatch ties one subscription's drop by the broker to its connection.
//
// Why: a client that stops reading leaves its writer blocked in a write
// once the socket's buffers are full, and a blocked writer never calls
// Next to learn it was dropped; waiting for the write deadline (10 s) would
// keep the connection, its buffers and its place in the hub that long. So
// the broker's drop hook counts the drop at once and, if the writer is
// inside a write, gives that write SlowWriteGrace to finish: a client that
// is slow but reading gets it done and is resynced with a snapshot; one
// that stalled is cut (a frame cannot be abandoned halfway, so no close
// frame), with reason "slow". A writer that was not writing sees
// ErrDropped at its next Next, or its next write refuses to start, and
// resyncs the client, at most MaxResyncs times per ResyncWindow.
type dropWatch struct {
	c    *client
	flag atomic.Bool // the broker dropped the subscription
}

func newDropWatch(c *client) *dropWatch { return &dropWatch{c: c} }

// dropped is the subscription's OnDrop hook. It runs on the aggregator's
// publishing goroutine, so it only counts, reads two atomics and arms a
// timer.
func (w *dropWatch) dropped() {
	c := w.c
	w.flag.Store(true)
	c.s.metrics.slowDrops.Inc()
	// write sets writing before it checks flag, and this sets flag before
	// it checks writing: a write either does not start or is seen here.
	if !c.writing.Load() {
		return
	}
	id := c.writeID.Load()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writerDone {
		return
	}
	c.slowTimer = time.AfterFunc(c.s.opts.WebSocket.SlowWriteGrace, func() { c.cutStuckWrite(id) })
}

func (w *dropWatch) isDropped() bool { return w != nil && w.flag.Load() }

// cutStuckWrite cuts the connection if write number id is still going.
// Under c.mu, so that the connection cannot be handed back to its pool
// (the writer marks itself done under c.mu first) between the check and
// the cut.
func (c *client) cutStuckWrite(id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writerDone || !c.writing.Load() || c.writeID.Load() != id {
		return
	}
	if c.reason == "" {
		c.reason = disconnectSlow
	}
	c.cut()
}

// writerFinished marks the writer gone and stops a pending cut.
func (c *client) writerFinished() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writerDone = true
	if c.slowTimer != nil {
		c.slowTimer.Stop()
	}
}
