package dashboard

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
	"github.com/klauspost/compress/flate"
	"golang.org/x/time/rate"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// What a client may send, and what each kind of abuse costs it. Every
// frame the peer sends is work for the reader, so each kind is bounded:
//
//   - data messages: MessageRate a second (burst MessageBurst), else 1008;
//   - a message over ReadLimit: 1009 (the websocket library's check);
//   - control frames (pings, and pongs beyond the ones our pings ask for,
//     with or without payload): controlRate a second (burst
//     controlBurst), else 1008; a ping is answered with a pong, so a ping
//     flood would otherwise be a write flood too;
//   - every byte, whatever the framing (thousands of empty continuation
//     fragments, tiny frames): the connection's read budget (see
//     budgetConn), else 1008;
//   - a message's duration, first frame to last: MessageWait, else 1008
//     (a fragment a millisecond, empty, is under the byte budget and
//     never a message for the rate, but each costs its parsing);
//   - a binary message: 1003 (the protocol is text only);
//   - a text message that is not UTF-8, parsed or not: 1007 (RFC 6455 8.1);
//   - a compressed message that does not inflate (RFC 7692: corrupt
//     deflate data, or a stream that ends mid-block): 1007, counted as
//     "protocol" (isInflateError);
//   - a frame the protocol forbids (reserved bits or opcodes, no mask, a
//     fragmented or long control frame, a close code not allowed on the
//     wire): 1002, sent by the library;
//   - a close frame whose body is one byte: 1002; whose reason is not
//     UTF-8: 1007 (closeWatch: the library sees neither);
//   - anything after the server's close: dropped unparsed, for CloseWait
//     at most and under a read budget cut to closingBurst
//     (awaitPeerClose).
const (
	controlRate  = 5
	controlBurst = 20
)

// errInflatedTooBig ends a message that inflates past ReadLimit. The
// websocket library's limit counts the bytes on the wire, and a message
// compressed with permessage-deflate may inflate a thousandfold: 64 KiB
// of wire a second, the read budget, would be 64 MiB to inflate and check.
var errInflatedTooBig = errors.New("message inflates past the read limit")

// errControlFlood ends the read loop when a client sends control frames
// faster than controlRate.
var errControlFlood = errors.New("too many control frames")

// readLoop reads client messages until the connection fails. It keeps the
// read deadline PongWait ahead on every pong and message, so a silent peer
// is detected, and applies the limits above.
func (c *client) readLoop() {
	o := &c.s.opts.WebSocket
	// Between messages the deadline is PongWait ahead of the last sign of
	// life; within one it is at most the message's own end (inMessage):
	// a pong amid its fragments does not extend it.
	var inMessage time.Time
	extend := func() {
		d := time.Now().Add(o.PongWait)
		if !inMessage.IsZero() && inMessage.Before(d) {
			d = inMessage
		}
		_ = c.conn.SetReadDeadline(d)
		// A cut or a close decided meanwhile (on another goroutine, which
		// set its deadline before this one) keeps its own deadline.
		if c.cutDone.Load() {
			_ = c.conn.SetReadDeadline(time.Unix(1, 0))
		} else if at := c.closeDeadline(); !at.IsZero() && at.Before(d) {
			_ = c.conn.SetReadDeadline(at)
		}
	}
	c.conn.SetReadLimit(o.ReadLimit)
	extend()
	control := rate.NewLimiter(controlRate, controlBurst)
	// The writer pings after the hello and every PingInterval, and each
	// ping asks for a pong: those are not the peer's to pay for, whatever
	// the interval. Only pongs beyond one a ping interval (plus the first
	// and one in flight) are charged. The first pong settles the client.
	start, pongs := time.Now(), int64(0)
	c.conn.SetPongHandler(func(string) error {
		c.settle()
		pongs++
		asked := int64(time.Since(start)/o.PingInterval) + 2
		if pongs > asked && !control.Allow() {
			return errControlFlood
		}
		extend()
		return nil
	})
	c.conn.SetPingHandler(func(data string) error {
		if !control.Allow() {
			return errControlFlood
		}
		err := c.conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(o.WriteWait))
		var ne net.Error
		if err == nil || errors.Is(err, websocket.ErrCloseSent) || errors.As(err, &ne) {
			return nil // a failed write is the writer's to notice
		}
		return err
	})
	flood := newFloodLimit(o)
	resumes := rate.NewLimiter(rate.Every(o.ResyncWindow/time.Duration(o.MaxResumes)), o.MaxResumes)
	for {
		mt, r, err := c.conn.NextReader()
		if err != nil {
			c.readFailed(err, false)
			return
		}
		if c.ctx.Err() != nil { // closed by the writer or by shutdown
			c.awaitPeerClose(r)
			return
		}
		inMessage = time.Now().Add(o.MessageWait)
		extend()
		if !flood.Allow() {
			c.closeWith(websocket.ClosePolicyViolation, "too many messages", disconnectFlood)
			c.awaitPeerClose(r)
			return
		}
		if mt != websocket.TextMessage {
			c.closeWith(websocket.CloseUnsupportedData, "text messages only", disconnectBinary)
			c.awaitPeerClose(r)
			return
		}
		buf := readBufs.Get().(*[readBufSize]byte)
		data, oversized, valid, err := readText(r, o.MaxMessageBytes, o.ReadLimit, buf[:])
		readBufs.Put(buf)
		if err == nil {
			inMessage = time.Time{}
			extend()
		}
		switch {
		case err != nil:
			c.readFailed(err, true)
			return
		case !valid:
			c.closeWith(websocket.CloseInvalidFramePayloadData, "invalid UTF-8", disconnectInvalidUTF8)
			c.awaitPeerClose(r)
			return
		case oversized:
			c.s.metrics.ignored.WithLabelValues(ignoredOversized).Inc()
		default:
			if !c.handleMessage(data, resumes) {
				c.closeWith(websocket.ClosePolicyViolation, "too many resumes", disconnectResumes)
				c.awaitPeerClose(nil)
				return
			}
		}
	}
}

