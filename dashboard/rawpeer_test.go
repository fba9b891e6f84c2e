package dashboard

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rawPeer is a WebSocket client written by hand down to the handshake, so
// that nothing the server sends is buffered out of its sight: it reads
// every frame itself, answers pings, and never answers a close frame, as
// a hostile or broken client would not. Each send is one Write, so its
// frames never interleave with another's. Its reader goroutine reports the close frame
// and the end of the TCP stream (EOF or reset) on closed.
type rawPeer struct {
	conn   net.Conn
	closed chan rawEnd
	hello  chan struct{} // closed at the first text message (the hello)
	// gotClose is closed when the server's close frame arrives.
	gotClose chan struct{}
	texts    atomic.Int64 // text messages read
}

// rawEnd is what a rawPeer saw of the end of its connection.
type rawEnd struct {
	code    int       // the close frame's code; 0 when none came
	closeAt time.Time // when the close frame arrived
	endAt   time.Time // when the stream ended
}

// dialRawPeer upgrades a plain TCP connection to /ws?query and starts
// reading.
func (f *fixture) dialRawPeer(query string) *rawPeer {
	t := f.t
	t.Helper()
	addr := strings.TrimPrefix(f.base, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	req := "GET /ws?" + query + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	_, err = conn.Write([]byte(req))
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	_ = conn.SetReadDeadline(time.Time{})
	p := &rawPeer{conn: conn, closed: make(chan rawEnd, 1), hello: make(chan struct{}), gotClose: make(chan struct{})}
	go p.read(br)
	return p
}

// read parses the server's (unmasked) frames until the stream ends.
func (p *rawPeer) read(br *bufio.Reader) {
	var end rawEnd
	defer func() {
		end.endAt = time.Now()
		p.closed <- end
	}()
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(br, hdr[:2]); err != nil {
			return
		}
		op, n := hdr[0]&0x0f, uint64(hdr[1]&0x7f)
		switch n {
		case 126:
			if _, err := io.ReadFull(br, hdr[:2]); err != nil {
				return
			}
			n = uint64(binary.BigEndian.Uint16(hdr[:2]))
		case 127:
			if _, err := io.ReadFull(br, hdr[:8]); err != nil {
				return
			}
			n = binary.BigEndian.Uint64(hdr[:8])
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			return
		}
		switch {
		case op == 0x8 && end.closeAt.IsZero():
			end.closeAt = time.Now()
			if len(payload) >= 2 {
				end.code = int(binary.BigEndian.Uint16(payload))
			}
			close(p.gotClose)
		case op == opPing: // as a browser does; a settled client gets its deltas
			_ = p.send(clientFrame(true, opPong, payload))
		case op == opText:
			if p.texts.Add(1) == 1 {
				close(p.hello)
			}
		}
	}
}

// send writes frames; it fails once the server has closed the socket.
func (p *rawPeer) send(frames ...[]byte) error {
	var all []byte
	for _, f := range frames {
		all = append(all, f...)
	}
	_ = p.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := p.conn.Write(all)
	return err
}

// flood sends frame again and again, a batch each tick, until the
// connection fails or stop is closed; it returns how many it sent.
func (p *rawPeer) flood(frame []byte, batch int, tick time.Duration, stop <-chan struct{}) <-chan int {
	sent := make(chan int, 1)
	buf := make([]byte, 0, batch*len(frame))
	for range batch {
		buf = append(buf, frame...)
	}
	go func() {
		n := 0
		ticker := time.NewTicker(tick)
		defer ticker.Stop()
		defer func() { sent <- n }()
		for {
			if p.send(buf) != nil {
				return
			}
			n += batch
			select {
			case <-stop:
				return
			case <-ticker.C:
			}
		}
	}()
	return sent
}

// awaitEnd waits for the connection's end, failing the test after limit.
func (p *rawPeer) awaitEnd(t *testing.T, limit time.Duration) rawEnd {
	t.Helper()
	select {
	case end := <-p.closed:
		return end
	case <-time.After(limit):
		t.Fatalf("connection still open %v later", limit)
		return rawEnd{}
	}
}
