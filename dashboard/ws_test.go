package dashboard

import (
	"bytes"
	"fmt"
	dto "github.com/prometheus/client_model/go"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// The hello names the server instance: the same for every client of one
// server, different for another, so a page can tell a restarted server
// whose seq happens to match its own.
func TestStreamHelloNamesTheInstance(t *testing.T) {
	first := newFixture(t, fixtureOptions{})
	a := first.dial("", nil).readType("hello").hello().Instance
	require.Equal(t, a, first.dial("", nil).readType("hello").hello().Instance)
	second := newFixture(t, fixtureOptions{})
	require.NotEqual(t, a, second.dial("", nil).readType("hello").hello().Instance)
}

func TestStreamHelloSnapshotDeltas(t *testing.T) {
	made := time.Now().UnixMilli()
	var observed atomic.Int64 // OnDelivery's calls
	f := newFixture(t, fixtureOptions{agg: func(o *aggregator.Options) {
		o.Windows = []time.Duration{30 * time.Second, time.Minute, 5 * time.Minute}
		o.History = 10 * time.Minute
	}, dash: func(o *Options) {
		o.OnDelivery = func(d time.Duration) {
			if d >= 0 && d < time.Minute {
				observed.Add(1)
			}
		}
	}})
	seq := f.pushAndWait(3, 1)

	c := f.dial("", nil)
	hello := c.readType("hello").hello()
	require.Equal(t, "test", hello.Version)
	require.Equal(t, protocol.Version, hello.Protocol)
	require.Regexp(t, `^[0-9a-f]{16}$`, hello.Instance)
	require.Equal(t, []string{"30s", "1m", "5m"}, hello.Windows)
	require.Equal(t, int64(600), hello.HistorySeconds)
	require.GreaterOrEqual(t, hello.Started, made, "when the server started: the points before are an earlier run's")
	require.LessOrEqual(t, hello.Started, time.Now().UnixMilli())

	snap := c.readType("snapshot")
	require.Equal(t, seq, snap.Seq)
	require.Len(t, snap.snapshot().Series, 3)

	f.pushAndWait(3, 2)
	last := f.pushAndWait(3, 3)
	deltas := c.readUntilSeq(snap.Seq, last)
	require.NotEmpty(t, deltas)
	for _, d := range deltas {
		require.Contains(t, string(d.raw), `"points"`)
	}
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.clients))
	// A message is counted once its write returned, which may be after
	// the client read it: wait for the counts.
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.srv.metrics.messagesSent) >= float64(2+len(deltas))
	}, 5*time.Second, time.Millisecond, "hello, snapshot and every delta counted as sent")
	// Every delta written is timed from its ts.
	var h dto.Metric
	require.Eventually(t, func() bool {
		require.NoError(t, f.srv.metrics.delivery.Write(&h))
		return h.GetHistogram().GetSampleCount() >= uint64(len(deltas))
	}, 5*time.Second, time.Millisecond)
	require.Less(t, h.GetHistogram().GetSampleSum()/float64(h.GetHistogram().GetSampleCount()), 5.0, "seconds from build to write, on loopback")
	require.Eventually(t, func() bool {
		require.NoError(t, f.srv.metrics.delivery.Write(&h))
		return uint64(observed.Load()) == h.GetHistogram().GetSampleCount()
	}, 5*time.Second, time.Millisecond, "OnDelivery sees every delay the histogram does")
}

func TestStreamResume(t *testing.T) {
	// The resume message is sent right after the dial; the tests' 50 ms
	// grace for it was passed on a loaded machine, and a snapshot came.
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.WebSocket.ResumeGrace = 5 * time.Second }})
	f.pushAndWait(2, 1)
	c := f.dial("resume=0", nil) // a snapshot at once, without the grace
	c.readType("hello")
	seen := c.readType("snapshot").Seq
	require.NoError(t, c.conn.Close())

	// Missed while away.
	f.pushAndWait(2, 2)
	last := f.pushAndWait(2, 3)

	t.Run("message", func(t *testing.T) {
		c := f.dial("", nil)
		c.send(fmt.Sprintf(`{"type":"resume","seq":%d}`, seen))
		c.readType("hello")
		c.t = t
		got := c.readUntilSeq(seen, last) // deltas only: a snapshot would fail here
		require.Equal(t, seen+1, got[0].first())
	})
	t.Run("query", func(t *testing.T) {
		c := f.dial(fmt.Sprintf("resume=%d", seen), nil)
		c.t = t
		c.readType("hello")
		c.readUntilSeq(seen, last)
	})
	t.Run("up to date", func(t *testing.T) {
		c := f.dial(fmt.Sprintf("resume=%d", last), nil)
		c.t = t
		c.readType("hello")
		next := f.pushAndWait(2, 4)
		c.readUntilSeq(last, next)
	})
	t.Run("too old", func(t *testing.T) {
		// A sequence the broker no longer holds gets a snapshot.
		c := f.dial("resume=1000000", nil)
		c.t = t
		c.readType("hello")
		c.readType("snapshot")
	})
	t.Run("bad query", func(t *testing.T) {
		_, err := f.tryDial("resume=abc", nil)
		require.ErrorContains(t, err, "status 400")
	})
}