// awaitPeerClose is all the reader does once the server decided to close
// (closeWith): it waits for the peer's close frame, dropping the rest of
// the current message (r, nil for none) and every later one unread by our
// code: no UTF-8 check, no parsing, no limits but the library's framing
// and the connection's read budget, which stays in force (its burst cut
// to closingBurst). The read
// deadline is closingAt (closeWith set it; nothing extends it now), so it
// returns on the peer's close, by closingAt, or on the budget, whichever
// comes first; the handler then closes the TCP connection. What the peer
// sent meanwhile is counted by closeWatch.
func (c *client) awaitPeerClose(r io.Reader) {
	for {
		if r != nil {
			if _, err := io.Copy(io.Discard, r); err != nil {
				return
			}
		}
		var err error
		if _, r, err = c.conn.NextReader(); err != nil {
			return // the reason is closeWith's
		}
	}
}

// readFailed records why reading stopped; the limits this side enforces
// get their close frame, sent by the writer. midMessage: the error came
// while a message was being read, where a timeout is MessageWait's.
func (c *client) readFailed(err error, midMessage bool) {
	var ne net.Error
	var bad *badCloseFrame
	switch {
	case errors.As(err, &bad):
		c.closeWith(bad.code, bad.text, bad.reason)
	case midMessage && errors.As(err, &ne) && ne.Timeout():
		c.closeWith(websocket.ClosePolicyViolation, "message too slow", disconnectSlowMessage)
	case errors.Is(err, errControlFlood):
		c.closeWith(websocket.ClosePolicyViolation, "too many control frames", disconnectControlFlood)
	case errors.Is(err, errInflatedTooBig):
		c.closeWith(websocket.CloseMessageTooBig, "message too big", disconnectTooBig)
	case errors.Is(err, errReadBudget):
		c.closeWith(websocket.ClosePolicyViolation, "too much traffic", disconnectReadBudget)
	case midMessage && isInflateError(err):
		c.closeWith(websocket.CloseInvalidFramePayloadData, "invalid compressed data", disconnectProtocol)
	default:
		c.setReason(readErrorReason(err))
	}
}

func readErrorReason(err error) string {
	if errors.Is(err, websocket.ErrReadLimit) {
		return disconnectTooBig
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return disconnectDeadPeer
	}
	if isProtocolError(err) {
		return disconnectProtocol
	}
	return disconnectPeer
}

// isInflateError reports an error of the permessage-deflate inflater
// (RFC 7692): the peer's compressed message is not a deflate stream
// (corrupt data, a reserved block type, a stored block whose length check
// fails), or it ends mid-block. The inflater reads the message's frames
// through the library's reader, whose own errors (the network's, a frame
// RFC 6455 forbids, the peer's close) come through unchanged, and an end
// of the connection is a *CloseError (1006) there: a bare
// io.ErrUnexpectedEOF in a message can only be the inflater's. Without
// this the message's reader fails with no close frame sent, and the
// connection is counted as the peer leaving.
func isInflateError(err error) bool {
	var corrupt flate.CorruptInputError
	var internal flate.InternalError
	return errors.As(err, &corrupt) || errors.As(err, &internal) || err == io.ErrUnexpectedEOF //nolint:errorlint // the bare sentinel only
}

// isProtocolError tells the library's answer to a frame RFC 6455 forbids
// (it has sent 1002 and returns a bare error whose text starts with
// "websocket: ") from the peer's own close (a *CloseError), the network's
// errors and the library's sentinels: it offers no type for them.
func isProtocolError(err error) bool {
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), errors.Is(err, websocket.ErrCloseSent):
		return false
	}
	return strings.HasPrefix(err.Error(), "websocket: ")
}

