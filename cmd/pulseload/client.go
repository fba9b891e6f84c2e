package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// tracker follows one connection's sequence. A delta must start right
// after the last seq seen (its "from" when merged, else its seq); anything
// else is a gap, except across a snapshot, which resets the sequence (a
// resync, counted separately).
type tracker struct {
	last         uint64
	haveSnapshot bool
	// opened is when the connection was opened, Unix ms. A delta built
	// before it is a replay (the catch-up after a shared snapshot up to a
	// second old): it could not have reached this client sooner, so it
	// has no delivery delay and is counted as replayed.
	opened int64
}

// observe accounts one message and returns its delivery delay (ok false
// when it carries none, or is a replay).
func (t *tracker) observe(h protocol.Header, now time.Time, c *counters) (time.Duration, bool) {
	switch h.Type {
	case protocol.TypeHello:
		return 0, false
	case protocol.TypeSnapshot:
		c.snapshots.Add(1)
		if t.haveSnapshot {
			c.resyncs.Add(1)
		}
		t.haveSnapshot, t.last = true, h.Seq
		return 0, false
	case protocol.TypeDelta:
		c.deltas.Add(1)
		if h.HasFrom && h.From != h.Seq {
			c.merged.Add(1)
		}
		if t.haveSnapshot && h.First() != t.last+1 {
			c.gaps.Add(1)
		}
		t.last = h.Seq
		if !h.HasTS {
			return 0, false
		}
		if h.TS < t.opened {
			c.replayed.Add(1)
			return 0, false
		}
		return now.Sub(time.UnixMilli(h.TS)), true
	}
	c.undecodable.Add(1)
	return 0, false
}

// bufPool holds message buffers: a client only needs one while it parses a
// message, so 10,000 clients share a few.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// client is one simulated dashboard.
type client struct {
	url      string
	header   http.Header
	dialer   *websocket.Dialer
	c        *counters
	delays   *histogram
	measure  *atomic.Bool
	tracker  tracker
	firstErr func(error)
	// headOnly: the client offered permessage-deflate, and inflates whole
	// only one message in decodeEvery (for the sizes decoded); of the
	// others it inflates the header (protocol.HeaderPrefix bytes), and the
	// library skips the rest of the frame unread. A browser inflates every
	// message for itself; one process inflating them for 10,000 clients
	// took most of its core and measured itself, not the server.
	headOnly bool
	read     uint64 // messages read
}

// decodeEvery is how often a headOnly client inflates a message whole.
const decodeEvery = 16

// run dials, calls dialed, then reads until ctx ends or the connection fails.
func (cl *client) run(ctx context.Context, dialed func()) {
	conn, resp, err := cl.dialer.DialContext(ctx, cl.url, cl.header)
	dialed()
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if ctx.Err() == nil {
			cl.c.dialFailed.Add(1)
			if resp != nil {
				err = fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
			}
			cl.firstErr(err)
		}
		return
	}
	cl.tracker.opened = time.Now().UnixMilli()
	cl.c.connected.Add(1)
	cl.c.dialed.Add(1)
	defer cl.c.connected.Add(-1)

	stop := context.AfterFunc(ctx, func() {
		// Unblocks the read below; the server sees the close frame.
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = conn.Close()
	})
	defer stop()
	defer conn.Close()
	for {
		if err := cl.readOne(conn); err != nil {
			if ctx.Err() == nil {
				cl.c.disconnects.Add(1)
				cl.firstErr(err)
			}
			return
		}
	}
}

func (cl *client) readOne(conn *websocket.Conn) error {
	_, r, err := conn.NextReader()
	if err != nil {
		return err
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	whole := !cl.headOnly || cl.read%decodeEvery == 0
	cl.read++
	if whole {
		if _, err := buf.ReadFrom(r); err != nil {
			return err
		}
	} else if _, err := io.CopyN(buf, r, protocol.HeaderPrefix); err != nil && err != io.EOF {
		return err
	}
	now := time.Now()
	cl.c.messages.Add(1)
	// Only the header is read: 10,000 clients parse every message.
	h := protocol.ReadHeader(buf.Bytes())
	measuring := cl.measure.Load()
	if whole {
		cl.c.decoded.Add(1)
		cl.c.bytes.Add(uint64(buf.Len()))
		if h.Type == protocol.TypeDelta && measuring {
			cl.c.countDelta(buf.Len())
		}
	}
	if d, ok := cl.tracker.observe(h, now, cl.c); ok && measuring {
		cl.delays.record(d)
	}
	return nil
}
