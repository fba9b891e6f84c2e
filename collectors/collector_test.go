package collectors

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/supervisor"
)

// loopConfig is a source configuration for loop tests: interval 1s,
// timeout 1s.
func loopConfig(name string) configs.Source {
	return configs.Source{
		Name:     name,
		Type:     "fake",
		Interval: configs.Duration(time.Second),
		Timeout:  configs.Duration(time.Second),
	}
}

// newTestCollector builds a collector around a fixed Source instance (or
// whatever build returns), polling at phase 0 (whole seconds in a synctest
// bubble) with a 1s hang grace.
func newTestCollector(cfg configs.Source, sink Sink, build Factory) *collector {
	return newCollector(cfg, &sourceStats{}, loopOptions{
		env:   Env{Now: time.Now},
		sink:  sink,
		log:   slog.New(slog.DiscardHandler),
		grace: time.Second,
		phase: func(string, time.Duration) time.Duration { return 0 },
		build: build,
	})
}

func fixed(src Source) Factory {
	return func(configs.Source, Env) (Source, error) { return src, nil }
}

// serveInBackground runs c.Serve and returns a channel with its result (a
// recovered panic value is returned as a *supervisor.PanicError).
func serveInBackground(ctx context.Context, c *collector) <-chan error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- &supervisor.PanicError{Value: v}
			}
		}()
		done <- c.Serve(ctx)
	}()
	return done
}

// pollTimes records when each poll started (fake time inside a bubble).
type pollTimes struct {
	mu    sync.Mutex
	times []time.Time
}

func (p *pollTimes) add() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.times = append(p.times, time.Now())
	return len(p.times)
}

func (p *pollTimes) gaps() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(p.times); i++ {
		out = append(out, p.times[i].Sub(p.times[i-1]))
	}
	return out
}

func TestCollectorPollsAtOnceThenEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var pt pollTimes
		src := newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
			pt.add()
			return []aggregator.Sample{{Metric: "m", Labels: pairs("a", "1", "env", "own"), Value: 1}}, nil
		})
		sink := newRecordingSink()
		cfg := loopConfig("s")
		cfg.Labels = map[string]string{"env": "cfg", "zone": "z"}
		c := newTestCollector(cfg, sink, fixed(src))
		ctx, cancel := context.WithCancel(t.Context())
		done := serveInBackground(ctx, c)

		synctest.Wait()
		require.Equal(t, 1, sink.count("s"), "the first poll is at once")
		time.Sleep(10*time.Second + 500*time.Millisecond)
		require.Equal(t, 11, sink.count("s"))
		for _, g := range pt.gaps() {
			require.Equal(t, time.Second, g)
		}
		b := sink.last("s")
		require.Equal(t, pairs("a", "1", "env", "own", "zone", "z"), b.Samples[0].Labels,
			"configured labels are added; the sample's own label wins")
		require.True(t, b.Complete, "a successful poll is the source's whole set of series")
		require.False(t, b.Failed)

		st := c.stats.snapshot()
		require.EqualValues(t, 11, st.Polls)
		require.Zero(t, st.Failures)
		require.Equal(t, time.Now().Add(-500*time.Millisecond), st.LastSuccess)
		require.EqualValues(t, 11, st.Samples)

		cancel()
		require.NoError(t, <-done)
		select {
		case <-src.closed:
		default:
			t.Fatal("the source was not closed")
		}
	})
}

func TestCollectorSlowsDownAfterFailuresAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var pt pollTimes
		src := newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
			if n := pt.add(); n <= 7 {
				return nil, errors.New("down")
			}
			return gauge("m", 1), nil
		})
		c := newTestCollector(loopConfig("s"), newRecordingSink(), fixed(src))
		ctx, cancel := context.WithCancel(t.Context())
		done := serveInBackground(ctx, c)

		time.Sleep(40 * time.Second)
		synctest.Wait()
		s := time.Second
		// 7 failures: 1s, 1s, then doubling from the third, capped at 8×.
		// After the success at poll 8, back to the interval.
		require.Equal(t, []time.Duration{s, s, 2 * s, 4 * s, 8 * s, 8 * s, 8 * s, s, s, s, s, s, s, s}, pt.gaps()[:14])

		st := c.stats.snapshot()
		require.EqualValues(t, 7, st.Failures)
		require.Zero(t, st.ConsecutiveFailures)
		require.Equal(t, "down", st.LastError, "the last error stays visible after recovery")
		cancel()
		require.NoError(t, <-done)
	})
}