// readBufSize is the scratch a client message is read through.
const readBufSize = 512

// readBufs lends the readers their scratch for the length of a message:
// a page sends a message now and then (a resume, a range request), so a
// buffer of its own for the connection's life was 512 B a client held for
// nothing, 5 MB at 10,000 dashboards.
var readBufs = sync.Pool{New: func() any { return new([readBufSize]byte) }}

// readText reads a text message to its end, checking all of it as UTF-8
// and keeping the first max bytes (a copy, in a new slice: buf is only
// scratch). oversized: the message was longer than max, and data is nil.
// A message longer than limit (inflated) fails with errInflatedTooBig.
func readText(r io.Reader, max, limit int64, buf []byte) (data []byte, oversized, valid bool, err error) {
	var v utf8Stream
	var n int64
	for {
		k, rerr := r.Read(buf)
		if k > 0 {
			v.write(buf[:k])
			if n += int64(k); n > limit {
				return nil, false, false, errInflatedTooBig
			}
			if n <= max {
				data = append(data, buf[:k]...)
			} else {
				data = nil
			}
		}
		if rerr == io.EOF {
			return data, n > max, v.end(), nil
		}
		if rerr != nil {
			return nil, false, false, rerr
		}
		if v.bad {
			return nil, false, false, nil // no need to read further
		}
	}
}

// utf8Stream checks UTF-8 across chunk boundaries: a rune cut by a
// boundary is carried to the next chunk.
type utf8Stream struct {
	carry [utf8.UTFMax]byte
	n     int // bytes in carry
	bad   bool
}

func (s *utf8Stream) write(p []byte) {
	for len(p) > 0 && !s.bad {
		if s.n > 0 {
			// Complete the carried rune one byte at a time.
			s.carry[s.n] = p[0]
			s.n++
			p = p[1:]
			if utf8.FullRune(s.carry[:s.n]) {
				r, size := utf8.DecodeRune(s.carry[:s.n])
				s.bad = r == utf8.RuneError && size <= 1 || size != s.n
				s.n = 0
			} else if s.n == utf8.UTFMax {
				s.bad = true
			}
			continue
		}
		// The tail that may be an incomplete rune: at most 3 bytes after
		// the last rune start.
		cut := len(p)
		for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
			if utf8.RuneStart(p[i]) {
				if !utf8.FullRune(p[i:]) {
					cut = i
				}
				break
			}
		}
		s.bad = !utf8.Valid(p[:cut])
		s.n = copy(s.carry[:], p[cut:])
		return
	}
}

// end reports whether everything written was valid UTF-8, with no rune
// left incomplete.
func (s *utf8Stream) end() bool { return !s.bad && s.n == 0 }

// clientMessage is any message a client may send: a resume or a range
// request, told apart by Type.
type clientMessage struct {
	protocol.RangeRequest
	Seq *uint64 `json:"seq"`
}

// parseClientMessage reads one client message (at most MaxMessageBytes,
// valid UTF-8): a resume or a range request. It returns the message, or
// the reason it is ignored: ignoredMalformed or ignoredUnknown.
func parseClientMessage(data []byte) (m clientMessage, ignored string) {
	if err := json.Unmarshal(data, &m); err != nil {
		// A range request whose members are of the wrong type is still
		// answered (with its error) when its id can be read: a client
		// waits for the answer to its id.
		var head struct {
			Type string `json:"type"`
			ID   int64  `json:"id"`
		}
		if json.Unmarshal(data, &head) == nil && head.Type == protocol.TypeRange {
			return clientMessage{RangeRequest: protocol.RangeRequest{Type: protocol.TypeRange, ID: head.ID, Series: nil, Step: -1}}, ""
		}
		return m, ignoredMalformed
	}
	switch m.Type {
	case protocol.TypeResume:
		if m.Seq == nil {
			return m, ignoredMalformed
		}
		return m, ""
	case protocol.TypeRange:
		return m, ""
	default:
		return m, ignoredUnknown
	}
}

// handleMessage acts on one client message; false for a resume past the
// client's allowance (resumes, WebSocketOptions.MaxResumes), which the
// reader closes the connection for. Called on the reader's goroutine.
func (c *client) handleMessage(data []byte, resumes *rate.Limiter) bool {
	m, ignored := parseClientMessage(data)
	if ignored != "" {
		c.s.metrics.ignored.WithLabelValues(ignored).Inc()
		return true
	}
	if m.Type == protocol.TypeRange {
		c.answerRange(m.RangeRequest)
		return true
	}
	if !resumes.Allow() {
		return false
	}
	c.requestResume(*m.Seq)
	return true
}

// newFloodLimit is one client's message budget: MessageBurst messages at
// once and MessageRate a second sustained. Only the client's reader uses it.
func newFloodLimit(o *WebSocketOptions) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(o.MessageRate), o.MessageBurst)
}
