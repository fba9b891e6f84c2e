package dashboard

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
)

// After its close frame the server waits CloseWait for the peer's answer,
// and no more, whatever the peer sends meanwhile: each test below has a
// peer that never answers and keeps sending, and sees the TCP connection
// end within the grace (measured from the close frame's arrival, which
// follows the decision; the slack is for a loaded machine).

const (
	testCloseWait = 300 * time.Millisecond
	closeSlack    = 700 * time.Millisecond
)

// closingFixture serves with a short CloseWait and a read budget far above
// what the floods below send (60 KB/s), so that only the closing handshake
// can end them.
func closingFixture(t *testing.T, more func(*Options)) *fixture {
	return newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.WebSocket.CloseWait = testCloseWait
		o.ReadRate, o.WebSocket.ReadRate = 1<<20, 1<<20
		if more != nil {
			more(o)
		}
	}})
}

// emptyText is the smallest data frame a client can send: 6 bytes.
var emptyText = clientFrame(true, opText, nil)

// expectEndWithinGrace checks the close code and that the connection
// ended within CloseWait (and slack) of the close frame.
func expectEndWithinGrace(t *testing.T, p *rawPeer, code int) rawEnd {
	t.Helper()
	end := p.awaitEnd(t, 10*time.Second)
	require.Equal(t, code, end.code, "close code")
	require.False(t, end.closeAt.IsZero())
	took := end.endAt.Sub(end.closeAt)
	require.Less(t, took, testCloseWait+closeSlack, "connection open %v after the close frame", took)
	return end
}

// The trial's case: empty text frames past the message rate (1008
// flood), and on and on after the close.
func TestFloodCloseEndsWithinCloseWait(t *testing.T) {
	f := closingFixture(t, nil)
	p := f.dialRawPeer("resume=0")
	<-p.hello
	stop := make(chan struct{})
	sent := p.flood(emptyText, 60, time.Millisecond, stop)
	expectEndWithinGrace(t, p, websocket.ClosePolicyViolation)
	close(stop)
	n := <-sent
	f.expectDisconnect(t, disconnectFlood)
	frames, bytes := f.droppedAfterClose()
	require.Positive(t, frames, "frames after the close are counted")
	require.LessOrEqual(t, frames, float64(n))
	require.Equal(t, float64(len(emptyText))*frames, bytes)
}

// Another path to a close decided by the reader: invalid UTF-8 (1007),
// then the same flood. The close frame comes at once, before any delta
// pushed after the bad message was sent.
func TestInvalidUTF8CloseEndsWithinCloseWait(t *testing.T) {
	f := closingFixture(t, nil)
	p := f.dialRawPeer("resume=0")
	<-p.hello
	require.NoError(t, p.send(clientFrame(true, opText, []byte("{\"type\":\"\xc3\x28\"}"))))
	stop := make(chan struct{})
	sent := p.flood(emptyText, 60, time.Millisecond, stop)
	expectEndWithinGrace(t, p, websocket.CloseInvalidFramePayloadData)
	close(stop)
	<-sent
	f.expectDisconnect(t, disconnectInvalidUTF8)
	frames, _ := f.droppedAfterClose()
	require.Positive(t, frames)
}

// The 1007 close goes at once, while deltas flow (the trial saw the
// connection end 1.1-1.4 s later: that was the wait for a close the peer
// never sent, now CloseWait); a peer that answers it is let go at once.
func TestInvalidUTF8ClosedAtOnceAmidDeltas(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.WebSocket.CloseWait = time.Minute }})
	p := f.dialRawPeer("") // no ?resume: the resume grace, then a snapshot
	<-p.hello
	stop := make(chan struct{})
	pushed := f.pushEvery(time.Millisecond, stop)
	require.Eventually(t, func() bool { return p.texts.Load() >= 5 }, 10*time.Second, time.Millisecond,
		"deltas flow") // hello, snapshot, deltas
	sentAt := time.Now()
	require.NoError(t, p.send(clientFrame(true, opText, []byte("{\"type\":\"\xc3\x28\"}"))))
	select {
	case <-p.gotClose:
	case <-time.After(10 * time.Second):
		t.Fatal("no close frame")
	}
	closeTook := time.Since(sentAt)
	require.NoError(t, p.send(clientFrame(true, opClose, []byte{0x03, 0xef}))) // 1007 back
	end := p.awaitEnd(t, 10*time.Second)
	close(stop)
	<-pushed
	t.Logf("close frame %v after the bad message, connection ended %v after it", closeTook, end.endAt.Sub(end.closeAt))
	require.Equal(t, websocket.CloseInvalidFramePayloadData, end.code)
	require.Less(t, closeTook, 250*time.Millisecond)
	require.Less(t, end.endAt.Sub(end.closeAt), 5*time.Second, "answered: no wait for CloseWait")
	f.expectDisconnect(t, disconnectInvalidUTF8)
}

