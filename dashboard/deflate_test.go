package dashboard

import (
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
)

// compressedFrame is clientFrame with RSV1 set: the first frame of a
// permessage-deflate message (RFC 7692 §6), its payload taken as is.
func compressedFrame(fin bool, op byte, payload []byte) []byte {
	b := clientFrame(fin, op, payload)
	b[0] |= 0x40
	return b
}

// A compressed message that does not inflate is the peer's fault, of
// every kind the inflater reports (corrupt data, a reserved block type, a
// stored block whose length check fails, a stream that ends mid-block, in
// one frame or in a later fragment): the reader closes it with 1007 (RFC
// 6455 §7.4.1, the code a text message that is not text gets) and counts
// it as "protocol", never as the peer leaving ("peer") with a bare reset.
func TestCorruptDeflateCloses1007(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	cases := map[string][][]byte{
		"corrupt":         {compressedFrame(true, opText, []byte("\xff\xff\xff\xff\x00\x01"))},
		"reserved block":  {compressedFrame(true, opText, []byte{0x07, 0x00})},
		"stored len":      {compressedFrame(true, opText, []byte{0x01, 0x05, 0x00, 0x05, 0x00, 'h', 'e', 'l', 'l', 'o'})},
		"ends mid-block":  {compressedFrame(true, opText, []byte{0x00, 0xe8, 0x03, 0x17, 0xfc, 'a'})},
		"corrupt in tail": {compressedFrame(false, opText, []byte{0x00}), clientFrame(true, opContinuation, []byte("\xff\xff\xff\xff\x00\x01"))},
	}
	n := 0
	for name, frames := range cases {
		c := f.dialCompressed("resume=0")
		c.readType("hello")
		require.NoError(t, c.sendRaw(frames...), name)
		require.Equal(t, websocket.CloseInvalidFramePayloadData, c.closeCode(), name)
		c.conn.Close()
		n++
		require.Eventually(t, func() bool {
			return testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectProtocol)) == float64(n)
		}, 5*time.Second, time.Millisecond, name)
	}
	require.Zero(t, testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectPeer)))
}

// A peer that leaves amid a compressed message is the peer leaving, not a
// message that does not inflate: the inflater passes the network's end
// on as the library's 1006, which isInflateError does not take.
func TestPeerLeavingAmidCompressedMessageIsPeer(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.dialCompressed("resume=0")
	c.readType("hello")
	// A stored block that promises 1000 bytes, then half a frame of them.
	frame := compressedFrame(true, opText, append([]byte{0x00, 0xe8, 0x03, 0x17, 0xfc}, make([]byte, 100)...))
	require.NoError(t, c.sendRaw(frame[:len(frame)-50]))
	require.NoError(t, c.conn.NetConn().Close())
	// Counted once, under some reason, then that reason must be peer (a
	// delta written to the closed socket may fail first: writeErrorReason).
	require.Eventually(t, func() bool {
		return countDisconnects(f) == 1
	}, 10*time.Second, time.Millisecond)
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectPeer)),
		"counted as: %v", disconnectsByReason(f))
}

// disconnectsByReason is pulseboard_ws_disconnects_total by reason, the
// zeros left out.
func disconnectsByReason(f *fixture) map[string]float64 {
	out := map[string]float64{}
	ch := make(chan prometheus.Metric, 64)
	go func() { f.srv.metrics.disconnects.Collect(ch); close(ch) }()
	for m := range ch {
		var pb dto.Metric
		if m.Write(&pb) == nil && pb.GetCounter().GetValue() > 0 {
			out[pb.GetLabel()[0].GetValue()] = pb.GetCounter().GetValue()
		}
	}
	return out
}

func countDisconnects(f *fixture) float64 {
	n := 0.0
	for _, v := range disconnectsByReason(f) {
		n += v
	}
	return n
}
