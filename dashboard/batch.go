package dashboard

import (
	"sync"
	"sync/atomic"
)

// Write batching: a writer that finds several messages ready writes their
// frames to the kernel in one write instead of one each.
//
// Why: at 10,000 dashboards the server's CPU goes mostly to the kernel's
// loopback TCP send, a write per client and message (BENCHMARKS.md,
// "10,000 dashboards": 57 % of it under write(2)), and a client behind by
// two or three deltas, which a loaded server's clients often are, paid a
// write for each. The frames are the library's, whole (one Write call
// each, see websocket.Conn.WritePreparedMessage): the connection holds
// them while the writer writes the batch and hands them over together.
const (
	// maxBatch is the most messages one write carries.
	maxBatch = 8
	// batchBytes ends a batch once its messages reach it: a snapshot or
	// a wide delta goes on its own, copied into no buffer.
	batchBytes = 64 << 10
)

// connBatch is a connection's held frames (budgetConn.hold). Only the
// WebSocket writer holds and flushes; any goroutine's Write (the reader's
// pong, too) joins what is held meanwhile, under mu.
type connBatch struct {
	on  atomic.Bool // holding: Write appends to buf
	mu  sync.Mutex
	buf *[]byte
}

// batchBufs lends the held frames their buffer for the length of a batch.
var batchBufs = sync.Pool{New: func() any { b := make([]byte, 0, batchBytes+4096); return &b }}

// hold makes the connection's Writes append to a buffer until flush.
// Writer goroutine only.
func (c *budgetConn) hold() {
	c.batch.mu.Lock()
	c.batch.buf = batchBufs.Get().(*[]byte)
	c.batch.on.Store(true)
	c.batch.mu.Unlock()
}

// held appends p to the held frames; false when the connection is not
// holding (Write then writes it).
func (c *budgetConn) held(p []byte) bool {
	if !c.batch.on.Load() {
		return false
	}
	c.batch.mu.Lock()
	defer c.batch.mu.Unlock()
	if !c.batch.on.Load() {
		return false
	}
	*c.batch.buf = append(*c.batch.buf, p...)
	return true
}

// flush stops holding and writes what was held, in one Write under the
// write deadline in force. Writer goroutine only, after hold.
func (c *budgetConn) flush() error {
	c.batch.mu.Lock()
	buf := c.batch.buf
	c.batch.buf = nil
	c.batch.on.Store(false)
	c.batch.mu.Unlock()
	var err error
	if len(*buf) > 0 {
		_, err = c.Write(*buf)
	}
	*buf = (*buf)[:0]
	batchBufs.Put(buf)
	return err
}
