package dashboard

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
)

// Issue 14 (trial 14 round 7, N3) over real sockets: once an address's
// connections were cut as slow more often than its budget, its next
// handshakes beyond the suspect burst are held, then refused with 429,
// Retry-After and a JSON error, and counted; the gauge shows the address.
// Without the budget, every one of them was upgraded, given a snapshot and
// a mailbox, and cut again.
func TestSlowCutAddressRefused(t *testing.T) {
	const cuts = 3
	f := newFixture(t, fixtureOptions{
		agg: func(o *aggregator.Options) { o.MailboxSize = 8 },
		dash: func(o *Options) {
			o.WebSocket.SlowWriteGrace = 100 * time.Millisecond
			o.WebSocket.SlowCutBurst = cuts - 1
			o.WebSocket.SlowCutRate = 0.001
			o.WebSocket.SuspectBurst = 1
			o.WebSocket.SuspectRate = 0.001
			o.WebSocket.SuspectHold = 200 * time.Millisecond
		},
	})
	f.pushAndWait(1, 0)
	for range cuts {
		c := f.dialSmallBuffer()
		c.readType("hello") // then never reads again
	}
	slow := f.srv.metrics.disconnects.WithLabelValues(disconnectSlow)
	for i := 0; testutil.ToFloat64(slow) < cuts; i++ {
		require.Less(t, i, 5000, "the stalled clients were never cut")
		f.pushAndWait(100, float64(i))
	}
	require.Eventually(t, func() bool { return f.srv.slowCuts.suspects() == 1 }, 5*time.Second, time.Millisecond)

	c := f.dial("", nil) // the suspect burst
	c.readType("hello")
	began := time.Now()
	code, retry, msg := f.refusedHandshake()
	require.GreaterOrEqual(t, time.Since(began), 100*time.Millisecond, "held (at least half of SuspectHold) before the answer")
	require.Equal(t, http.StatusTooManyRequests, code)
	require.NotEmpty(t, retry)
	require.Contains(t, msg, "cut as slow")
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.refused.WithLabelValues(refusedSlowCuts)))
	require.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(`
# HELP pulseboard_ws_slow_suspect_addresses Client addresses (IPv6: /64s) whose WebSocket connections were cut as slow or stalled faster than their budget: their handshakes are let in at a bounded rate, the others refused with 429 (pulseboard_ws_handshakes_refused_total{reason="slow_cuts"}).
# TYPE pulseboard_ws_slow_suspect_addresses gauge
pulseboard_ws_slow_suspect_addresses 1
`), "pulseboard_ws_slow_suspect_addresses"))
}

// A refused handshake held when the server stops is answered at once: the
// hold does not hold up the shutdown.
func TestSlowCutHoldEndsOnShutdown(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.WebSocket.SuspectHold = time.Hour
	}})
	key := mustKey(t, "127.0.0.1")
	for range defaultSlowCutBurst + 1 {
		f.srv.slowCuts.cut(key)
	}
	for range defaultSuspectBurst {
		ok, _ := f.srv.slowCuts.admit(key)
		require.True(t, ok)
	}
	answered := make(chan error, 1)
	go func() {
		_, err := f.tryDial("", nil)
		answered <- err
	}()
	require.Eventually(t, func() bool { return len(f.srv.slowCuts.refusals.held) == 1 }, 5*time.Second, time.Millisecond)
	began := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- f.stop() }()
	select {
	case err := <-answered:
		require.Error(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the held handshake was not answered when the server stopped")
	}
	require.NoError(t, <-stopped)
	require.Less(t, time.Since(began), 10*time.Second)
}
