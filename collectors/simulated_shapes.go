package collectors

import (
	"math"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// simSeries is one simulated series. Its value at a time t is computed from
// (seed, id, t) alone, except for the counter, which accumulates.
type simSeries struct {
	metric   string
	labels   aggregator.Labels
	shape    string
	min, max float64
	noise    float64
	rate     float64
	period   time.Duration
	phase    float64 // fraction of a period, to tell instances apart
	key      uint64  // hash key: seed and series index
	decimals int     // the resolution values are rounded to; see resolution

	// counter and random_walk state: the running total or position, and
	// when it was last advanced.
	total  float64
	lastMs int64
	begun  bool
}

func newSimSeries(sc configs.SimSeries, labels map[string]string, seed, index uint64, phase float64) *simSeries {
	return &simSeries{
		metric:   sc.Metric,
		labels:   labelsOf(labels),
		shape:    sc.Shape,
		min:      sc.Min,
		max:      sc.Max,
		noise:    sc.Noise,
		rate:     sc.Rate,
		period:   sc.Period.D(), // positive for the shapes that use it
		phase:    phase,
		key:      mix64(seed ^ mix64(index+1)),
		decimals: resolution(sc),
	}
}

// maxDecimals is the finest resolution of a simulated value: the history
// stores values of up to 6 decimals as decimals.
const maxDecimals = 6

// resolution is the number of decimals a series' values are rounded to
// (negative: to tens, hundreds…): three significant digits of the series'
// scale, which is its noise, or its rate for a counter without noise, or
// max − min, or |min| for a constant. A reading noisy to ±0.2 is not
// measured to 17 digits; a real sensor or exporter would show 0.2's
// thousandths at most, and full-precision floats cost the history 7
// bytes a sample where decimals cost one or two.
func resolution(sc configs.SimSeries) int {
	scale := sc.Noise
	if sc.Shape == "counter" {
		scale = sc.Rate // the noise of a counter is relative
	}
	if scale <= 0 {
		scale = sc.Max - sc.Min
	}
	if scale <= 0 {
		scale = math.Abs(sc.Min)
	}
	if scale <= 0 || math.IsInf(scale, 0) || math.IsNaN(scale) {
		return 0
	}
	// At most maxDecimals, unless the series itself is smaller than that:
	// rounded to millionths, a ratio of 1e-7 … 3e-7 would be all zeros.
	limit := maxDecimals
	if size := max(math.Abs(sc.Min), math.Abs(sc.Max)); sc.Shape != "counter" && size > 0 && !math.IsInf(size, 0) {
		limit = max(limit, min(maxTinyDecimals, 2-int(math.Floor(math.Log10(size)))))
	}
	return min(limit, 2-int(math.Floor(math.Log10(scale))))
}

// maxTinyDecimals bounds the decimals of a tiny series (resolution) where
// 10^decimals is still a finite float64.
const maxTinyDecimals = 300

// round rounds v to the series' resolution. Dividing by a power of ten
// (rather than multiplying by its inverse) yields the double nearest to
// the decimal, which is what the history recognises as one.
func (s *simSeries) round(v float64) float64 {
	if s.decimals >= 0 {
		p := math.Pow10(s.decimals)
		return math.Round(v*p) / p
	}
	p := math.Pow10(-s.decimals)
	return math.Round(v/p) * p
}

func (s *simSeries) kind() aggregator.Kind {
	if s.shape == "counter" {
		return aggregator.KindCounter
	}
	return aggregator.KindGauge
}

// value is the series at time t. interval is the source's poll interval,
// which sets the spike shape's chance per poll.
//
//   - sine, square, sawtooth: between min and max over period, shifted by phase.
//   - spike: min, and max in a poll slot chosen at random, rate times a minute
//     on average.
//   - constant: min.
//   - random_walk: starts at a point of [min, max] drawn from the seed and
//     moves by a Gaussian step of standard deviation noise at each poll,
//     reflected at the bounds.
//   - counter: starts at min and grows by rate per second; noise is a
//     relative jitter of the rate, never making it go down.
//
// The first four are pure functions of (seed, series, t) and get Gaussian
// noise of standard deviation noise added; the last two depend on the
// polls so far (the same polls give the same values). Every value is
// rounded to the series' resolution; the walk and the counter keep their
// exact state, so rounding never accumulates (and a rounded counter still
// never goes down).
func (s *simSeries) value(t time.Time, interval time.Duration) float64 {
	ms := t.UnixMilli()
	// Position within the period, reduced in integers first: ms/period as a
	// float would lose the digits that matter to sin.
	pms := max(s.period.Milliseconds(), 1)
	x := float64(((ms%pms)+pms)%pms)/float64(pms) + s.phase
	mid, amp := (s.min+s.max)/2, (s.max-s.min)/2
	var v float64
	switch s.shape {
	case "sine":
		v = mid + amp*math.Sin(2*math.Pi*x)
	case "square":
		v = s.max
		if frac(x) >= 0.5 {
			v = s.min
		}
	case "sawtooth":
		v = s.min + (s.max-s.min)*frac(x)
	case "random_walk":
		return s.round(s.walk(ms))
	case "spike":
		v = s.min
		slot := ms / max(interval.Milliseconds(), 1)
		p := s.rate / 60 * interval.Seconds()
		if unit(s.key, uint64(slot), 0x5b1e) < p {
			v = s.max
		}
	case "counter":
		return s.round(s.count(ms))
	default: // constant
		v = s.min
	}
	if s.noise > 0 {
		v += s.noise * gaussian(s.key, uint64(ms))
	}
	return s.round(v)
}

// count advances the counter to ms. Time that goes backwards adds nothing.
func (s *simSeries) count(ms int64) float64 {
	if !s.begun {
		s.begun, s.total, s.lastMs = true, s.min, ms
		return s.total
	}
	if dt := float64(ms-s.lastMs) / 1000; dt > 0 {
		f := 1.0
		if s.noise > 0 {
			f = max(0, 1+s.noise*gaussian(s.key, uint64(ms)))
		}
		s.total += s.rate * dt * f
		s.lastMs = ms
	}
	return s.total
}

// walk advances the random walk to ms: one step per poll.
func (s *simSeries) walk(ms int64) float64 {
	if !s.begun {
		s.begun, s.lastMs = true, ms
		s.total = s.min + (s.max-s.min)*unit(s.key, 0, 0x3a1c)
		return s.total
	}
	if ms > s.lastMs {
		s.total = reflectInto(s.total+s.noise*gaussian(s.key, uint64(ms)), s.min, s.max)
		s.lastMs = ms
	}
	return s.total
}

// reflectInto folds v back into [lo, hi] as a walk bouncing off the bounds.
func reflectInto(v, lo, hi float64) float64 {
	span := hi - lo
	if span <= 0 {
		return lo
	}
	m := math.Mod(v-lo, 2*span)
	if m < 0 {
		m += 2 * span
	}
	if m > span {
		m = 2*span - m
	}
	return lo + m
}

func frac(x float64) float64 { return x - math.Floor(x) }

// gaussian is a standard normal number drawn from (key, n) (Box–Muller).
func gaussian(key, n uint64) float64 {
	u1 := unit(key, n, 0x6a55)
	u2 := unit(key, n, 0x6a56)
	if u1 < 1e-300 {
		u1 = 1e-300
	}
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// unit is a uniform number in [0, 1) drawn from (key, n, salt).
func unit(key, n, salt uint64) float64 {
	return float64(mix64(key^mix64(n^mix64(salt)))>>11) / (1 << 53)
}

// mix64 is SplitMix64's finaliser: a cheap, well-mixed 64-bit hash.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
