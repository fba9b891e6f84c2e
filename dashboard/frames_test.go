package dashboard

import (
	"crypto/rand"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// WebSocket opcodes, for frames written by hand.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opPing         = 0x9
	opPong         = 0xA
)

// clientFrame encodes one masked client frame: the frames the websocket
// library would never let a test send (fragments of any size, unsolicited
// control frames).
func clientFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	b := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n < 1<<16:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	mask := [4]byte{0x12, 0x34, 0x56, 0x78}
	b = append(b, mask[:]...)
	for i, c := range payload {
		b = append(b, c^mask[i%4])
	}
	return b
}

// sendRaw writes frames straight to the socket.
func (c *wsClient) sendRaw(frames ...[]byte) error {
	var all []byte
	for _, f := range frames {
		all = append(all, f...)
	}
	_ = c.conn.NetConn().SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := c.conn.NetConn().Write(all)
	return err
}

// expectClosed waits for the server to count the disconnect reason, and
// checks the close code when the close frame makes it to the client (a
// flood may leave unread bytes on the server, whose close then resets the
// connection).
func (f *fixture) expectClosed(t *testing.T, c *wsClient, code int, reason string) {
	t.Helper()
	got := c.closeCode()
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(reason)) == 1
	}, 5*time.Second, time.Millisecond, "disconnect %q counted", reason)
	if got != websocket.CloseAbnormalClosure {
		require.Equal(t, code, got)
	}
}

func TestInvalidUTF8Closes1007(t *testing.T) {
	cases := map[string][][]byte{
		"short":     {clientFrame(true, opText, []byte("{\"type\":\"resume\",\"seq\":\xff}"))},
		"oversized": {clientFrame(true, opText, append([]byte(strings.Repeat("x", 5000)), 0xc3, 0x28))},
		// A valid é cut by the fragment boundary, then a lone continuation byte.
		"fragmented": {clientFrame(false, opText, []byte("ab\xc3")), clientFrame(false, opContinuation, []byte("\xa9cd")),
			clientFrame(true, opContinuation, []byte("\x80"))},
		"truncated rune": {clientFrame(true, opText, []byte("ab\xe2\x82"))},
		"surrogate":      {clientFrame(true, opText, []byte("\xed\xa0\x80"))},
	}
	for name, frames := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			c := f.dial("resume=0", nil)
			c.readType("hello")
			require.NoError(t, c.sendRaw(frames...))
			f.expectClosed(t, c, websocket.CloseInvalidFramePayloadData, disconnectInvalidUTF8)
		})
	}
}

// A rune cut by a fragment boundary is fine: the resume in it is honoured.
func TestValidUTF8AcrossFragments(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	seq := f.pushAndWait(1, 1)
	c := f.dial("", nil)
	c.readType("hello")
	msg := []byte(`{"type":"resume","seq":0,"note":"é€😀"}`)
	var frames [][]byte
	for i := range msg { // one byte a frame
		op := byte(opContinuation)
		if i == 0 {
			op = opText
		}
		frames = append(frames, clientFrame(i == len(msg)-1, op, msg[i:i+1]))
	}
	require.NoError(t, c.sendRaw(frames...))
	require.Equal(t, seq, c.readType("snapshot").Seq)
}

func TestBinaryMessageCloses1003(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.dial("resume=0", nil)
	c.readType("hello")
	require.NoError(t, c.conn.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}))
	f.expectClosed(t, c, websocket.CloseUnsupportedData, disconnectBinary)
}

func TestControlFrameFloodsClose1008(t *testing.T) {
	for name, op := range map[string]byte{"ping": opPing, "pong": opPong} {
		for _, payload := range [][]byte{nil, []byte(strings.Repeat("p", 125))} {
			t.Run(name+"/"+string(rune('0'+len(payload)%10)), func(t *testing.T) {
				f := newFixture(t, fixtureOptions{})
				c := f.dial("resume=0", nil)
				c.readType("hello")
				var frames [][]byte
				for range 3 * controlBurst {
					frames = append(frames, clientFrame(true, op, payload))
				}
				require.NoError(t, c.sendRaw(frames...))
				f.expectClosed(t, c, websocket.ClosePolicyViolation, disconnectControlFlood)
			})
		}
	}
}

