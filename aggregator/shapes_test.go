package aggregator

import (
	"math"
	"math/rand/v2"
)

// shape generates n points from t0 every stepMs with ±jitterMs jitter.
type shape struct {
	name string
	gen  func(rng *rand.Rand, t0, stepMs, jitterMs int64, n int) []point
}

func jittered(rng *rand.Rand, t0, stepMs, jitterMs int64, n int, val func(i int) float64) []point {
	pts := make([]point, n)
	for i := range pts {
		t := t0 + int64(i)*stepMs
		if jitterMs > 0 {
			t += rng.Int64N(2*jitterMs+1) - jitterMs
		}
		if i > 0 && t < pts[i-1].t {
			t = pts[i-1].t
		}
		pts[i] = point{t, val(i)}
	}
	return pts
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// roundTo rounds v to d decimals the way the simulated source does
// (collectors/simulated_shapes.go: dividing by the power of ten).
func roundTo(v float64, d int) float64 {
	p := math.Pow10(d)
	return math.Round(v*p) / p
}

// allShapes are the data shapes the compression target is stated for: what
// pulseboard's own sources emit, series by series, in the demo and the
// overhead run's configuration (scripts/overhead/pulseboard-load.yaml).
// The simulated ones are rounded as the simulated source rounds (three
// significant digits of the noise, or of the rate or range); the host
// ones are its gauges and its _total counters. Timestamps: the sources
// poll on a fixed phase and stamp the scheduled time, so "no jitter" is
// the usual case; the jitter columns are polls that started too late to
// be snapped.
var allShapes = []shape{
	{"sine_noise0.2", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		// temperature_celsius: sine 18..26 over 2m, noise 0.2: 3 decimals
		return jittered(rng, t0, step, jit, n, func(i int) float64 {
			return roundTo(22+4*math.Sin(2*math.Pi*float64(i)/120)+rng.NormFloat64()*0.2, 3)
		})
	}},
	{"sine_noise3", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		// shard_load_percent: sine 10..90 over 90s, noise 3: 2 decimals
		return jittered(rng, t0, step, jit, n, func(i int) float64 {
			return roundTo(50+40*math.Sin(2*math.Pi*float64(i)/90)+rng.NormFloat64()*3, 2)
		})
	}},
	{"counter", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		// requests_total: rate 120, no noise: whole numbers
		c := 0.0
		return jittered(rng, t0, step, jit, n, func(int) float64 {
			c += 120
			return c
		})
	}},
	{"random_walk", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		// queue_depth: 0..500, steps of noise 15: 1 decimal
		v := 250.0
		return jittered(rng, t0, step, jit, n, func(int) float64 {
			v = math.Min(500, math.Max(0, v+rng.NormFloat64()*15))
			return roundTo(v, 1)
		})
	}},
	{"spike", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		// request_latency_seconds: 0.02, and 1.5 about 4 times a minute
		return jittered(rng, t0, step, jit, n, func(int) float64 {
			if rng.Float64() < 4.0/60 {
				return 1.5
			}
			return 0.02
		})
	}},
	{"constant", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		return jittered(rng, t0, step, jit, n, func(int) float64 { return 1 })
	}},
	{"host_memory_bytes", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		v := 8.0e9
		return jittered(rng, t0, step, jit, n, func(int) float64 {
			if rng.IntN(3) == 0 {
				v += float64(4096 * (rng.IntN(200) - 100))
			}
			return v
		})
	}},
	{"host_load1", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		v := 1.5
		return jittered(rng, t0, step, jit, n, func(i int) float64 {
			if i%5 == 0 { // the kernel updates it every 5 s
				v = round2(math.Max(0, v+rng.NormFloat64()*0.05))
			}
			return v
		})
	}},
	{"host_cpu_seconds_total", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		// busy seconds of one CPU, in ticks of 0.01 s
		v := 123456.78
		return jittered(rng, t0, step, jit, n, func(int) float64 {
			v = round2(v + 0.01*float64(rng.IntN(30)))
			return v
		})
	}},
	{"host_network_bytes_total", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		// bytes of a busy-ish interface: a few KB to tens of KB a second
		v := 9.87654321e9
		return jittered(rng, t0, step, jit, n, func(int) float64 {
			v += float64(2000 + rng.IntN(30000))
			return v
		})
	}},
}

// unroundedWalk is the worst case: full-precision floats, no decimals.
var unroundedWalk = shape{"unrounded_walk", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
	v := 50.0
	return jittered(rng, t0, step, jit, n, func(int) float64 {
		v += rng.NormFloat64()
		return v
	})
}}
