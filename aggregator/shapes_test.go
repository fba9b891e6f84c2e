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

// allShapes are the data shapes the compression target is stated for:
// pulseboard's simulated shapes and host-like metrics.
var allShapes = []shape{
	{"sine", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		return jittered(rng, t0, step, jit, n, func(i int) float64 {
			return round2(22 + 4*math.Sin(2*math.Pi*float64(i)/120) + rng.NormFloat64()*0.2)
		})
	}},
	{"counter", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		c := 1e6
		return jittered(rng, t0, step, jit, n, func(int) float64 {
			c += math.Round(120 + rng.NormFloat64()*10)
			return c
		})
	}},
	{"random_walk", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		v := 50.0
		return jittered(rng, t0, step, jit, n, func(int) float64 {
			v = round2(v + rng.NormFloat64())
			return v
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
	{"host_cpu_seconds", func(rng *rand.Rand, t0, step, jit int64, n int) []point {
		v := 123456.78
		return jittered(rng, t0, step, jit, n, func(int) float64 {
			v = round2(v + 0.01*float64(rng.IntN(30)))
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
