package dashboard

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/stretchr/testify/require"
)

// One message, one prepared frame: every client asking for the same bytes
// gets the same PreparedMessage (so a compressed frame is built once);
// equal bytes elsewhere are another message; an evicted one is prepared
// again.
func TestPreparedCacheSharesFrames(t *testing.T) {
	var pc preparedCache
	msg := []byte(`{"type":"delta","seq":1}`)
	a, err := pc.get(msg)
	require.NoError(t, err)
	b, err := pc.get(msg)
	require.NoError(t, err)
	require.Same(t, a, b)
	c, err := pc.get(append([]byte(nil), msg...))
	require.NoError(t, err)
	require.NotSame(t, a, c, "another slice is another message")
	for range preparedSlots {
		_, err := pc.get([]byte("x"))
		require.NoError(t, err)
	}
	d, err := pc.get(msg)
	require.NoError(t, err)
	require.NotSame(t, a, d, "evicted, prepared again")
}

// A client that offers permessage-deflate gets it, and reads the very
// messages a client without it reads.
func TestStreamCompressed(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.pushAndWait(3, 1)

	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, EnableCompression: true}
	conn, resp, err := d.Dial(f.ws, http.Header{})
	require.NoError(t, err)
	resp.Body.Close()
	t.Cleanup(func() { conn.Close() })
	require.True(t, strings.HasPrefix(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate"),
		"extensions %q", resp.Header.Get("Sec-WebSocket-Extensions"))
	zipped := &wsClient{t: t, conn: conn}
	plain := f.dial("", nil)

	require.Equal(t, plain.readType("hello").raw, zipped.readType("hello").raw)
	ps, zs := plain.readType("snapshot"), zipped.readType("snapshot")
	require.Equal(t, ps.Seq, zs.Seq)
	require.Equal(t, ps.raw, zs.raw, "the shared snapshot")
	last := f.pushAndWait(3, 2)
	pd, zd := plain.readUntilSeq(ps.Seq, last), zipped.readUntilSeq(zs.Seq, last)
	require.Equal(t, len(pd), len(zd))
	for i := range pd {
		require.Equal(t, pd[i].raw, zd[i].raw)
	}
}
