package dashboard

import (
	"encoding/binary"
	"sync/atomic"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
)

// badCloseFrame is the read error of a WebSocket whose peer sent a close
// frame with a body RFC 6455 forbids, which the websocket library takes
// as something else: a body of one byte (§5.5.1: a body starts with a
// two-byte code), which it takes for no body at all and answers with an
// empty close; a reason that is not UTF-8 (§8.1, like a text message),
// which it answers with 1002 where a text message gets 1007. The reader
// closes with code, counted as reason.
//
// The library checks the code itself: a code the RFC forbids on the wire
// (below 1000, 1004-1006, 1015, 1016-2999, above 4999) is answered with
// 1002 and counted as disconnectProtocol (readErrorReason).
type badCloseFrame struct {
	code   int    // the close code for the peer: 1002 or 1007
	text   string // the close reason for the peer
	reason string // the disconnect reason counted
}

func (e *badCloseFrame) Error() string { return "close frame from the peer refused: " + e.text }

// closeWatch follows the frames a WebSocket peer sends, byte by byte of
// their headers and by length over their payloads, to check the body of
// its close frames, which the library does not expose (a close handler
// gets "no status" for an empty body and for a one-byte one alike). It
// sits under the library's reader (budgetConn.Read), so a close frame it
// refuses never reaches the library: its bytes are held back and the
// read fails with a *badCloseFrame.
//
// It sees the stream from the first byte after the handshake, which is
// where a client's first frame starts: a client must wait for the
// handshake's answer before it sends one (RFC 6455 §4.1). It stops
// watching at a frame the library refuses anyway (unmasked, a long or
// fragmented close), whose 1002 the library sends.
//
// Used by the connection's reader goroutine only.
type closeWatch struct {
	hdr  [14]byte // the header being read: 2 bytes, up to 8 of length, 4 of mask
	hn   int      // header bytes held
	need int      // the header's length, once its second byte is known

	left    uint64 // payload bytes of the current frame still to come
	isClose bool   // the current frame is a close frame: its body is kept
	body    [125]byte
	bn      int

	off bool  // stopped watching
	err error // sticky: every read after a refusal fails

	// closingAt is the client's (nil: not counted): once it is set, the
	// frames that follow are ones the reader drops unread, counted in
	// dropped, headers included, the peer's close frame left out.
	closingAt *atomic.Int64
	dropped   droppedFrames
}

// droppedFrames counts what a peer sent after the server's close.
type droppedFrames struct {
	frames, bytes uint64
}

// feed takes p, the bytes just read from the peer, and returns how many of
// them may go on to the library: all of them, or, when p ends a close
// frame that is refused, those before the frame's first byte, with the
// refusal.
func (w *closeWatch) feed(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	start := 0 // where the current frame starts in p; 0 when it started before p
	for i := 0; i < len(p) && !w.off; {
		if w.hn == w.need && w.need > 0 { // in the payload
			k := int(min(uint64(len(p)-i), w.left))
			if w.isClose {
				for j := range k {
					w.body[w.bn] = p[i+j] ^ w.hdr[w.need-4+w.bn%4]
					w.bn++
				}
			}
			i += k
			if w.left -= uint64(k); w.left == 0 {
				if err := w.frameEnd(); err != nil {
					return start, err
				}
			}
			continue
		}
		if w.hn == 0 {
			start = i
		}
		w.hdr[w.hn] = p[i]
		w.hn++
		i++
		if w.hn == 2 {
			w.need = headerLen(w.hdr[1])
			if w.need == 0 { // unmasked
				w.off = true
			}
		}
		if w.hn == w.need {
			if err := w.headerEnd(); err != nil {
				return start, err
			}
		}
	}
	return len(p), nil
}

// headerLen is a client frame's header length from its second byte; 0 for
// an unmasked frame, which the library refuses.
func headerLen(b1 byte) int {
	if b1&0x80 == 0 {
		return 0
	}
	switch b1 & 0x7f {
	case 126:
		return 2 + 2 + 4
	case 127:
		return 2 + 8 + 4
	}
	return 2 + 4
}

// headerEnd starts the payload of the frame whose header is complete; an
// empty one ends at once.
func (w *closeWatch) headerEnd() error {
	var n uint64
	switch w.need {
	case 2 + 4:
		n = uint64(w.hdr[1] & 0x7f)
	case 2 + 2 + 4:
		n = uint64(binary.BigEndian.Uint16(w.hdr[2:]))
	default:
		n = binary.BigEndian.Uint64(w.hdr[2:])
	}
	const fin, opcode = 0x80, 0x0f
	w.isClose = w.hdr[0]&opcode == websocket.CloseMessage
	if !w.isClose && w.closingAt != nil && w.closingAt.Load() != 0 {
		w.dropped.frames++
		w.dropped.bytes += uint64(w.need) + n
	}
	if w.isClose && (n > uint64(len(w.body)) || w.hdr[0]&fin == 0) {
		w.off = true // a long or fragmented control frame: the library's 1002
		return nil
	}
	w.left, w.bn = n, 0
	if n == 0 {
		return w.frameEnd()
	}
	return nil
}

// frameEnd checks a close frame's body, once all of it is in, and makes
// ready for the next frame's header.
func (w *closeWatch) frameEnd() error {
	w.hn, w.need = 0, 0
	if !w.isClose {
		return nil
	}
	body := w.body[:w.bn]
	switch {
	case len(body) == 1:
		w.err = &badCloseFrame{websocket.CloseProtocolError, "close frame body of one byte", disconnectProtocol}
	case len(body) >= 2 && allowedCloseCode(int(binary.BigEndian.Uint16(body))) && !utf8.Valid(body[2:]):
		w.err = &badCloseFrame{websocket.CloseInvalidFramePayloadData, "close reason not UTF-8", disconnectInvalidUTF8}
	}
	return w.err
}

// allowedCloseCode reports the codes RFC 6455 §7.4 and the IANA registry
// let a peer send. Only for these is the reason checked here: a close
// with another code is the library's to refuse (1002), reason or not.
func allowedCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return true
	}
	return false
}
