package dashboard

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
)

// refusedHandshake dials and expects a refusal: its status, Retry-After
// and JSON error.
func (f *fixture) refusedHandshake() (int, string, string) {
	f.t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(f.ws, nil)
	if conn != nil {
		conn.Close()
	}
	require.Error(f.t, err)
	require.NotNil(f.t, resp, "refused with an HTTP answer: %v", err)
	defer resp.Body.Close()
	var body struct{ Error string }
	require.NoError(f.t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, resp.Header.Get("Retry-After"), body.Error
}

// holdAllTurns takes every admission turn with no hold timer, as newcomer
// work that does not end would; the returned func gives them back.
func (f *fixture) holdAllTurns() func() {
	for range cap(f.srv.admit.turns) {
		f.srv.admit.turns <- struct{}{}
	}
	return func() {
		for range cap(f.srv.admit.turns) {
			<-f.srv.admit.turns
		}
	}
}

// A handshake that finds every turn taken waits in the queue and is served
// when a turn is free; one beyond the queue is refused at once with 503
// and Retry-After, and counted.
func TestHandshakeQueuedThenAdmittedAndQueueFullRefused(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.WebSocket.AdmitTurns, o.WebSocket.AdmitQueue, o.WebSocket.AdmitWait = 1, 1, time.Minute
	}})
	free := f.holdAllTurns()
	queued := make(chan *wsClient, 1)
	go func() {
		c, err := f.tryDial("", nil)
		if err != nil {
			t.Errorf("queued handshake: %v", err)
		}
		queued <- c
	}()
	require.Eventually(t, func() bool { return testutil.ToFloat64(f.srv.metrics.admissionWaiting) == 1 },
		5*time.Second, time.Millisecond)

	code, retry, msg := f.refusedHandshake()
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "2", retry)
	require.Equal(t, "too many new connections", msg)
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.refused.WithLabelValues(refusedAdmitQueue)))
	require.Empty(t, queued, "still waiting")

	free()
	c := <-queued
	require.NotNil(t, c)
	c.readType("hello")
	c.readType("snapshot")
	require.Equal(t, 0.0, testutil.ToFloat64(f.srv.metrics.admissionWaiting))
	require.Zero(t, testutil.ToFloat64(f.srv.metrics.refused.WithLabelValues(refusedAdmitTimeout)))
}

// A handshake that waits AdmitWait without a turn is refused with 503 and
// Retry-After, and counted; its wait is in the histogram.
func TestHandshakeRefusedAfterAdmitWait(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.WebSocket.AdmitTurns, o.WebSocket.AdmitWait = 1, 50*time.Millisecond
	}})
	free := f.holdAllTurns()
	defer free()
	code, retry, _ := f.refusedHandshake()
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "2", retry)
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.refused.WithLabelValues(refusedAdmitTimeout)))
	n, sum := waitHistogram(t, f.srv.metrics)
	require.Equal(t, uint64(1), n)
	require.GreaterOrEqual(t, sum, 0.05)
	require.Zero(t, testutil.ToFloat64(f.srv.metrics.clients))
}

// Issue 14: a client that answered its first ping writes without turns,
// so newcomers that hold or wait for every turn (here: all taken) never
// delay it; a client that never reads stays a newcomer, its writes
// waiting. Stopping the server ends the wait; the newcomer's reset then
// takes a turn, once one is given back.
func TestSettledClientsNeverWaitForTurns(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.WebSocket.AdmitTurns = 1 }})
	start := f.pushAndWait(10, 0)
	reader := f.dial("", nil)
	reader.readType("hello")
	require.Equal(t, start, reader.readType("snapshot").Seq) // the ping before it was answered
	require.Eventually(t, func() bool { return testutil.ToFloat64(f.srv.metrics.newcomers) == 0 },
		5*time.Second, time.Millisecond, "the reader settled")

	stalled := f.dialSmallBuffer()
	stalled.readType("hello") // and nothing after: its ping is never answered
	require.Eventually(t, func() bool { return f.agg.Subscribers() == 2 }, 5*time.Second, time.Millisecond)

	free := f.holdAllTurns()
	fl := follow(reader, start)
	for i := range 20 {
		fl.reached(t, f.pushAndWait(10, float64(i+1)))
	}
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.newcomers), "the stalled client is a newcomer still")
	require.Equal(t, 2.0, testutil.ToFloat64(f.srv.metrics.clients))

	stopped := make(chan error, 1)
	go func() { stopped <- f.stop() }()
	<-fl.done // the reader's writer is closed at once
	free()
	require.NoError(t, <-stopped)
	require.Equal(t, 0.0, testutil.ToFloat64(f.srv.metrics.newcomers))
	require.Equal(t, 0.0, testutil.ToFloat64(f.srv.metrics.clients))
}

// A newcomer the broker drops before it answered its first ping has read
// nothing for a mailbox's worth of deltas: it is reset, without a close
// frame it would not read, and counted as slow; not resynced with a
// snapshot (a thousand resyncs at once would each subscribe under the
// aggregator's lock). Its reset gives its turn back.
func TestNewcomerDroppedIsCutNotResynced(t *testing.T) {
	f := newFixture(t, fixtureOptions{
		agg:  func(o *aggregator.Options) { o.MailboxSize = 2 },
		dash: func(o *Options) { o.WebSocket.AdmitTurns = 1 },
	})
	f.pushAndWait(10, 0)
	stalled := f.dial("", nil)
	stalled.readType("hello") // its ping stays unread until the end
	free := f.holdAllTurns()  // its next write waits for a turn
	for i := 0; testutil.ToFloat64(f.srv.metrics.slowDrops) == 0; i++ {
		require.Less(t, i, 1000, "never dropped")
		f.pushAndWait(10, float64(i+1))
	}
	free()
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectSlow)) == 1
	}, 5*time.Second, time.Millisecond)
	require.Equal(t, websocket.CloseAbnormalClosure, stalled.closeCode(), "no close frame")
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.slowDrops), "dropped once, never resubscribed")
	require.Eventually(t, func() bool { return f.agg.Subscribers() == 0 }, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return testutil.ToFloat64(f.srv.metrics.clients) == 0 },
		5*time.Second, time.Millisecond)
	require.Empty(t, f.srv.admit.turns, "every turn given back")
}
