package aggregator

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A window's extremes are those of the samples it holds (read back from
// the history through a copy of its cursor), for series of every shape the
// wedges treat differently: a random walk, a counter with resets, an
// oscillation that narrows (the wedges' worst case), a constant, and one
// with NaN and ±Inf among its values; through slices leaving, silences
// that empty the windows, and samples late in their slice. The wedges
// never hold more than an entry per slice, nor grow past it.
func TestWindowExtremesMatchTheSamplesHeld(t *testing.T) {
	for _, nb := range []int{6, 60} {
		t.Run("slices="+strconv.Itoa(nb), func(t *testing.T) {
			a, clk := newTestAgg(Options{Windows: []time.Duration{6 * time.Second, time.Minute}, SubBuckets: nb})
			rng := rand.New(rand.NewPCG(1, uint64(nb)))
			shapes := []func(step int, prev float64) float64{
				func(_ int, prev float64) float64 { return math.Round(prev + rng.NormFloat64()*10) },
				func(_ int, prev float64) float64 {
					if rng.IntN(40) == 0 {
						return 0
					}
					return prev + float64(rng.IntN(5))
				},
				func(step int, _ float64) float64 {
					return float64((step%2)*2-1) * (1e6 - float64(step))
				},
				func(int, float64) float64 { return 7 },
				func(_ int, prev float64) float64 {
					switch rng.IntN(10) {
					case 0:
						return math.NaN()
					case 1:
						return math.Inf(1 - 2*rng.IntN(2))
					}
					if !finite(prev) {
						prev = 0
					}
					return prev + rng.NormFloat64()
				},
			}
			prev := make([]float64, len(shapes))
			grew := false
			for step := range 3000 {
				var ss []Sample
				for i, shape := range shapes {
					if rng.IntN(4) > 0 {
						prev[i] = shape(step, prev[i])
						ss = append(ss, Sample{Metric: "m", Labels: Labels{{"shape", strconv.Itoa(i)}}, TimeMs: clk.ms, Value: prev[i]})
					}
				}
				a.ingest(batch("s", ss...))
				clk.ms += int64(rng.IntN(300))
				if step%499 == 0 {
					clk.ms += 70_000 // every window empties
				}
				a.tick()
				for _, s := range a.st.all {
					for i := range s.wins {
						w := &s.wins[i]
						lo, hi := heldExtremes(&s.hist, w, s.kind)
						glo, ghi := w.extremes()
						require.Equal(t, [2]float64{lo, hi}, [2]float64{glo, ghi}, "step %d, series %s, window %d", step, s.labels, i)
						for _, q := range []*wedge{&w.valleys, &w.peaks} {
							require.LessOrEqual(t, len(q.e)-int(q.lo), nb, "live entries")
							require.LessOrEqual(t, cap(q.e), nb, "array")
							grew = grew || len(q.e)-int(q.lo) > nb/2
						}
					}
				}
			}
			require.True(t, grew, "the narrowing oscillation filled a wedge past half its slices")
		})
	}
}

// heldExtremes are the min and max of the finite samples w holds, read
// from its series' history h as w.recompute does.
func heldExtremes(h *history, w *window, kind Kind) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	c := w.cur
	for range w.held {
		p, _, ok := c.next(h, kind)
		if !ok {
			break
		}
		if finite(p.v) {
			lo, hi = min(lo, p.v), max(hi, p.v)
		}
	}
	return lo, hi
}