func TestClientMessagesIgnoredAndCounted(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.dial("resume=0", nil)
	c.readType("hello")
	snap := c.readType("snapshot")

	c.send(`{"type":"subscribe","topic":"x"}`)
	c.send(`not json`)
	c.send(`{"type":"resume"}`)
	c.send(`{"type":"resume","seq":0,"pad":"` + strings.Repeat("x", 5000) + `"}`)

	// The connection still streams.
	last := f.pushAndWait(1, 1)
	c.readUntilSeq(snap.Seq, last)
	ignored := func(reason string) float64 {
		return testutil.ToFloat64(f.srv.metrics.ignored.WithLabelValues(reason))
	}
	require.Eventually(t, func() bool { return ignored(ignoredOversized) == 1 }, 5*time.Second, time.Millisecond)
	require.Equal(t, 1.0, ignored(ignoredUnknown))
	require.Equal(t, 2.0, ignored(ignoredMalformed))
}

func TestMessageOverReadLimitCloses1009(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.dial("resume=0", nil)
	c.readType("hello")
	c.send(strings.Repeat("x", 65<<10))
	require.Equal(t, websocket.CloseMessageTooBig, c.closeCode())
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectTooBig)) == 1
	}, 5*time.Second, time.Millisecond)
}

func TestFloodingClientClosed1008(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.dial("resume=0", nil)
	c.readType("hello")
	// Well past the burst of 40 at once; the writes may fail once closed.
	for range 200 {
		if c.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"noise"}`)) != nil {
			break
		}
	}
	require.Equal(t, websocket.ClosePolicyViolation, c.closeCode())
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectFlood)) == 1
	}, 5*time.Second, time.Millisecond)
}

// The flood's 1008 must reach the peer whatever the writer is doing when
// the reader decides: here it waits for an admission turn (every turn is
// held), a wait the connection's end cuts short.
func TestFloodWhileWriterWaitsForTurnClosed1008(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.WebSocket.AdmitTurns = 1
		o.WebSocket.ResumeGrace = time.Minute // the writer waits for the resume below
		o.WebSocket.MaxResumes = 1000         // the messages' rate is what ends it here
	}})
	c := f.dial("", nil)
	c.readType("hello")
	f.srv.admit.turns <- struct{}{} // the only turn, once the hello's is back
	// The first resume sends the writer to its snapshot, which waits for
	// the turn; the rest are the flood.
	for range 200 {
		if c.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"resume","seq":0}`)) != nil {
			break
		}
	}
	require.Equal(t, websocket.ClosePolicyViolation, c.closeCode())
	<-f.srv.admit.turns // the handler's reset of a newcomer takes a turn
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectFlood)) == 1
	}, 5*time.Second, time.Millisecond)
}

// A resume costs a subscription under the aggregator's lock and, from seq
// 0, a whole snapshot: 19 a second, under the message rate, took most of
// a core and sent one client 813 MB in 10 s. Past MaxResumes within
// ResyncWindow the client is closed with 1008, counted as resumes; those
// within it are each answered.
func TestResumeSpamClosed1008(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.WebSocket.MaxResumes = 3
		o.WebSocket.ResyncWindow = time.Hour // no refill within the test
	}})
	c := f.dial("resume=0", nil)
	c.readType("hello")
	c.readType("snapshot")
	for range 3 {
		require.NoError(t, c.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"resume","seq":0}`)))
		for c.read().Type != "snapshot" { // deltas published meanwhile come first
		}
	}
	require.NoError(t, c.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"resume","seq":0}`)))
	require.Equal(t, websocket.ClosePolicyViolation, c.closeCode())
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectResumes)) == 1
	}, 5*time.Second, time.Millisecond)
}

func TestFloodLimit(t *testing.T) {
	o := WebSocketOptions{}
	o.setDefaults()
	lim := newFloodLimit(&o)
	start := time.Unix(0, 0)
	for range 40 {
		require.True(t, lim.AllowN(start, 1))
	}
	require.False(t, lim.AllowN(start, 1), "burst spent")
	require.True(t, lim.AllowN(start.Add(50*time.Millisecond), 1), "one message every 50ms at 20/s")
	require.False(t, lim.AllowN(start.Add(50*time.Millisecond), 1))
	// 20 messages a second forever is fine.
	now := start.Add(time.Second)
	for i := range 200 {
		require.True(t, lim.AllowN(now.Add(time.Duration(i)*50*time.Millisecond), 1), "message %d", i)
	}
	// 25 a second is not: the burst runs out, once.
	now = now.Add(200 * 50 * time.Millisecond)
	refused := 0
	for i := range 400 {
		if !lim.AllowN(now.Add(time.Duration(i)*40*time.Millisecond), 1) {
			refused++
		}
	}
	require.Positive(t, refused, "a sustained 25/s runs the budget dry")
}

