package collectors

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// simClock is a settable clock for simulated sources.
type simClock struct{ t time.Time }

func (c *simClock) now() time.Time { return c.t }

// epoch is a whole minute, so periodic shapes start a period there.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func seed(v int64) *int64 { return &v }

// simConfig is a simulated source of series, with the defaults a config
// file would give the keys left out (a count of 1, say).
func simConfig(series ...configs.SimSeries) configs.Source {
	c := configs.Config{Sources: []configs.Source{{
		Name:     "sim",
		Type:     configs.TypeSimulated,
		Interval: configs.Duration(time.Second),
		Timeout:  configs.Duration(time.Second),
		Spec:     &configs.SimulatedSpec{Seed: seed(42), Series: series},
	}}}
	c.ApplyDefaults()
	return c.Sources[0]
}

// withFaults is cfg with faults injected.
func withFaults(cfg configs.Source, f configs.Faults) configs.Source {
	simSpec(cfg).Faults = &f
	return cfg
}

func newSim(t *testing.T, cfg configs.Source, clock *simClock) *simSource {
	t.Helper()
	src, err := NewSource(cfg, Env{Now: clock.now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = src.(*simSource).Close() })
	return src.(*simSource)
}

// valueAt polls src at t and returns its samples.
func valuesAt(t *testing.T, src Source, clock *simClock, at time.Time) []aggregator.Sample {
	t.Helper()
	clock.t = at
	samples, err := src.Poll(context.Background())
	require.NoError(t, err)
	for _, s := range samples {
		require.Equal(t, at.UnixMilli(), s.TimeMs)
	}
	return samples
}

func TestSimulatedPeriodicShapes(t *testing.T) {
	period := configs.Duration(time.Minute)
	clock := &simClock{}
	src := newSim(t, simConfig(
		configs.SimSeries{Metric: "sine", Shape: "sine", Min: 0, Max: 10, Period: period},
		configs.SimSeries{Metric: "square", Shape: "square", Min: 1, Max: 2, Period: period},
		configs.SimSeries{Metric: "saw", Shape: "sawtooth", Min: 0, Max: 60, Period: period},
		configs.SimSeries{Metric: "const", Shape: "constant", Min: 7, Max: 99},
	), clock)

	cases := []struct {
		offset                   time.Duration
		sine, square, saw, konst float64
	}{
		{0, 5, 2, 0, 7},
		{15 * time.Second, 10, 2, 15, 7},
		{30 * time.Second, 5, 1, 30, 7},
		{45 * time.Second, 0, 1, 45, 7},
		{time.Minute + 15*time.Second, 10, 2, 15, 7},
	}
	for _, tc := range cases {
		got := byMetric(valuesAt(t, src, clock, epoch.Add(tc.offset)))
		require.InDelta(t, tc.sine, got["sine{}"].Value, 1e-9, tc.offset)
		require.Equal(t, tc.square, got["square{}"].Value, tc.offset)
		require.InDelta(t, tc.saw, got["saw{}"].Value, 1e-9, tc.offset)
		require.Equal(t, tc.konst, got["const{}"].Value, tc.offset)
		for _, s := range got {
			require.Equal(t, aggregator.KindGauge, s.Kind)
		}
	}
}

func TestSimulatedCounter(t *testing.T) {
	clock := &simClock{}
	src := newSim(t, simConfig(configs.SimSeries{Metric: "c_total", Shape: "counter", Min: 100, Rate: 2}), clock)
	var got []float64
	for _, off := range []time.Duration{0, time.Second, 3 * time.Second, 3 * time.Second, 2 * time.Second} {
		s := valuesAt(t, src, clock, epoch.Add(off))
		require.Equal(t, aggregator.KindCounter, s[0].Kind)
		got = append(got, s[0].Value)
	}
	require.Equal(t, []float64{100, 102, 106, 106, 106}, got, "rate 2/s from min; a clock going back adds nothing")

	noisy := newSim(t, simConfig(configs.SimSeries{Metric: "n_total", Shape: "counter", Rate: 10, Noise: 0.5}), clock)
	prev := -1.0
	for i := range 200 {
		v := valuesAt(t, noisy, clock, epoch.Add(time.Duration(i)*time.Second))[0].Value
		require.GreaterOrEqual(t, v, prev, "a counter never goes down, noise or not")
		prev = v
	}
	require.InDelta(t, 10*199, prev, 10*199*0.15, "noise jitters the rate around its mean")
}