func TestCollectorDelay(t *testing.T) {
	for _, tc := range []struct {
		interval time.Duration
		failures uint64
		want     time.Duration
	}{
		{time.Second, 0, time.Second},
		{time.Second, 2, time.Second},
		{time.Second, 3, 2 * time.Second},
		{time.Second, 50, 8 * time.Second},
		{10 * time.Second, 50, time.Minute},    // 8× would be 80s: 1 min caps it
		{2 * time.Minute, 50, 2 * time.Minute}, // the cap never goes below the interval
	} {
		cfg := loopConfig("s")
		cfg.Interval = configs.Duration(tc.interval)
		c := newTestCollector(cfg, nil, nil)
		c.stats.s.ConsecutiveFailures = tc.failures
		require.Equal(t, tc.want, c.delay(), "%+v", tc)
	}
}

func TestCollectorHungPollIsReportedAndReleased(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var polls atomic.Int32
		var src *funcSource
		src = newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
			if polls.Add(1) == 1 {
				return gauge("m", 1), nil
			}
			<-src.closed // ignores its context, as a hung poll does
			return nil, ErrSourceClosed
		})
		sink := newRecordingSink()
		c := newTestCollector(loopConfig("s"), sink, fixed(src))
		start := time.Now()
		err := c.Serve(t.Context())
		require.ErrorIs(t, err, ErrHung)
		require.Equal(t, 2, sink.count("s"))
		require.Equal(t, aggregator.Batch{Source: "s", Failed: true}, sink.last("s"), "a hung poll is a failed one: the series go stale")
		// Second poll at 1s, then timeout 1s plus grace 1s.
		require.Equal(t, 3*time.Second, time.Since(start))
		synctest.Wait() // the abandoned poll returns once Serve closed its source
		st := c.stats.snapshot()
		require.EqualValues(t, 1, st.Hangs)
		require.Zero(t, st.Stuck)
		require.EqualValues(t, 1, st.Failures)
		require.Contains(t, st.LastError, "poll hung: no result 2s after it started (timeout 1s)")
	})
}

func TestCollectorCountsAPollThatStaysStuck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		src := newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
			<-release // ignores its context and Close alike
			panic("late panic: must be dropped, not crash the program")
		})
		c := newTestCollector(loopConfig("s"), newRecordingSink(), fixed(src))
		require.ErrorIs(t, c.Serve(t.Context()), ErrHung)
		synctest.Wait()
		require.EqualValues(t, 1, c.stats.snapshot().Stuck, "the goroutine is abandoned, and counted")
		close(release)
		synctest.Wait()
		require.Zero(t, c.stats.snapshot().Stuck, "it is no longer stuck once it returned")
		require.EqualValues(t, 1, c.stats.snapshot().Hangs)
	})
}

func TestCollectorPanickingPollIsReturnedToTheSupervisor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFuncSource(func(context.Context) ([]aggregator.Sample, error) { panic("boom") })
		sink := newRecordingSink()
		c := newTestCollector(loopConfig("s"), sink, fixed(src))
		err := c.Serve(t.Context())
		var pe *supervisor.PanicError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, aggregator.Batch{Source: "s", Failed: true}, sink.last("s"), "the source's series go stale")
		require.Equal(t, "boom", pe.Value)
		require.Contains(t, string(pe.Stack), "collector_test.go", "the stack is the poll goroutine's")
		st := c.stats.snapshot()
		require.EqualValues(t, 1, st.Failures)
		require.Equal(t, "panic: boom", st.LastError)
	})
}

func TestCollectorCrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		block := make(chan struct{})
		defer close(block)
		var polls atomic.Int32
		src := newFuncSource(func(ctx context.Context) ([]aggregator.Sample, error) {
			if polls.Add(1) == 2 {
				<-ctx.Done() // a slow poll: the crash must not wait for it
				<-block
			}
			return gauge("m", 1), nil
		})
		c := newTestCollector(loopConfig("s"), newRecordingSink(), fixed(src))
		require.ErrorIs(t, c.Crash(), ErrNotRunning)

		// Crash between two polls.
		done := serveInBackground(t.Context(), c)
		synctest.Wait()
		require.NoError(t, c.Crash())
		err := <-done
		var pe *supervisor.PanicError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, CrashRequested{Source: "s"}, pe.Value)
		require.Equal(t, `crash requested for source "s"`, c.stats.snapshot().LastError)
		require.ErrorIs(t, c.Crash(), ErrNotRunning, "not running after the crash")
		require.True(t, c.stats.snapshot().LastRestart.IsZero(), "the first start is no restart")

		// Crash during a poll.
		time.Sleep(time.Second) // the supervisor's backoff, say
		restartedAt := time.Now()
		done = serveInBackground(t.Context(), c)
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		require.EqualValues(t, 2, polls.Load())
		require.NoError(t, c.Crash())
		require.ErrorAs(t, <-done, &pe)
		require.EqualValues(t, 1, c.stats.snapshot().Restarts)
		require.True(t, c.stats.snapshot().LastRestart.Equal(restartedAt), "when the restart began: %v, not %v", c.stats.snapshot().LastRestart, restartedAt)
	})
}

