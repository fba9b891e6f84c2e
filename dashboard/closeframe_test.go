package dashboard

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

const opClose = 0x8

// closeBody is a close frame's body: code, then reason.
func closeBody(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// A close frame whose body RFC 6455 forbids is answered with 1002 (a body
// of one byte, a code not allowed on the wire) or 1007 (a reason that is
// not UTF-8), and counted as such, wherever it falls in the stream: after
// frames of every length encoding too. A one-byte body was taken for no
// body (an empty close back, counted as the peer's own close); a reason
// not UTF-8 got 1002.
func TestBadCloseFramesRefused(t *testing.T) {
	text300 := clientFrame(true, opText, []byte(`{"type":"x","pad":"`+strings.Repeat("p", 270)+`"}`))
	cases := []struct {
		name   string
		frames [][]byte
		code   int
		reason string
	}{
		{"one byte", [][]byte{clientFrame(true, opClose, []byte{0x03})}, websocket.CloseProtocolError, disconnectProtocol},
		{"one byte after a 16-bit-length frame", [][]byte{text300, clientFrame(true, opClose, []byte{0xe8})}, websocket.CloseProtocolError, disconnectProtocol},
		{"one byte after a ping", [][]byte{clientFrame(true, opPing, []byte("abc")), clientFrame(true, opClose, []byte{0})}, websocket.CloseProtocolError, disconnectProtocol},
		{"reason not UTF-8", [][]byte{clientFrame(true, opClose, closeBody(1000, "bye\xff"))}, websocket.CloseInvalidFramePayloadData, disconnectInvalidUTF8},
		{"reason cut mid-rune", [][]byte{clientFrame(true, opClose, closeBody(4000, "ab\xc3"))}, websocket.CloseInvalidFramePayloadData, disconnectInvalidUTF8},
		{"reason a surrogate", [][]byte{clientFrame(true, opClose, closeBody(1001, "\xed\xa0\x80"))}, websocket.CloseInvalidFramePayloadData, disconnectInvalidUTF8},
		// The codes: the library's check.
		{"code not allowed, reason not UTF-8", [][]byte{clientFrame(true, opClose, closeBody(999, "\xff"))}, websocket.CloseProtocolError, disconnectProtocol},
	}
	for _, code := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535} {
		cases = append(cases, struct {
			name   string
			frames [][]byte
			code   int
			reason string
		}{fmt.Sprintf("code %d", code),
			[][]byte{clientFrame(true, opClose, closeBody(code, "x"))}, websocket.CloseProtocolError, disconnectProtocol})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			ws := f.dial("resume=0", nil)
			ws.readType("hello")
			require.NoError(t, ws.sendRaw(c.frames...))
			require.Equal(t, c.code, ws.closeCode())
			f.expectClosed(t, ws, c.code, c.reason)
			require.Zero(t, testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectPeer)))
		})
	}
}

// A close the RFC allows is the peer's own: answered with its code (none
// for an empty body), counted as the peer's.
func TestAllowedCloseFramesAnswered(t *testing.T) {
	for _, body := range [][]byte{nil, closeBody(1000, ""), closeBody(1001, "going"), closeBody(1003, "é€😀"),
		closeBody(1011, ""), closeBody(3000, "x"), closeBody(4999, strings.Repeat("r", 123))} {
		f := newFixture(t, fixtureOptions{})
		ws := f.dial("resume=0", nil)
		ws.readType("hello")
		require.NoError(t, ws.sendRaw(clientFrame(true, opClose, body)))
		want := websocket.CloseNoStatusReceived
		if len(body) >= 2 {
			want = int(binary.BigEndian.Uint16(body))
		}
		require.Equal(t, want, ws.closeCode(), "%q", body)
		f.expectClosed(t, ws, want, disconnectPeer)
	}
}

// feed follows the frames across any cut of the stream into reads: the
// bytes before a refused close frame go on, and of the frame only what
// earlier reads held (the library waits for the rest); never all of it.
// Every read after the refusal fails.
func TestCloseWatchAcrossReads(t *testing.T) {
	big := clientFrame(true, opBinary, make([]byte, 70_000)) // a 64-bit length
	mid := clientFrame(false, opText, make([]byte, 300))     // a 16-bit length
	stream := append(append(append([]byte{}, big...), mid...), clientFrame(true, opPing, nil)...)
	before := len(stream)
	stream = append(stream, clientFrame(true, opClose, []byte{7})...)
	end := len(stream) // the close frame's last byte is end-1
	stream = append(stream, clientFrame(true, opText, []byte("after"))...)

	for _, chunk := range []int{1, 2, 3, 7, 100, 4096, len(stream)} {
		w := &closeWatch{}
		passed := 0
		var err error
		for off := 0; off < len(stream) && err == nil; off += chunk {
			var k int
			k, err = w.feed(stream[off:min(off+chunk, len(stream))])
			passed += k
		}
		var bad *badCloseFrame
		require.ErrorAs(t, err, &bad, "chunks of %d", chunk)
		require.Equal(t, websocket.CloseProtocolError, bad.code)
		last := (end - 1) / chunk * chunk // where the read that ends the close frame starts
		require.Equal(t, max(before, last), passed, "chunks of %d", chunk)
		k, err := w.feed([]byte("more"))
		require.Zero(t, k)
		require.ErrorAs(t, err, &bad, "the refusal sticks")
	}
}

// After a frame the library refuses on its own (unmasked, a long close),
// the watch stops: what follows is not a frame it can find.
func TestCloseWatchStopsAtAFrameTheLibraryRefuses(t *testing.T) {
	unmasked := []byte{0x81, 0x02, 'h', 'i'}
	long := clientFrame(true, opClose, make([]byte, 126))
	for _, first := range [][]byte{unmasked, long} {
		w := &closeWatch{}
		stream := append(append([]byte{}, first...), clientFrame(true, opClose, []byte{1})...)
		k, err := w.feed(stream)
		require.NoError(t, err)
		require.Equal(t, len(stream), k)
	}
}