func TestSimulatedSpikeRate(t *testing.T) {
	clock := &simClock{}
	src := newSim(t, simConfig(configs.SimSeries{Metric: "spike", Shape: "spike", Min: 0.5, Max: 9, Rate: 6}), clock)
	spikes := 0
	const polls = 6000 // 100 minutes at 1s: 600 spikes expected
	for i := range polls {
		v := valuesAt(t, src, clock, epoch.Add(time.Duration(i)*time.Second))[0].Value
		require.Contains(t, []float64{0.5, 9}, v)
		if v == 9 {
			spikes++
		}
	}
	require.InDelta(t, 600, spikes, 90)
}

func TestSimulatedRandomWalk(t *testing.T) {
	clock := &simClock{}
	cfg := simConfig(configs.SimSeries{Metric: "w", Shape: "random_walk", Min: 0, Max: 1000, Noise: 2})
	a := newSim(t, cfg, clock)
	b := newSim(t, cfg, clock)
	simSpec(cfg).Seed = seed(43)
	c := newSim(t, cfg, clock)

	var steps []float64
	prev, differs := math.NaN(), false
	for i := range 2000 {
		at := epoch.Add(time.Duration(i) * time.Second)
		va := valuesAt(t, a, clock, at)[0].Value
		require.Equal(t, va, valuesAt(t, b, clock, at)[0].Value, "same seed, same walk")
		differs = differs || va != valuesAt(t, c, clock, at)[0].Value
		require.GreaterOrEqual(t, va, 0.0)
		require.LessOrEqual(t, va, 1000.0)
		if !math.IsNaN(prev) {
			steps = append(steps, va-prev)
		}
		prev = va
	}
	require.True(t, differs, "another seed, another walk")
	require.InDelta(t, 2, stddev(steps), 0.3, "steps of about noise")
}

func TestSimulatedNoiseAndSeed(t *testing.T) {
	clock := &simClock{}
	series := configs.SimSeries{Metric: "s", Shape: "sine", Min: 0, Max: 10, Period: configs.Duration(time.Minute), Noise: 1}
	a := newSim(t, simConfig(series), clock)
	b := newSim(t, simConfig(series), clock)
	series.Noise = 0
	clean := newSim(t, simConfig(series), clock)
	var diffs []float64
	for i := range 3000 {
		at := epoch.Add(time.Duration(i) * 500 * time.Millisecond)
		va := valuesAt(t, a, clock, at)[0].Value
		require.Equal(t, va, valuesAt(t, b, clock, at)[0].Value, "values are a function of seed and time")
		diffs = append(diffs, va-valuesAt(t, clean, clock, at)[0].Value)
	}
	require.InDelta(t, 1, stddev(diffs), 0.1)
	require.InDelta(t, 0, mean(diffs), 0.1)
}

func TestSimulatedCountExpandsPhaseShiftedInstances(t *testing.T) {
	clock := &simClock{}
	cfg := simConfig(configs.SimSeries{Metric: "shard", Shape: "sine", Min: -1, Max: 1, Period: configs.Duration(time.Minute), Count: 4, Labels: map[string]string{"zone": "a"}})
	src := newSim(t, cfg, clock)
	samples := valuesAt(t, src, clock, epoch)
	require.Len(t, samples, 4)
	for i, s := range samples {
		require.Equal(t, aggregator.Labels{{Name: "instance", Value: string(rune('0' + i))}, {Name: "zone", Value: "a"}}, s.Labels)
		// instance i is shifted by i/4 of a period: sin(2πi/4).
		require.InDelta(t, math.Sin(2*math.Pi*float64(i)/4), s.Value, 1e-9)
	}
}