// A few pings are answered, as RFC 6455 wants.
func TestPingsWithinTheBudgetAnswered(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.dial("resume=0", nil)
	c.readType("hello")
	c.readType("snapshot")
	pongs := make(chan string, controlBurst)
	c.conn.SetPongHandler(func(s string) error { pongs <- s; return nil })
	for i := range controlBurst / 2 {
		require.NoError(t, c.conn.WriteControl(websocket.PingMessage, []byte{byte('a' + i)}, time.Now().Add(time.Second)))
	}
	go func() { _, _, _ = c.conn.ReadMessage() }() // pongs are handled inside reads
	for i := range controlBurst / 2 {
		select {
		case p := <-pongs:
			require.Equal(t, string(rune('a'+i)), p)
		case <-time.After(5 * time.Second):
			t.Fatal("ping not answered")
		}
	}
	require.Zero(t, testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectControlFlood)))
}

// Empty continuation fragments never reach our code as messages, nor grow
// the message past the read limit: the byte budget bounds them.
func TestEmptyFragmentFloodClosed(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.dial("resume=0", nil)
	c.readType("hello")
	frames := [][]byte{clientFrame(false, opText, []byte(`{"type":`))}
	empty := clientFrame(false, opContinuation, nil)
	for range (256<<10)/len(empty) + 1000 {
		frames = append(frames, empty)
	}
	_ = c.sendRaw(frames...) // may fail once the server closed
	f.expectClosed(t, c, websocket.ClosePolicyViolation, disconnectReadBudget)
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.readBudget))
}

// Many tiny messages run into the message rate first.
func TestTinyFrameFloodClosed(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.dial("resume=0", nil)
	c.readType("hello")
	var frames [][]byte
	for range 1000 {
		frames = append(frames, clientFrame(true, opText, []byte("x")))
	}
	_ = c.sendRaw(frames...)
	f.expectClosed(t, c, websocket.ClosePolicyViolation, disconnectFlood)
}

// An HTTP connection over its byte budget is dropped and counted too.
func TestHTTPConnReadBudget(t *testing.T) {
	const burst = 80 << 10
	// The request budget off: held back, pipelined requests would be read
	// too slowly to overdraw the read budget.
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.ReadRate, o.ReadBurst, o.RequestRate = 1024, burst, -1 }})
	addr := strings.TrimPrefix(f.base, "http://")
	req := "GET /healthz HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"
	n := 3 * burst / len(req)
	code := rawGet(t, addr, "/healthz", addr, nil)
	require.Equal(t, 200, code)
	conn := dialRaw(t, addr)
	go func() { _, _ = io.Copy(io.Discard, conn) }()  // answers are read: only the requests count
	_, _ = conn.Write([]byte(strings.Repeat(req, n))) // pipelined
	require.Eventually(t, func() bool { return testutil.ToFloat64(f.srv.metrics.readBudget) == 1 },
		5*time.Second, time.Millisecond)
}

// utf8Stream agrees with utf8.Valid however the input is cut.
func TestUTF8StreamAgreesWithValid(t *testing.T) {
	inputs := []string{"", "a", "é", "€", "😀", "\xff", "\xc3", "\xc3(", "a\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xef\xbf\xbd", "ab\xc3\xa9cd\xe2\x82\xac\xf0\x9f\x98\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xf8\x88\x80\x80\x80"}
	for range 200 {
		inputs = append(inputs, string(randomBytes(t, 24)))
	}
	for _, in := range inputs {
		for cut1 := range len(in) + 1 {
			for cut2 := cut1; cut2 <= len(in); cut2++ {
				var s utf8Stream
				s.write([]byte(in[:cut1]))
				s.write([]byte(in[cut1:cut2]))
				s.write([]byte(in[cut2:]))
				require.Equal(t, utf8.ValidString(in), s.end(), "%q cut at %d, %d", in, cut1, cut2)
			}
		}
	}
}

func randomBytes(t *testing.T, max int64) []byte {
	n, err := rand.Int(rand.Reader, big.NewInt(max))
	require.NoError(t, err)
	b := make([]byte, n.Int64())
	_, _ = rand.Read(b)
	// Bias towards multi-byte sequences.
	for i := range b {
		if b[i]&3 == 0 {
			b[i] |= 0xc0
		}
	}
	return b
}

// A message whose last fragment never comes (here: none after the first;
// a trickle of empty ones is the same to the reader) is closed once it
// has taken MessageWait, not PongWait: a pong amid it extends nothing.
func TestSlowMessageClosed(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.WebSocket.MessageWait = 100 * time.Millisecond }})
	c := f.dial("resume=0", nil)
	c.readType("hello")
	require.NoError(t, c.sendRaw(clientFrame(false, opText, []byte(`{"type":`)), clientFrame(true, opPong, nil),
		clientFrame(false, opContinuation, nil)))
	f.expectClosed(t, c, websocket.ClosePolicyViolation, disconnectSlowMessage)
}

