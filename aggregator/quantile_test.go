package aggregator

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// exactQuantile is the nearest-rank percentile p (in percent) of sorted:
// the smallest value with at least ⌈p·n/100⌉ values at or below it,
// computed in integers so that no rounding can move it (numpy's
// quantile(method="inverted_cdf")).
func exactQuantile(sorted []float64, p int) float64 {
	n := len(sorted)
	k := (p*n + 99) / 100
	return sorted[max(k, 1)-1]
}

// TestExactQuantileIsNumpyInvertedCDF pins the reference to values numpy
// gives: np.quantile(np.arange(1, n+1), q, method="inverted_cdf").
func TestExactQuantileIsNumpyInvertedCDF(t *testing.T) {
	seq := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = float64(i + 1)
		}
		return s
	}
	for _, tc := range []struct {
		n, p int
		want float64
	}{
		{1, 50, 1}, {1, 99, 1}, {2, 50, 1}, {2, 90, 2}, {4, 50, 2}, {5, 50, 3},
		{10, 90, 9}, {10, 99, 10}, {24, 99, 24}, {24, 90, 22}, {24, 50, 12},
		{100, 99, 99}, {100, 90, 90}, {101, 99, 100}, {1000, 99, 990},
	} {
		require.Equal(t, tc.want, exactQuantile(seq(tc.n), tc.p), "n=%d p=%d", tc.n, tc.p)
	}
}

// TestLogHistQuantilesNearestRank is the property: for any multiset, each
// quantile is within the histogram's relative accuracy of the exact
// nearest-rank value, for small samples (n = 1…50, where a rank's
// rounding matters most) and large ones.
func TestLogHistQuantilesNearestRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 99))
	draws := map[string]func() float64{
		"latency":  func() float64 { return math.Exp(rng.NormFloat64()*1.5 - 4) },
		"uniform":  func() float64 { return rng.Float64()*200 - 100 },
		"integers": func() float64 { return float64(rng.IntN(7)) }, // many ties, and zeros
		"outliers": func() float64 { return []float64{0.02, 0.021, 0.019, 1.5}[rng.IntN(4)] * float64(1+rng.IntN(2)) },
		// 11 decades each side: full accuracy spans about 12 (see histMaxBins).
		"magnitude": func() float64 { return math.Copysign(math.Pow(10, rng.Float64()*11-5), rng.Float64()-0.3) },
	}
	percents := []int{50, 90, 99}
	qs := []float64{0.5, 0.9, 0.99}
	check := func(name string, vals []float64) {
		t.Helper()
		var h loghist
		for _, v := range vals {
			h.add(v)
		}
		sorted := slices.Sorted(slices.Values(vals))
		var got [3]float64
		require.True(t, h.quantiles(qs, got[:]))
		for i, p := range percents {
			want := exactQuantile(sorted, p)
			tol := histAlpha*math.Abs(want) + histMinValue
			require.InDelta(t, want, got[i], tol, "%s n=%d p%d of %v", name, len(vals), p, sorted)
		}
	}
	for name, draw := range draws {
		for n := 1; n <= 50; n++ {
			for range 20 {
				vals := make([]float64, n)
				for i := range vals {
					vals[i] = draw()
				}
				check(name, vals)
			}
		}
		for _, n := range []int{1000, 100_000} {
			vals := make([]float64, n)
			for i := range vals {
				vals[i] = draw()
			}
			check(name, vals)
		}
	}
}

// TestWindowP99SeesTheOutlier is the demo's case: 24 latencies, one of
// them 1.5 s and the rest about 20 ms. One in 24 is over 1%, so p99 is
// the outlier (the lower rank q·(n−1) said 20 ms).
func TestWindowP99SeesTheOutlier(t *testing.T) {
	var c counters
	st := newStore(Options{}.withDefaults(), &c)
	now := int64(1_700_000_000_000)
	samples := make([]Sample, 24)
	for i := range samples {
		samples[i] = Sample{Metric: "request_latency_seconds", TimeMs: now + int64(i)*1000, Value: 0.02 + float64(i%5)*0.0005}
	}
	samples[17].Value = 1.5
	st.ingest(Batch{Source: "demo", Samples: samples}, now+23_000)
	st.settle(now+23_000, len(st.dirty)) // windows take samples as they are published
	got := st.all[0].wins[0].stats()
	require.Equal(t, 24, got.Count)
	require.Equal(t, 1.5, got.P99, "p99 is the outlier, clamped to the exact max")
	require.InDelta(t, 0.022, got.P90, 0.022*histAlpha, "p90: the 22nd of 24")
	require.InDelta(t, 0.021, got.P50, 0.021*histAlpha, "p50: the 12th of 24")
}

func TestNearestRankEdges(t *testing.T) {
	require.Equal(t, uint64(1), nearestRank(0, 10))
	require.Equal(t, uint64(1), nearestRank(math.NaN(), 10))
	require.Equal(t, uint64(10), nearestRank(1, 10))
	require.Equal(t, uint64(10), nearestRank(1.5, 10))
	require.Equal(t, uint64(99), nearestRank(0.99, 100), "0.99·100 is 99 despite its rounding")
	require.Equal(t, uint64(100), nearestRank(0.99, 101))
	for n := uint64(1); n <= 10_000; n++ {
		for _, p := range []uint64{50, 90, 99} {
			require.Equal(t, (p*n+99)/100, nearestRank(float64(p)/100, n), "n=%d p=%d", n, p)
		}
	}
}