// pushEvery pushes a sample of its own series each tick until stop; the
// returned channel is closed when it stopped.
func (f *fixture) pushEvery(tick time.Duration, stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	var clock int64
	go func() {
		defer close(done)
		ticker := time.NewTicker(tick)
		defer ticker.Stop()
		for {
			clock = max(clock+1, time.Now().UnixMilli())
			f.agg.Push(context.Background(), aggregator.Batch{Source: "pusher", Samples: []aggregator.Sample{
				{Metric: "m", TimeMs: clock, Value: float64(clock)}}})
			select {
			case <-stop:
				return
			case <-ticker.C:
			}
		}
	}()
	return done
}

// The read budget stays in force while the server waits for the peer's
// close, its burst cut to closingBurst: a flood past it ends the
// connection at once, long before the grace, is counted as over budget,
// and what was dropped meanwhile is within that burst.
func TestReadBudgetHoldsAfterClose(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.WebSocket.CloseWait = time.Minute // only the budget can end it
		o.WebSocket.ReadRate = 1 << 10
	}})
	p := f.dialRawPeer("resume=0")
	<-p.hello
	stop := make(chan struct{})
	// 6 MB/s: the budget is gone within a few ms.
	sent := p.flood(emptyText, 1000, time.Millisecond, stop)
	end := p.awaitEnd(t, 20*time.Second)
	require.Equal(t, websocket.ClosePolicyViolation, end.code)
	close(stop)
	<-sent
	f.expectDisconnect(t, disconnectFlood)
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.readBudget))
	_, bytes := f.droppedAfterClose()
	require.Positive(t, bytes)
	require.LessOrEqual(t, bytes, float64(closingBurst+2<<10), "dropped bytes within the closing burst")
}

// A peer that answers the close, as browsers do, ends the connection at
// once: the grace is a bound, not a wait.
func TestAnsweredCloseEndsAtOnce(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.WebSocket.CloseWait = time.Minute }})
	c := f.dial("resume=0", nil)
	c.readType("hello")
	require.NoError(t, c.conn.WriteMessage(websocket.BinaryMessage, []byte{1}))
	require.Equal(t, websocket.CloseUnsupportedData, c.closeCode()) // the library answers it
	_ = c.conn.NetConn().SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := c.conn.NetConn().Read(make([]byte, 1))
	var ne net.Error
	require.Error(t, err)
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "the server kept the connection open after both closes")
	f.expectDisconnect(t, disconnectBinary)
}

// Shutdown closes every connection with 1001 and ends within CloseWait,
// one already closing (a flood still pouring in) included: none holds it
// until the cut at half ShutdownTimeout.
func TestShutdownDoesNotWaitForClosing(t *testing.T) {
	f := closingFixture(t, func(o *Options) { o.ShutdownTimeout = 20 * time.Second })
	quiet := f.dialRawPeer("resume=0") // reads, never answers a close
	<-quiet.hello
	pinger := f.dialRawPeer("resume=0") // a steady ping stream, never a close
	<-pinger.hello
	stop := make(chan struct{})
	pings := pinger.flood(clientFrame(true, opPing, nil), 1, 100*time.Millisecond, stop)
	flooder := f.dialRawPeer("resume=0")
	<-flooder.hello
	sent := flooder.flood(emptyText, 60, time.Millisecond, stop)
	<-flooder.gotClose // closing: its grace runs

	start := time.Now()
	require.NoError(t, f.stop())
	took := time.Since(start)
	require.Less(t, took, testCloseWait+closeSlack, "shutdown took %v", took)
	for _, p := range []*rawPeer{quiet, pinger} {
		require.Equal(t, websocket.CloseGoingAway, p.awaitEnd(t, 5*time.Second).code)
	}
	require.Equal(t, websocket.ClosePolicyViolation, flooder.awaitEnd(t, 5*time.Second).code)
	close(stop)
	<-sent
	<-pings
	require.Equal(t, 2.0, testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectShutdown)))
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectFlood)))
}

// expectDisconnect waits for one disconnect counted with reason.
func (f *fixture) expectDisconnect(t *testing.T, reason string) {
	t.Helper()
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(reason)) == 1
	}, 10*time.Second, time.Millisecond, "disconnect %q counted", reason)
}

// droppedAfterClose reads the after-close counters.
func (f *fixture) droppedAfterClose() (frames, bytes float64) {
	return testutil.ToFloat64(f.srv.metrics.droppedFrames), testutil.ToFloat64(f.srv.metrics.droppedBytes)
}
