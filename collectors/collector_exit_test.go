package collectors

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// TestCollectorThatStopsProducingIsNotUp ends a collector that was up in
// every way a collector ends: unless it was stopped on purpose (its state
// then says "stopped") it is no longer up and its series go stale at once
// (a Failed batch), not when it is restarted, which a cool-down may put a
// minute away. A new run is not up before its first poll.
func TestCollectorThatStopsProducingIsNotUp(t *testing.T) {
	for _, tc := range []struct {
		name string
		// second is the source's second poll; end ends the run after the
		// first poll, from the test's goroutine.
		second func(ctx context.Context, src *funcSource) ([]aggregator.Sample, error)
		end    func(c *collector, cancel context.CancelFunc)
		stale  bool
	}{
		{name: "crash request", end: func(c *collector, _ context.CancelFunc) { require.NoError(t, c.Crash()) }, stale: true},
		{name: "panic in poll", second: func(context.Context, *funcSource) ([]aggregator.Sample, error) { panic("boom") }, stale: true},
		{name: "hang", second: func(_ context.Context, src *funcSource) ([]aggregator.Sample, error) {
			<-src.closed
			return nil, ErrSourceClosed
		}, stale: true},
		{name: "stopped", end: func(_ *collector, cancel context.CancelFunc) { cancel() }, stale: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var polls atomic.Int32
				var src *funcSource
				src = newFuncSource(func(ctx context.Context) ([]aggregator.Sample, error) {
					if polls.Add(1) == 2 && tc.second != nil {
						return tc.second(ctx, src)
					}
					return gauge("m", 1), nil
				})
				sink := newRecordingSink()
				c := newTestCollector(loopConfig("s"), sink, fixed(src))
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				done := serveInBackground(ctx, c)
				synctest.Wait()
				require.True(t, c.stats.snapshot().Up, "up after its first poll")
				require.Equal(t, 1, sink.count("s"))
				if tc.end != nil {
					tc.end(c, cancel)
				}
				err := <-done
				require.Equal(t, !tc.stale, err == nil, "%v", err)
				require.Equal(t, !tc.stale, c.stats.snapshot().Up, "a collector that failed is not up")
				if tc.stale {
					require.Equal(t, 2, sink.count("s"), "one Failed batch, however it failed")
					require.Equal(t, aggregator.Batch{Source: "s", Failed: true}, sink.last("s"), "its series go stale at once")
				} else {
					require.Equal(t, 1, sink.count("s"), "a stop on purpose leaves the series to what comes next")
				}
				synctest.Wait()

				c.build = func(configs.Source, Env) (Source, error) {
					return newFuncSource(func(ctx context.Context) ([]aggregator.Sample, error) {
						<-ctx.Done()
						return nil, ctx.Err()
					}), nil
				}
				ctx, cancel = context.WithCancel(t.Context())
				done = serveInBackground(ctx, c)
				synctest.Wait()
				require.False(t, c.stats.snapshot().Up, "a new run is not up before its first poll")
				cancel()
				require.NoError(t, <-done)
			})
		})
	}
}

// TestCollectorThatCannotBeBuiltMakesItsSeriesStale: a restart whose
// source cannot be built (a file gone, a bad key) leaves the series of
// the previous run stale, not live.
func TestCollectorThatCannotBeBuiltMakesItsSeriesStale(t *testing.T) {
	sink := newRecordingSink()
	c := newTestCollector(loopConfig("s"), sink, func(configs.Source, Env) (Source, error) {
		return nil, errors.New("no such file")
	})
	c.stats.s.Up = true // as a previous run left it
	require.EqualError(t, c.Serve(t.Context()), "no such file")
	require.False(t, c.stats.snapshot().Up)
	require.Equal(t, aggregator.Batch{Source: "s", Failed: true}, sink.last("s"))
}

// TestPollCutShortByTheStopIsNoFailure: a poll that fails because the
// collector is being stopped (a stop that comes between the schedule's
// check and the poll's start: the poll fails at once, and its result and
// the stop are both ready when the collector looks) is not counted as a
// failure nor shown as the source's last error, whichever the collector
// sees first.
func TestPollCutShortByTheStopIsNoFailure(t *testing.T) {
	src := newFuncSource(func(ctx context.Context) ([]aggregator.Sample, error) { return nil, ctx.Err() })
	c := newTestCollector(loopConfig("s"), newRecordingSink(), fixed(src))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	p := c.startPoller(src, func() { _ = src.Close() })
	defer p.stop()
	for range 5000 { // each order of the two, many times over
		require.NoError(t, c.pollOnce(ctx, p, nil))
	}
	st := c.stats.snapshot()
	require.Zero(t, st.Failures)
	require.Empty(t, st.LastError)
}