func TestCollectorFailedPollStillPushesItsSamples(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
			return gauge("up", 0), errors.New("connection refused")
		})
		sink := newRecordingSink()
		c := newTestCollector(loopConfig("s"), sink, fixed(src))
		ctx, cancel := context.WithCancel(t.Context())
		done := serveInBackground(ctx, c)
		synctest.Wait()
		cancel()
		require.NoError(t, <-done)
		require.Equal(t, 1, sink.count("s"))
		b := sink.last("s")
		require.True(t, b.Complete, "what it returned is all it shows: its other series go stale")
		require.Len(t, b.Samples, 1)
		st := c.stats.snapshot()
		require.EqualValues(t, 1, st.Failures)
		require.Equal(t, "connection refused", st.LastError)
		require.True(t, st.LastSuccess.IsZero())
	})
}

func TestCollectorCountsShedBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := newFuncSource(func(context.Context) ([]aggregator.Sample, error) { return gauge("m", 1), nil })
		refusing := newRecordingSink()
		refusing.refuse = true
		for _, sink := range []Sink{refusing, nil} {
			c := newTestCollector(loopConfig("s"), sink, fixed(src))
			ctx, cancel := context.WithCancel(t.Context())
			done := serveInBackground(ctx, c)
			synctest.Wait()
			cancel()
			require.NoError(t, <-done)
			st := c.stats.snapshot()
			require.EqualValues(t, 1, st.Shed)
			require.Equal(t, "shed 1 samples: the aggregator's ingest queue was full (aggregator.queue_size batches or queue_samples samples)", st.LastWarning,
				"the source says why its samples are missing")
			require.Zero(t, st.Samples)
			require.Zero(t, st.Failures, "shedding is back-pressure, not a failed poll")
		}
	})
}

// A stop ends a running poll every way the source offers: its context and
// its Close, at once. Only a poll that honours neither gets the grace, and
// is then left (a hang). A poll that honoured only Close used to get the
// grace too: the source was closed after it, on the way out, which held
// every SIGTERM of the soak 2 s while a fault hung a poll.
func TestCollectorStopsDuringAPoll(t *testing.T) {
	const (
		honoursContext = iota
		honoursClose
		honoursNeither
	)
	synctest.Test(t, func(t *testing.T) {
		for _, kind := range []int{honoursContext, honoursClose, honoursNeither} {
			var src *funcSource
			unblock := make(chan struct{})
			src = newFuncSource(func(ctx context.Context) ([]aggregator.Sample, error) {
				switch kind {
				case honoursContext:
					<-ctx.Done()
					return nil, ctx.Err()
				case honoursClose:
					<-src.closed
					return nil, ErrSourceClosed
				}
				<-unblock
				return nil, errors.New("too late")
			})
			c := newTestCollector(loopConfig("s"), newRecordingSink(), fixed(src))
			ctx, cancel := context.WithCancel(t.Context())
			done := serveInBackground(ctx, c)
			time.Sleep(100 * time.Millisecond)
			start := time.Now()
			cancel()
			require.NoError(t, <-done)
			took := time.Since(start)
			synctest.Wait()
			st := c.stats.snapshot()
			if kind == honoursNeither {
				require.Equal(t, time.Second, took, "a poll that honours neither gets the grace")
				require.EqualValues(t, 1, st.Hangs)
				require.EqualValues(t, 1, st.Stuck)
				close(unblock)
				synctest.Wait()
				st = c.stats.snapshot()
			} else {
				require.Zero(t, took, "kind %d: the poll ends at once", kind)
				require.Zero(t, st.Hangs)
			}
			require.Zero(t, st.Stuck)
			require.Zero(t, st.Failures, "a poll cut short by a stop is not a failure")
		}
	})
}

func TestCollectorBuildError(t *testing.T) {
	c := newTestCollector(loopConfig("s"), nil, func(configs.Source, Env) (Source, error) {
		return nil, badConfig("nope")
	})
	err := c.Serve(t.Context())
	require.ErrorIs(t, err, ErrBadConfig)
	require.Equal(t, "bad source config: nope", c.stats.snapshot().LastError)
}

func TestCollectorStartStopStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var instances atomic.Int32
		build := func(configs.Source, Env) (Source, error) {
			instances.Add(1)
			return newFuncSource(func(context.Context) ([]aggregator.Sample, error) { return gauge("m", 1), nil }), nil
		}
		c := newTestCollector(loopConfig("s"), newRecordingSink(), build)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		require.NoError(t, c.Serve(ctx), "stop before start")
		for range 2 {
			ctx, cancel := context.WithCancel(t.Context())
			done := serveInBackground(ctx, c)
			synctest.Wait()
			cancel()
			require.NoError(t, <-done)
		}
		require.EqualValues(t, 2, instances.Load(), "every run has a fresh source; a run stopped before it started has none")
		st := c.stats.snapshot()
		require.EqualValues(t, 1, st.Restarts)
		require.EqualValues(t, 2, st.Polls, "the run stopped before it started did not poll")
	})
}