func TestSimulatedFaultRates(t *testing.T) {
	clock := &simClock{t: epoch}
	cfg := simConfig(configs.SimSeries{Metric: "m", Shape: "constant", Min: 1})
	simSpec(cfg).Faults = &configs.Faults{ErrorRate: 0.2, PanicRate: 0.05}
	run := func() (errs, panics int, pattern []byte) {
		src := newSim(t, cfg, clock)
		for range 4000 {
			var err error
			panicked := func() (p bool) {
				defer func() {
					if v := recover(); v != nil {
						require.Equal(t, InjectedPanic{Source: "sim"}, v)
						p = true
					}
				}()
				_, err = src.Poll(context.Background())
				return false
			}()
			switch {
			case panicked:
				panics++
				pattern = append(pattern, 'p')
			case err != nil:
				require.ErrorIs(t, err, ErrInjected)
				errs++
				pattern = append(pattern, 'e')
			default:
				pattern = append(pattern, '.')
			}
		}
		return errs, panics, pattern
	}
	errs, panics, pattern := run()
	require.InDelta(t, 800, errs, 100)
	require.InDelta(t, 200, panics, 50)
	_, _, again := run()
	require.Equal(t, pattern, again, "a fixed seed fails the same polls")
}

func TestSimulatedHangIgnoresContextUntilClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := simConfig(configs.SimSeries{Metric: "m", Shape: "constant"})
		simSpec(cfg).Faults = &configs.Faults{HangRate: 1}
		src, err := NewSource(cfg, Env{})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := src.Poll(ctx)
			done <- err
		}()
		time.Sleep(time.Minute) // fake time: well past the timeout
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("a hung poll returned on its own: %v", err)
		default:
		}
		require.NoError(t, src.(*simSource).Close())
		require.ErrorIs(t, <-done, ErrSourceClosed)
		require.NoError(t, src.(*simSource).Close(), "closing twice is harmless")
	})
}

func TestSimulatedLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := simConfig(configs.SimSeries{Metric: "m", Shape: "constant"})
		simSpec(cfg).Faults = &configs.Faults{Latency: configs.Duration(100 * time.Millisecond)}
		src, err := NewSource(cfg, Env{})
		require.NoError(t, err)
		defer src.(*simSource).Close()
		var spread []time.Duration
		for range 50 {
			start := time.Now()
			_, err := src.Poll(t.Context())
			require.NoError(t, err)
			took := time.Since(start)
			require.GreaterOrEqual(t, took, 100*time.Millisecond)
			require.LessOrEqual(t, took, 150*time.Millisecond)
			spread = append(spread, took)
		}
		require.NotEqual(t, spread[0], spread[1], "latency has jitter")

		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err = src.Poll(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded, "latency respects the poll's timeout")
	})
}

func TestSimulatedBadConfig(t *testing.T) {
	ok := configs.SimSeries{Metric: "m", Shape: "sine", Max: 1}
	for name, cfg := range map[string]configs.Source{
		"no series":   simConfig(),
		"no metric":   simConfig(configs.SimSeries{Shape: "sine"}),
		"bad shape":   simConfig(configs.SimSeries{Metric: "m", Shape: "triangle"}),
		"min > max":   simConfig(configs.SimSeries{Metric: "m", Shape: "sine", Min: 2, Max: 1}),
		"negative":    simConfig(configs.SimSeries{Metric: "m", Shape: "sine", Noise: -1}),
		"rate > 1":    withFaults(simConfig(ok), configs.Faults{ErrorRate: 1.5}),
		"rates sum":   withFaults(simConfig(ok), configs.Faults{ErrorRate: 0.6, PanicRate: 0.6}),
		"neg latency": withFaults(simConfig(ok), configs.Faults{Latency: -1}),
		"wrong spec":  {Name: "s", Type: "simulated", Interval: configs.Duration(time.Second), Timeout: configs.Duration(time.Second), Spec: configs.NewHostSpec()},
	} {
		_, err := NewSource(cfg, Env{})
		require.ErrorIs(t, err, ErrBadConfig, name)
	}
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func stddev(xs []float64) float64 {
	m := mean(xs)
	var s float64
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(xs)))
}

