package collectors

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// pollStarts runs a collector with the given phase for span and returns
// when each poll started, as offsets from the start (synctest's clock
// starts on a whole second). fail makes every poll fail.
func pollStarts(t *testing.T, phase, span time.Duration, fail bool) []time.Duration {
	var mu sync.Mutex
	var at []time.Duration
	var start time.Time
	src := newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
		mu.Lock()
		defer mu.Unlock()
		at = append(at, time.Since(start))
		if fail {
			return nil, errors.New("down")
		}
		return gauge("m", 1), nil
	})
	c := newTestCollector(loopConfig("s"), newRecordingSink(), fixed(src))
	c.phase = phase
	ctx, cancel := context.WithCancel(t.Context())
	start = time.Now()
	done := serveInBackground(ctx, c)
	time.Sleep(span)
	synctest.Wait()
	cancel()
	require.NoError(t, <-done)
	mu.Lock()
	defer mu.Unlock()
	return at
}

func TestCollectorPollsOnItsPhase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ms := time.Millisecond
		require.Equal(t, []time.Duration{0, 1300 * ms, 2300 * ms, 3300 * ms}, pollStarts(t, 300*ms, 3500*ms, false),
			"at once, then on the phase, at least half an interval after the first")
		// This one starts at 3.5s, phase 0.2s: next at 4.2s, then 5.2s.
		require.Equal(t, []time.Duration{0, 700 * ms, 1700 * ms}, pollStarts(t, 200*ms, 2500*ms, false))
		// Phase 0.3s, from 6s: 6.3s is too close (under half an interval), 7.3s is next.
		require.Equal(t, []time.Duration{0, 1300 * ms}, pollStarts(t, 300*ms, 2*time.Second, false))
	})
}

func TestCollectorBacksOffOnItsPhase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := time.Second
		ms := time.Millisecond
		// Three failures in a row (0, 1.3, 2.3) and the delay doubles: 2s, 4s, ...
		require.Equal(t, []time.Duration{0, 1300 * ms, 2300 * ms, 4300 * ms, 8300 * ms, 16300 * ms}, pollStarts(t, 300*ms, 17*s, true))
	})
}

func TestStampNowSnapsToTheScheduledTime(t *testing.T) {
	sched := time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)
	var now time.Time
	c := newTestCollector(loopConfig("s"), nil, nil)
	clock := c.stampNow(func() time.Time { return now })
	for _, tc := range []struct {
		late time.Duration
		want time.Time
	}{
		{0, sched},
		{3 * time.Millisecond, sched},
		{10 * time.Millisecond, sched}, // 1% of 1s, the tolerance
		{11 * time.Millisecond, sched.Add(11 * time.Millisecond)}, // too late: the real time
		{-time.Millisecond, sched.Add(-time.Millisecond)},         // early: the real time
	} {
		now = sched.Add(tc.late)
		c.scheduled.Store(sched.UnixNano())
		require.Equal(t, tc.want.UnixNano(), clock().UnixNano(), "%v late", tc.late)
	}
	c.scheduled.Store(0)
	now = sched.Add(time.Millisecond)
	require.Equal(t, now, clock(), "outside a scheduled poll: the real time")
}

func TestPhaseOfSpreadsSources(t *testing.T) {
	require.Equal(t, phaseOf("host", time.Second), phaseOf("host", time.Second), "the same on every run")
	seen := map[time.Duration]bool{}
	for i := range 20 {
		p := phaseOf(fmt.Sprintf("sim%d", i), time.Second)
		require.GreaterOrEqual(t, p, time.Duration(0))
		require.Less(t, p, time.Second)
		seen[p/(100*time.Millisecond)] = true
	}
	require.Greater(t, len(seen), 5, "twenty sources land in many tenths of the interval")
}

func TestLocalSourcesPollTogetherOnTheBoundary(t *testing.T) {
	for _, typ := range []string{configs.TypeHost, configs.TypeSimulated} {
		for i := range 5 {
			cfg := configs.Source{Name: fmt.Sprintf("%s%d", typ, i), Type: typ}
			require.Zero(t, phaseFor(cfg, time.Second), "%s: on the boundary, like every local source", cfg.Name)
		}
	}
	for _, typ := range []string{configs.TypeHTTP, configs.TypeJSON, configs.TypePrometheus} {
		cfg := configs.Source{Name: "target-" + typ, Type: typ}
		require.Equal(t, phaseOf(cfg.Name, 15*time.Second), phaseFor(cfg, 15*time.Second), "%s: spread by its name", typ)
	}
}

func TestSamplesOfARegularSourceStepByTheInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := newRecordingSink()
		build := func(cfg configs.Source, env Env) (Source, error) {
			return newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
				time.Sleep(3 * time.Millisecond) // a poll that takes its time
				return []aggregator.Sample{{Metric: "m", TimeMs: env.now().UnixMilli(), Value: 1}}, nil
			}), nil
		}
		c := newTestCollector(loopConfig("s"), sink, build)
		c.phase = 250 * time.Millisecond
		ctx, cancel := context.WithCancel(t.Context())
		done := serveInBackground(ctx, c)
		time.Sleep(4 * time.Second)
		synctest.Wait()
		cancel()
		require.NoError(t, <-done)
		ts := sink.times("s")
		require.GreaterOrEqual(t, len(ts), 4)
		for i := 2; i < len(ts); i++ {
			require.Equal(t, int64(1000), ts[i]-ts[i-1], "stamped at the scheduled times: %v", ts)
			require.Equal(t, int64(250), ts[i]%1000)
		}
	})
}

// times returns the time of the first sample of each batch of source.
func (s *recordingSink) times(source string) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int64
	for _, b := range s.batches[source] {
		if len(b.Samples) > 0 {
			out = append(out, b.Samples[0].TimeMs)
		}
	}
	return out
}

// TestCollectorHugeIntervalDoesNotSpin: an interval near the largest
// Duration puts the next slot past what UnixNano holds; the schedule
// saturates there instead of wrapping into the past and polling at once,
// over and over.
func TestCollectorHugeIntervalDoesNotSpin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var polls int
		ctx, cancel := context.WithCancel(t.Context())
		src := newFuncSource(func(context.Context) ([]aggregator.Sample, error) {
			if polls++; polls > 1 { // polls run one at a time
				cancel() // spinning: stop it, the count below fails
			}
			return gauge("m", 1), nil
		})
		cfg := loopConfig("s")
		cfg.Interval = configs.Duration(2562047 * time.Hour)
		c := newTestCollector(cfg, newRecordingSink(), fixed(src))
		c.phase = time.Hour // phase + interval is past the largest UnixNano
		done := serveInBackground(ctx, c)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		cancel()
		require.NoError(t, <-done)
		require.Equal(t, 1, polls, "the first poll at once, the next one far away")

		far := time.Unix(0, math.MaxInt64).Add(-time.Hour)
		require.False(t, c.slotAtOrAfter(far).Before(far))
		require.Equal(t, lastNano.Add(time.Hour), c.slotAtOrAfter(lastNano.Add(time.Hour)))
	})
}
