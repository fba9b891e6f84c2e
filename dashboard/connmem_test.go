package dashboard

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// An open dashboard costs the server little memory: the heap a connection
// holds once it has its hello and snapshot, measured over many connections
// of a client that holds next to nothing itself (a socket and the
// handshake's reader), and the goroutines it runs. issue 13's target is
// 16 KiB of RSS a client with 10,000 of them. fasthttp's 8 KiB request
// reader, kept for the life of a hijacked connection unless the server
// lets it go after the request (ReduceMemoryUsage), took the heap from
// about 10.5 to 18.7 KiB a connection. The stacks are not bounded here:
// the race detector doubles them.
func TestAnOpenDashboardHoldsLittleMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("opens hundreds of connections")
	}
	const n = 300 // connections a step
	f := newFixture(t, fixtureOptions{})
	f.pushAndWait(20, 1)
	addr := strings.TrimPrefix(f.base, "http://")

	var ms runtime.MemStats
	held := func() (heap, stacks int64, goroutines int) {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc), int64(ms.StackInuse), runtime.NumGoroutine()
	}
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	// open adds n connections and returns once every one has its hello
	// and snapshot: their writers parked on the broker's log, as an open
	// dashboard's are between deltas.
	open := func() {
		for i := range n {
			c, _ := rawUpgrade(t, addr, fmt.Sprintf("dGhlIHNhbXBsZSBub25jZSE%03d=", i%1000), nil)
			conns = append(conns, c)
		}
		require.Eventually(t, func() bool {
			return testutil.ToFloat64(f.srv.metrics.clients) == float64(len(conns)) &&
				testutil.ToFloat64(f.srv.metrics.messagesSent) >= float64(2*len(conns))
		}, 10*time.Second, time.Millisecond)
	}
	// Measured between n and 2n connections, not from none: what the
	// process held before (earlier tests' servers winding down, pools,
	// the first connection's one-time costs) is not the connections'.
	open()
	heap0, stacks0, g0 := held()
	open()
	heap, stacks, g := held()
	perConn := float64(heap-heap0) / n
	t.Logf("a connection: %.0f B of heap, %.0f B of stacks, %.2f goroutines",
		perConn, float64(stacks-stacks0)/n, float64(g-g0)/n)
	require.Positive(t, perConn, "the heap grew with the connections")
	require.Less(t, perConn, 14.0*1024, "the heap an open connection holds")
	require.LessOrEqual(t, g-g0, 2*n+10, "two goroutines a connection (and a few of the server's own)")
}

// A client that sends its first frame in the same write as its handshake
// (nothing stops one) is read in order: the bytes fasthttp read past the
// request stay in its reader, which the connection then keeps and reads
// first, so the frame is answered.
func TestAFrameSentWithTheHandshakeIsRead(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c, br := rawUpgrade(t, strings.TrimPrefix(f.base, "http://"), "dGhlIHNhbXBsZSBub25jZQ==",
		clientFrame(true, opPing, []byte("early")))
	defer c.Close()
	for { // hello, snapshot and the pong, in whatever order
		var head [2]byte
		_, err := io.ReadFull(br, head[:])
		require.NoError(t, err, "the pong never came")
		size := int64(head[1] & 0x7f)
		switch size {
		case 126:
			var ext [2]byte
			_, err = io.ReadFull(br, ext[:])
			size = int64(binary.BigEndian.Uint16(ext[:]))
		case 127:
			var ext [8]byte
			_, err = io.ReadFull(br, ext[:])
			size = int64(binary.BigEndian.Uint64(ext[:]))
		}
		require.NoError(t, err)
		payload := make([]byte, size)
		_, err = io.ReadFull(br, payload)
		require.NoError(t, err)
		if head[0]&0x0f == opPong {
			require.Equal(t, "early", string(payload))
			return
		}
	}
}

// rawUpgrade opens a WebSocket at addr's /ws with a hand-written handshake
// (key: Sec-WebSocket-Key), written in one write with the bytes of after,
// and returns the connection, reads on it bounded to 10 s, and the reader
// the 101 answer was read with (it may hold what followed). The caller
// closes the connection.
func rawUpgrade(t *testing.T, addr, key string, after []byte) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	req := fmt.Sprintf("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", addr, key)
	_, err = c.Write(append([]byte(req), after...))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	br := bufio.NewReaderSize(c, 256)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	return c, br
}
