package dashboard

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
)

// testAdmission is an admission with its own metrics and a count of the
// yields it made. Inside a synctest bubble, so that its channel and timers
// are the bubble's.
func testAdmission(turns, queue int, wait time.Duration) (*admission, *metrics, *atomic.Int64) {
	m := newMetrics()
	var yields atomic.Int64
	o := WebSocketOptions{AdmitTurns: turns, AdmitQueue: queue, AdmitWait: wait}
	return newAdmission(&o, m, func() { yields.Add(1) }), m, &yields
}

type admitted struct {
	t      *turn
	reason string
	took   time.Duration
}

// admitAsync runs admit on its own goroutine; its answer comes on the
// channel.
func admitAsync(ctx context.Context, a *admission) <-chan admitted {
	ch := make(chan admitted, 1)
	go func() {
		start := time.Now()
		t, reason := a.admit(ctx)
		ch <- admitted{t, reason, time.Since(start)}
	}()
	return ch
}

func TestAdmitTakesAFreeTurnAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, m, yields := testAdmission(2, 4, time.Second)
		t1, reason := a.admit(context.Background())
		require.NotNil(t, t1)
		require.Empty(t, reason)
		t2, _ := a.admit(context.Background())
		require.NotNil(t, t2)
		require.Equal(t, int64(2), yields.Load(), "a turn taken yields once")
		n, sum := waitHistogram(t, m)
		require.Equal(t, uint64(2), n)
		require.Zero(t, sum, "no wait")
		t1.release()
		t2.release()
		require.Empty(t, a.turns)
	})
}

func TestAdmitQueuesThenAdmits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, m, _ := testAdmission(1, 4, 10*time.Second)
		holder, _ := a.take(context.Background())
		waiter := admitAsync(context.Background(), a)
		synctest.Wait()
		require.Empty(t, waiter, "waits while the only turn is taken")
		require.Equal(t, 1.0, testutil.ToFloat64(m.admissionWaiting))

		time.Sleep(turnHold / 2) // fake time: the holder works a while
		holder.release()
		got := <-waiter
		require.NotNil(t, got.t)
		require.Empty(t, got.reason)
		require.Equal(t, turnHold/2, got.took)
		_, sum := waitHistogram(t, m)
		require.Equal(t, (turnHold / 2).Seconds(), sum)
		require.Equal(t, 0.0, testutil.ToFloat64(m.admissionWaiting))
		got.t.release()
	})
}

func TestAdmitRefusesWhenTheQueueIsFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, m, _ := testAdmission(1, 1, 10*time.Second)
		a.turns <- struct{}{} // held, with no hold timer
		waiter := admitAsync(context.Background(), a)
		synctest.Wait()

		refused, reason := a.admit(context.Background())
		require.Nil(t, refused)
		require.Equal(t, refusedAdmitQueue, reason)
		require.Equal(t, 1.0, testutil.ToFloat64(m.admissionWaiting), "the refused one never waited")

		<-a.turns
		got := <-waiter
		require.NotNil(t, got.t, "the queued one still gets its turn")
		got.t.release()
	})
}

func TestAdmitRefusesAfterTheWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, m, _ := testAdmission(1, 4, 5*time.Second)
		a.turns <- struct{}{} // held, with no hold timer
		got := <-admitAsync(context.Background(), a)
		require.Nil(t, got.t)
		require.Equal(t, refusedAdmitTimeout, got.reason)
		require.Equal(t, 5*time.Second, got.took)
		require.Equal(t, 0.0, testutil.ToFloat64(m.admissionWaiting))
		n, sum := waitHistogram(t, m)
		require.Equal(t, uint64(1), n)
		require.Equal(t, 5.0, sum)
		require.Len(t, a.turns, 1, "a refusal takes no turn")
	})
}

func TestAdmitRefusesWhenTheServerStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, _, _ := testAdmission(1, 4, time.Minute)
		a.turns <- struct{}{}
		ctx, cancel := context.WithCancel(context.Background())
		waiter := admitAsync(ctx, a)
		synctest.Wait()
		cancel()
		got := <-waiter
		require.Nil(t, got.t)
		require.Equal(t, refusedShutdown, got.reason)
	})
}

// A turn whose work has not ended by turnHold is given back: a newcomer
// stuck in a write does not hold the others up. Its late release gives
// back nothing more.
func TestTurnHeldTooLongIsGivenBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, _, _ := testAdmission(1, 4, time.Minute)
		stuck, ok := a.take(context.Background())
		require.True(t, ok)
		next := make(chan *turn, 1)
		go func() {
			t, _ := a.take(context.Background())
			next <- t
		}()
		time.Sleep(turnHold - time.Nanosecond)
		synctest.Wait()
		require.Empty(t, next, "not before turnHold")
		time.Sleep(time.Nanosecond)
		second := <-next
		require.NotNil(t, second)

		stuck.release() // the stuck write returns at last
		require.Len(t, a.turns, 1, "still held by the second")
		second.release()
		second.release()
		(*turn)(nil).release()
		require.Empty(t, a.turns)
	})
}

func TestTakeWaitsUntilTheConnectionEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, _, _ := testAdmission(1, 4, time.Minute)
		a.turns <- struct{}{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan bool, 1)
		go func() {
			_, ok := a.take(ctx)
			done <- ok
		}()
		synctest.Wait()
		require.Empty(t, done, "a newcomer's write waits, never refused")
		cancel()
		require.False(t, <-done)
	})
}

// waitHistogram is the admission wait histogram's sample count and sum.
func waitHistogram(t *testing.T, m *metrics) (uint64, float64) {
	t.Helper()
	return histogramCountSum(t, m.admissionWait.(prometheus.Metric))
}

// histogramCountSum is a histogram's sample count and sum.
func histogramCountSum(t *testing.T, h prometheus.Metric) (uint64, float64) {
	t.Helper()
	var d dto.Metric
	require.NoError(t, h.Write(&d))
	return d.GetHistogram().GetSampleCount(), d.GetHistogram().GetSampleSum()
}