// A message that completes within MessageWait leaves the connection as it
// was: the next message is read and the deadline is PongWait's again.
func TestFragmentedMessageWithinMessageWait(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.WebSocket.MessageWait = 100 * time.Millisecond }})
	c := f.dial("", nil)
	c.readType("hello")
	require.NoError(t, c.sendRaw(clientFrame(false, opText, []byte(`{"type":"res`)), clientFrame(false, opContinuation, nil),
		clientFrame(true, opContinuation, []byte(`ume","seq":0}`))))
	c.readType("snapshot")
	// Past MessageWait since that message: between messages only PongWait counts.
	// (Time passing is what is tested here, not a stand-in for a signal.)
	<-time.After(300 * time.Millisecond)
	c.send(`{"type":"resume","seq":0}`)
	c.readType("snapshot")
	require.Zero(t, testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectSlowMessage)))
}

// Every frame RFC 6455 forbids is answered with 1002 by the library and
// counted as a protocol error, not as the peer's own close.
func TestProtocolErrorsCounted(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	unmasked := clientFrame(true, opText, []byte("hi"))
	unmasked[1] &^= 0x80
	unmasked = append(unmasked[:2], unmasked[6:]...) // no mask key either
	rsv := clientFrame(true, opText, []byte(`{}`))
	rsv[0] |= 0x20
	cases := map[string][]byte{
		"reserved bit":                 rsv,
		"reserved opcode":              clientFrame(true, 0x5, nil),
		"unmasked":                     unmasked,
		"long ping":                    clientFrame(true, opPing, make([]byte, 126)),
		"fragmented ping":              clientFrame(false, opPing, nil),
		"continuation without a start": clientFrame(true, opContinuation, []byte("x")),
	}
	n := 0
	for name, frame := range cases {
		c := f.dial("resume=0", nil)
		c.readType("hello")
		require.NoError(t, c.sendRaw(frame), name)
		require.Equal(t, websocket.CloseProtocolError, c.closeCode(), name)
		n++
		require.Eventually(t, func() bool {
			return testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectProtocol)) == float64(n)
		}, 5*time.Second, time.Millisecond, name)
	}
	require.Zero(t, testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectPeer)))
}

// A compressed message that inflates past ReadLimit is closed with 1009 like
// one that is that long on the wire: the library's limit counts the wire's
// bytes only, and inflating a bomb costs the reader what it inflates.
func TestInflatedMessageOverReadLimitCloses1009(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.dialCompressed("resume=0")
	c.readType("hello")
	conn := c.conn
	conn.EnableWriteCompression(true)
	require.NoError(t, conn.SetCompressionLevel(9))
	// A megabyte of one byte is a kilobyte or two on the wire.
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("a", 1<<20))))
	f.expectClosed(t, c, websocket.CloseMessageTooBig, disconnectTooBig)
}

// Once upgraded, a connection's budget refills at the WebSocket's own rate,
// far below the HTTP one: complete messages, each a run of empty fragments,
// pass every per-message bound, and the bytes are what bounds them.
func TestWebSocketReadRate(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.ReadRate, o.ReadBurst = 1<<20, 100<<10 // the HTTP budget refills 100 KiB in 0.1 s
		o.WebSocket.ReadRate = 1 << 10
	}})
	c := f.dial("resume=0", nil)
	c.readType("hello")
	message := func() []byte { // 60 KiB on the wire, an empty message
		frames := []byte{}
		empty := clientFrame(false, opContinuation, nil)
		frames = append(frames, clientFrame(false, opText, nil)...)
		for len(frames) < 60<<10 {
			frames = append(frames, empty...)
		}
		return append(frames, clientFrame(true, opContinuation, nil)...)
	}
	require.NoError(t, c.sendRaw(message()))
	// Long enough for the HTTP rate to refill the whole burst, not the
	// WebSocket's (time passing is what is tested).
	<-time.After(200 * time.Millisecond)
	require.Zero(t, testutil.ToFloat64(f.srv.metrics.readBudget))
	_ = c.sendRaw(message()) // may fail once the server closed
	f.expectClosed(t, c, websocket.ClosePolicyViolation, disconnectReadBudget)
}