func TestSimulatedResolution(t *testing.T) {
	for _, tc := range []struct {
		sc   configs.SimSeries
		want int
	}{
		{configs.SimSeries{Shape: "sine", Min: 18, Max: 26, Noise: 0.2}, 3},
		{configs.SimSeries{Shape: "sine", Min: 10, Max: 90, Noise: 3}, 2},
		{configs.SimSeries{Shape: "random_walk", Min: 0, Max: 500, Noise: 15}, 1},
		{configs.SimSeries{Shape: "spike", Min: 0.02, Max: 1.5}, 2},
		{configs.SimSeries{Shape: "counter", Rate: 120, Noise: 0.1}, 0},
		{configs.SimSeries{Shape: "counter", Rate: 15}, 1},
		{configs.SimSeries{Shape: "constant", Min: 5}, 2},
		{configs.SimSeries{Shape: "sine", Min: 0, Max: 1, Noise: 1e-9}, 6},
		{configs.SimSeries{Shape: "sine", Min: 0, Max: 1e6, Noise: 5000}, -1},
		{configs.SimSeries{Shape: "constant"}, 0},
		// A series smaller than a millionth keeps three digits of its own size, not zero.
		{configs.SimSeries{Shape: "sine", Min: 1e-7, Max: 3e-7}, 9},
		{configs.SimSeries{Shape: "sine", Min: 1e-7, Max: 3e-7, Noise: 1e-12}, 9},
		{configs.SimSeries{Shape: "constant", Min: -4e-300}, 300},
	} {
		require.Equal(t, tc.want, resolution(tc.sc), "%+v", tc.sc)
	}
}

func TestSimulatedValuesHaveTheirResolution(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, sc := range []configs.SimSeries{
		{Shape: "sine", Min: 18, Max: 26, Period: configs.Duration(time.Minute), Noise: 0.2},
		{Shape: "random_walk", Min: 0, Max: 500, Noise: 15},
		{Shape: "counter", Rate: 15, Noise: 0.1},
		{Shape: "sine", Min: 0, Max: 1e6, Period: configs.Duration(time.Minute), Noise: 5000},
		{Shape: "sine", Min: 1e-7, Max: 3e-7, Period: configs.Duration(20 * time.Second)},
	} {
		s := newSimSeries(sc, nil, 1, 0, 0)
		prev := math.Inf(-1)
		for i := range 200 {
			v := s.value(at.Add(time.Duration(i)*time.Second), time.Second)
			text := strconv.FormatFloat(v, 'f', -1, 64)
			decimals := 0
			if dot := strings.IndexByte(text, '.'); dot >= 0 {
				decimals = len(text) - dot - 1
			}
			require.LessOrEqual(t, decimals, max(s.decimals, 0), "%s: %v", sc.Shape, v)
			if s.decimals < 0 {
				require.Zero(t, math.Mod(v, math.Pow10(-s.decimals)), "%s: %v", sc.Shape, v)
			}
			if sc.Max > 0 && sc.Max < 1e-6 {
				require.NotZero(t, v, "a tiny series is not rounded away")
			}
			if sc.Shape == "counter" {
				require.GreaterOrEqual(t, v, prev, "a rounded counter never goes down")
				prev = v
			}
		}
	}
}

// TestSimulatedLatencyJitterSaturates: "plus up to half again" of a huge
// latency stays the largest Duration instead of wrapping negative (a timer
// that fires at once: the latency ignored).
func TestSimulatedLatencyJitterSaturates(t *testing.T) {
	huge := 2000000 * time.Hour
	for _, u := range []float64{0, 0.5, 0.999} {
		require.GreaterOrEqual(t, jittered(huge, u), huge, "u=%v", u)
	}
	require.Equal(t, time.Duration(math.MaxInt64), jittered(huge, 0.999))
	require.Equal(t, time.Duration(math.MaxInt64), jittered(math.MaxInt64, 0.5))
	require.Equal(t, 150*time.Millisecond, jittered(100*time.Millisecond, 1))
	require.Equal(t, 100*time.Millisecond, jittered(100*time.Millisecond, 0))
}
