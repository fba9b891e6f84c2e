package dashboard

import (
	"fmt"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// dialSmallBuffer opens a WebSocket whose socket has a tiny receive buffer,
// so that a client that stops reading stalls the server's writes quickly.
func (f *fixture) dialSmallBuffer() *wsClient {
	f.t.Helper()
	nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	d := websocket.Dialer{NetDialContext: nd.DialContext, ReadBufferSize: 1024, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(f.ws, nil)
	require.NoError(f.t, err)
	resp.Body.Close()
	f.t.Cleanup(func() { conn.Close() })
	return &wsClient{t: f.t, conn: conn}
}

// follower reads a fast client's deltas in the background and stops at
// the first problem: a gap, a merged delta (a fast client must get every
// one), anything but a delta, or a read error.
type follower struct {
	last atomic.Uint64
	done chan error // the reason it stopped
}

func follow(c *wsClient, from uint64) *follower {
	fl := &follower{done: make(chan error, 1)}
	fl.last.Store(from)
	go func() {
		for {
			// Only the header fields are decoded: this client must be fast.
			_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, data, err := c.conn.ReadMessage()
			if err != nil {
				fl.done <- err
				return
			}
			h := protocol.ReadHeader(data)
			last := fl.last.Load()
			switch {
			case h.Type != protocol.TypeDelta:
				fl.done <- fmt.Errorf("fast client got a %s", h.Type)
				return
			case h.Seq != last+1 || h.First() != h.Seq:
				fl.done <- fmt.Errorf("fast client: delta %d..%d after %d", h.First(), h.Seq, last)
				return
			}
			fl.last.Store(h.Seq)
		}
	}()
	return fl
}

// reached waits until the follower has seen seq, failing on its error.
func (fl *follower) reached(t *testing.T, seq uint64) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for fl.last.Load() < seq {
		select {
		case err := <-fl.done:
			t.Fatalf("fast client stopped at seq %d of %d: %v", fl.last.Load(), seq, err)
		case <-deadline:
			t.Fatalf("fast client at seq %d of %d", fl.last.Load(), seq)
		case <-time.After(time.Millisecond):
		}
	}
}

// stallUntilDropped publishes big deltas until the broker drops the slow
// subscriber (the aggregator's subscriber count falls to want).
func (f *fixture) stallUntilDropped(want int) uint64 {
	f.t.Helper()
	for i := 0; f.agg.Subscribers() > want; i++ {
		require.Less(f.t, i, 5000, "the slow client was never dropped")
		f.pushAndWait(100, float64(i))
	}
	return f.agg.Seq()
}

// readResync drains a slow client's backlog: deltas without a gap, then
// the resync snapshot. It returns the snapshot's seq.
func readResync(t *testing.T, c *wsClient, last uint64) uint64 {
	t.Helper()
	for {
		fr := c.read()
		if fr.Type == "snapshot" {
			return fr.Seq
		}
		require.Equal(t, "delta", fr.Type)
		require.Equal(t, last+1, fr.first(), "gap in the slow client's backlog")
		last = fr.Seq
	}
}

func TestSlowClientDroppedFastClientUnaffected(t *testing.T) {
	f := newFixture(t, fixtureOptions{
		agg: func(o *aggregator.Options) { o.MailboxSize = 16 },
		dash: func(o *Options) {
			o.WebSocket.WriteWait = 20 * time.Second // slow, not stuck: the broker decides
			// The client reads again after its drop: its write finishes
			// within the grace, so it is resynced rather than cut.
			o.WebSocket.SlowWriteGrace = 20 * time.Second
			o.WebSocket.MaxResyncs = 1
		},
	})
	start := f.pushAndWait(100, 0)
	fast := f.dial("", nil)
	fast.readType("hello")
	require.Equal(t, start, fast.readType("snapshot").Seq)
	slow := f.dialSmallBuffer()
	slow.readType("hello")
	require.Equal(t, start, slow.readType("snapshot").Seq)
	require.Equal(t, 2, f.agg.Subscribers())

	fl := follow(fast, start)

	// The slow client stops reading: it is dropped, while the fast one
	// keeps getting every delta.
	f.stallUntilDropped(1)
	resynced := readResync(t, slow, start)
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.slowDrops))
	require.Equal(t, 2, f.agg.Subscribers(), "the slow client was resubscribed")

	// Its deltas follow the snapshot.
	next := f.pushAndWait(1, 1)
	slow.readUntilSeq(resynced, next)

	// Dropped once more within the window: closed with 1013.
	f.stallUntilDropped(1)
	require.Equal(t, websocket.CloseTryAgainLater, slow.closeCode())
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectSlow)) == 1
	}, 5*time.Second, time.Millisecond)
	require.Equal(t, 2.0, testutil.ToFloat64(f.srv.metrics.slowDrops))

	fl.reached(t, f.pushAndWait(1, 2))
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.clients))
	require.NoError(t, fast.conn.Close())
	<-fl.done
}

