package dashboard

import (
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
)

// A client that never reads is cut as stalled once it has taken nothing
// for StallAfter, long before the kernel's buffers would fill and the
// broker's mailbox would drop it; a client that reads slowly but steadily
// is not, and the fast reader beside them gets every delta.
func TestNeverReadingClientCutAsStalled(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the kernel is asked with SIOCOUTQ, Linux only")
	}
	f := newFixture(t, fixtureOptions{
		agg: func(o *aggregator.Options) { o.MailboxSize = 4096 }, // never dropped by the broker
		dash: func(o *Options) {
			o.WebSocket.StallAfter = 300 * time.Millisecond
			o.WebSocket.WriteWait = time.Minute // the deadline is not what cuts it
		},
	})
	start := f.pushAndWait(10, 0)
	fast := f.dial("", nil)
	fast.readType("hello")
	require.Equal(t, start, fast.readType("snapshot").Seq)
	fl := follow(fast, start)

	stalled := f.dialSmallBuffer()
	stalled.readType("hello")
	stalled.readType("snapshot")
	// From here it reads nothing. A steady reader takes one message each
	// round, slower than they come.
	steady := f.dialSmallBuffer()
	steady.readType("hello")
	steady.readType("snapshot")

	// A dashboard's pace, not a flood: the kernel's buffers would take
	// seconds to fill (a writer blocked on a full socket is dropWatch's
	// to cut, not this watch's).
	cut := f.srv.metrics.disconnects.WithLabelValues(disconnectStalled)
	began := time.Now()
	pace := time.NewTicker(20 * time.Millisecond)
	defer pace.Stop()
	var round int
	deadline := time.Now().Add(30 * time.Second)
	for testutil.ToFloat64(cut) == 0 {
		require.True(t, time.Now().Before(deadline), "the never-reading client was not cut")
		<-pace.C
		round++
		f.pushAndWait(5, float64(round))
		require.NoError(t, steady.conn.SetReadDeadline(time.Now().Add(5*time.Second)))
		_, _, err := steady.conn.ReadMessage()
		require.NoError(t, err, "the steady reader was cut: stalled %v write %v slow %v subscribers %d",
			testutil.ToFloat64(cut), testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectWrite)),
			testutil.ToFloat64(f.srv.metrics.slowDrops), f.agg.Subscribers())
	}
	t.Logf("cut as stalled after %v, %d rounds", time.Since(began).Round(time.Millisecond), round)
	require.Equal(t, 1.0, testutil.ToFloat64(cut))
	require.Zero(t, testutil.ToFloat64(f.srv.metrics.slowDrops), "cut by the stall watch, not the broker")
	require.Zero(t, testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectWrite)), "not by the write deadline")
	require.Eventually(t, func() bool { return f.agg.Subscribers() == 2 }, 5*time.Second, time.Millisecond)

	fl.reached(t, f.pushAndWait(1, float64(round+1)))
	require.NoError(t, fast.conn.Close())
	<-fl.done
}

// The watch itself: nothing waiting, or the peer taking bytes, is no
// stall; bytes waiting with nothing taken for StallAfter is one; a kernel
// that cannot tell never makes one. The looks here are at least a quarter
// of StallAfter apart, so each asks the kernel.
func TestStallWatchNeedsTimeWithoutProgress(t *testing.T) {
	var taken, waiting int64
	known := true
	w := &stallWatch{after: time.Second, probe: func() (int64, int64, bool) { return taken, waiting, known }}
	t0 := time.Unix(1000, 0)
	at := func(d time.Duration) bool { return w.stalled(t0.Add(d)) }

	waiting = 4096
	require.False(t, at(0), "the first look only starts the clock")
	require.False(t, at(700*time.Millisecond))
	require.True(t, at(time.Second), "nothing taken for a second")
	taken += 10
	require.False(t, at(1500*time.Millisecond), "it took something: the clock starts again")
	require.False(t, at(2200*time.Millisecond))
	require.True(t, at(2500*time.Millisecond))
	waiting = 0
	require.False(t, at(10*time.Second), "nothing waits for it: idle, not stalled")
	waiting = 100
	require.False(t, at(10500*time.Millisecond), "bytes written since the idle look: the clock starts now")
	require.False(t, at(11*time.Second), "they waited half a second, not a second since the idle look")
	require.True(t, at(11500*time.Millisecond))
	known = false
	require.False(t, at(time.Hour), "the kernel cannot tell")

	require.False(t, (*stallWatch)(nil).stalled(t0), "an unwatched connection")
	require.Nil(t, newStallWatch(nil, time.Second))
	require.Nil(t, newStallWatch(&budgetConn{}, -1))
}

// A writer looks before every write, but the kernel is asked at most once
// a quarter of StallAfter: at a write every 10 ms for 3 s, 13 asks of the
// 300 looks (at 10,000 clients an ask per write was 18 % of the server's
// CPU). The sampling never makes a stall early: the clock starts at the
// ask that saw the last progress, and a stall is seen within StallAfter
// and two quarters of it.
func TestStallWatchAsksTheKernelAQuarterOfStallAfter(t *testing.T) {
	var asks int
	var taken int64
	w := &stallWatch{after: time.Second, probe: func() (int64, int64, bool) { asks++; return taken, 4096, true }}
	t0 := time.Unix(1000, 0)
	var stalledAt time.Duration
	for d := time.Duration(0); d < 3*time.Second; d += 10 * time.Millisecond {
		if d < 1200*time.Millisecond {
			taken++ // reading until 1.2 s, then nothing
		}
		if w.stalled(t0.Add(d)) && stalledAt == 0 {
			stalledAt = d
		}
	}
	require.Equal(t, 12, asks, "one ask every 250 ms of 3 s")
	require.GreaterOrEqual(t, stalledAt, 2200*time.Millisecond, "not before a second without progress")
	require.LessOrEqual(t, stalledAt, 2700*time.Millisecond, "within StallAfter and two quarters of it")
}