func TestDeadPeerDetected(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		// A pong wait a loaded machine (and -race) cannot miss for a
		// client that reads, still short for the test.
		o.WebSocket.PingInterval = 50 * time.Millisecond
		o.WebSocket.PongWait = time.Second
	}})
	// This client never reads, so it never answers a ping: to the server
	// it is a dead peer.
	f.dial("resume=0", nil)
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectDeadPeer)) == 1
	}, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, 0.0, testutil.ToFloat64(f.srv.metrics.clients))

	// A client that reads answers the pings and stays.
	c := f.dial("", nil)
	c.readType("hello")
	c.readType("snapshot")
	_, err := c.tryRead(2500 * time.Millisecond) // nothing is published: only pings flow, past two pong waits
	require.Error(t, err)
	var nerr interface{ Timeout() bool }
	require.ErrorAs(t, err, &nerr)
	require.True(t, nerr.Timeout(), "the read timed out rather than the server closing: %v", err)
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.clients))
}

func TestManyClientsGetTheSameDelta(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	start := f.pushAndWait(5, 1)
	const n = 200
	clients := make([]*wsClient, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := f.tryDial("", nil)
			if err != nil {
				errs <- err
				return
			}
			clients[i] = c
			for _, typ := range []string{"hello", "snapshot"} {
				fr, err := c.tryRead(10 * time.Second)
				if err == nil && fr.Type != typ {
					err = fmt.Errorf("got %s, want %s", fr.Type, typ)
				}
				if err == nil && typ == "snapshot" && fr.Seq != start {
					err = fmt.Errorf("snapshot at %d, want %d", fr.Seq, start)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, float64(n), testutil.ToFloat64(f.srv.metrics.clients))

	next := f.pushAndWait(5, 2)
	require.Equal(t, start+1, next)
	var want []byte
	for i, c := range clients {
		fr := c.readType("delta")
		require.Equal(t, next, fr.Seq, "client %d", i)
		if want == nil {
			want = fr.raw
		}
		require.True(t, bytes.Equal(want, fr.raw), "client %d got other bytes", i)
	}
}

// Clients connecting close together share one snapshot; one that comes
// after a delta gets that snapshot and then the delta, never a gap.
func TestSharedSnapshotThenDeltas(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	first := f.pushAndWait(2, 1)
	a := f.dial("", nil)
	a.readType("hello")
	snapA := a.readType("snapshot")
	require.Equal(t, first, snapA.Seq)

	next := f.pushAndWait(2, 2)
	b := f.dial("", nil)
	b.readType("hello")
	snapB := b.readType("snapshot")
	if snapB.Seq == snapA.Seq {
		require.Equal(t, snapA.raw, snapB.raw, "the same snapshot bytes")
	}
	b.readUntilSeq(snapB.Seq, next)
	a.readUntilSeq(snapA.Seq, next)
}

func TestMaxClientsRefused(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.WebSocket.MaxClients = 2 }})
	for range 2 {
		f.dial("resume=0", nil).readType("hello")
	}
	_, err := f.tryDial("", nil)
	require.ErrorContains(t, err, "status 503")
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.refused.WithLabelValues(refusedCapacity)))
}

func TestHandshakeRefusedWhileClosing(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h := newHub(f.srv, 10)
	h.closeAll(time.Second) // nothing open: returns at once, and the hub now refuses
	require.Equal(t, hubClosing, h.state())
	c := &client{}
	require.False(t, h.add(c))
}

// panicFeed is a feed whose stream breaks with a panic.
type panicFeed struct{ *aggregator.Aggregator }

func (panicFeed) Subscribe(uint64) *aggregator.Subscription { panic("broken feed") }

func TestWriterPanicEndsOnlyItsConnection(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.Feed = panicFeed{o.Feed.(*aggregator.Aggregator)}
	}})
	c := f.dial("resume=5", nil)
	c.readType("hello")
	require.Equal(t, websocket.CloseAbnormalClosure, c.closeCode())
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectInternal)) == 1
	}, 5*time.Second, time.Millisecond)
	code, _, _ := f.httpDo("GET", "/healthz", nil, nil)
	require.Equal(t, 200, code, "the server keeps serving")
}