// A client whose socket stays full past WriteWait is cut at once: its
// handler does not wait for the (long) dead-peer timeout.
func TestStuckWriteCutsConnection(t *testing.T) {
	f := newFixture(t, fixtureOptions{
		agg:  func(o *aggregator.Options) { o.MailboxSize = 4096 }, // never dropped by the broker
		dash: func(o *Options) { o.WebSocket.WriteWait = 200 * time.Millisecond },
	})
	stuck := f.dialSmallBuffer()
	stuck.readType("hello")
	for i := 0; testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectWrite)) == 0; i++ {
		require.Less(t, i, 5000, "the write never timed out")
		f.pushAndWait(100, float64(i))
	}
	require.Eventually(t, func() bool { return testutil.ToFloat64(f.srv.metrics.clients) == 0 },
		5*time.Second, time.Millisecond, "the handler ended with its writer")
}

// Issue 14, fault 1 over real sockets: clients that never read, with tiny
// receive buffers, beside a fast one. Each stalled client is dropped by its
// mailbox and cut SlowWriteGrace later, counted as slow, long before the
// write deadline; the fast client gets every delta in order meanwhile, and
// the stalled clients' places are given back.
func TestStalledClientsCutByMailboxNotWriteDeadline(t *testing.T) {
	const stalledN = 20
	f := newFixture(t, fixtureOptions{
		agg: func(o *aggregator.Options) { o.MailboxSize = 8 },
		dash: func(o *Options) {
			o.WebSocket.WriteWait = time.Minute // never the reason here
			o.WebSocket.SlowWriteGrace = 100 * time.Millisecond
		},
	})
	start := f.pushAndWait(100, 0)
	fast := f.dial("", nil)
	fast.readType("hello")
	require.Equal(t, start, fast.readType("snapshot").Seq)
	for range stalledN {
		c := f.dialSmallBuffer()
		c.readType("hello") // then never reads again
	}
	require.Eventually(t, func() bool { return f.agg.Subscribers() == stalledN+1 }, 5*time.Second, time.Millisecond)
	fl := follow(fast, start)

	began := time.Now()
	slow := f.srv.metrics.disconnects.WithLabelValues(disconnectSlow)
	for i := 0; testutil.ToFloat64(slow) < stalledN; i++ {
		require.Less(t, i, 5000, "the stalled clients were never cut")
		f.pushAndWait(100, float64(i))
	}
	took := time.Since(began)
	t.Logf("%d stalled clients cut in %v", stalledN, took)
	require.Less(t, took, 10*time.Second, "cut by the mailbox, not the write deadline (a minute)")
	require.GreaterOrEqual(t, testutil.ToFloat64(f.srv.metrics.slowDrops), float64(stalledN))
	require.Zero(t, testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectWrite)))
	require.Eventually(t, func() bool { return testutil.ToFloat64(f.srv.metrics.clients) == 1 },
		5*time.Second, time.Millisecond, "the stalled clients' handlers ended")

	fl.reached(t, f.pushAndWait(1, 1))
	require.NoError(t, fast.conn.Close())
	<-fl.done
}
