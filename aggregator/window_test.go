package aggregator

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// refWindow recomputes a window's statistics naively from raw samples.
type refWindow struct {
	width, nb int64
	head      int64
	kind      Kind
}

func (r *refWindow) stats(all []point) windowStats {
	start := (r.head - r.nb + 1) * r.width
	var in []point
	var fin []point // every finite sample, for the spacing before the window's
	for _, p := range all {
		if !finite(p.v) { // windows skip NaN and ±Inf
			continue
		}
		fin = append(fin, p)
		if p.t >= start {
			in = append(in, p)
		}
	}
	if len(in) == 0 {
		return windowStats{}
	}
	st := windowStats{Count: len(in), Valid: true, Min: math.Inf(1), Max: math.Inf(-1), Last: in[len(in)-1].v}
	var inc, cov float64
	vals := make([]float64, 0, len(in))
	for _, p := range in {
		st.Sum += p.v
		st.Min, st.Max = min(st.Min, p.v), max(st.Max, p.v)
		vals = append(vals, p.v)
	}
	// The rate: increases over the time between neighbouring samples, but
	// across a gap (further apart than 2.5 times, and 2 s more than, the
	// interval before).
	for i := len(fin) - len(in) + 1; i < len(fin); i++ {
		dt := float64(fin[i].t - fin[i-1].t)
		if i >= 2 {
			before := float64(fin[i-1].t - fin[i-2].t)
			if before > 0 && dt > math.Max(2.5*before, before+2000) {
				continue
			}
		}
		inc += increase(r.kind, fin[i-1].v, fin[i].v)
		cov += dt
	}
	st.Mean = st.Sum / float64(len(in))
	if len(in) > 1 && cov > 0 {
		st.HasRate = true
		st.Rate = inc / (cov / 1000)
	}
	slices.Sort(vals)
	st.P50, st.P90, st.P99 = exactQuantile(vals, 50), exactQuantile(vals, 90), exactQuantile(vals, 99)
	return st
}

func requireClose(t *testing.T, want, got, rel float64, msg string, args ...any) {
	t.Helper()
	tol := rel*math.Abs(want) + 1e-9
	require.InDelta(t, want, got, tol, append([]any{msg}, args...)...)
}

func requireStats(t *testing.T, want, got windowStats, step int) {
	t.Helper()
	require.Equal(t, want.Count, got.Count, "count at step %d", step)
	require.Equal(t, want.Valid, got.Valid, "step %d", step)
	if !want.Valid {
		return
	}
	require.Equal(t, want.Min, got.Min, "min at step %d", step)
	require.Equal(t, want.Max, got.Max, "max at step %d", step)
	require.Equal(t, want.Last, got.Last, "last at step %d", step)
	requireClose(t, want.Mean, got.Mean, 1e-9, "mean at step %d", step)
	require.Equal(t, want.HasRate, got.HasRate, "has rate at step %d", step)
	if want.HasRate {
		requireClose(t, want.Rate, got.Rate, 1e-6, "rate at step %d", step)
	}
	requireClose(t, want.P50, got.P50, 0.01, "p50 at step %d", step)
	requireClose(t, want.P90, got.P90, 0.01, "p90 at step %d", step)
	requireClose(t, want.P99, got.P99, 0.01, "p99 at step %d", step)
}

// TestWindowsMatchReference drives a store with random samples and clock
// steps (injected: sweep takes the time) and checks every window against
// the naive computation after every step.
func TestWindowsMatchReference(t *testing.T) {
	for _, kind := range []Kind{KindGauge, KindCounter} {
		t.Run(kind.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(kind)))
			o := Options{Windows: []time.Duration{10 * time.Second, time.Minute}, History: 2 * time.Minute}.withDefaults()
			var c counters
			st := newStore(o, &c)
			now := int64(1_700_000_000_000)
			v := 100.0
			var all []point
			refs := make([]refWindow, len(o.Windows))
			for i, w := range o.Windows {
				refs[i] = refWindow{width: w.Milliseconds() / int64(o.SubBuckets), nb: int64(o.SubBuckets), head: headNone, kind: kind}
			}
			for step := range 3000 {
				switch op := rng.IntN(10); {
				case op < 7: // a sample, sometimes at the same ms (then it is the same sample again)
					now += int64(rng.IntN(3)) * int64(rng.IntN(400))
					prev := v
					switch {
					case kind == KindCounter && rng.IntN(50) == 0:
						v = float64(rng.IntN(10)) // reset
					case kind == KindCounter:
						v += float64(rng.IntN(100))
					default:
						v = math.Round((v+rng.NormFloat64()*20)*100) / 100
						if rng.IntN(20) == 0 {
							v = -v
						}
					}
					switch rng.IntN(40) { // values windows leave out
					case 0:
						v = math.NaN()
					case 1:
						v = math.Inf(1 - 2*rng.IntN(2))
					}
					dups := c.rejected[rejectDuplicate].Load()
					st.ingest(Batch{Source: "s", Samples: []Sample{{Metric: "m", Kind: kind, TimeMs: now, Value: v}}}, now)
					st.settle(now, len(st.dirty))
					if len(all) > 0 && all[len(all)-1].t == now {
						if math.Float64bits(all[len(all)-1].v) != math.Float64bits(v) {
							dups++
						}
						require.Equal(t, dups, c.rejected[rejectDuplicate].Load())
					} else {
						all = append(all, point{now, v})
					}
					if !finite(v) {
						v = prev
					}
					for i := range refs {
						refs[i].head = max(refs[i].head, floorDiv(now, refs[i].width))
					}
				case op < 9: // time passes; the periodic sweep runs
					now += int64(rng.IntN(5000))
					if rng.IntN(30) == 0 {
						now += 90_000 // long silence: windows empty out
					}
					st.sweep(now, 0, 0, nil)
					for i := range refs {
						refs[i].head = max(refs[i].head, floorDiv(now, refs[i].width))
					}
				default: // a late sample from the past is refused
					before := c.rejected[rejectOutOfOrder].Load() + c.rejected[rejectTooOld].Load()
					if len(all) > 0 && all[len(all)-1].t > 0 {
						st.ingest(Batch{Source: "s", Samples: []Sample{{Metric: "m", Kind: kind, TimeMs: all[len(all)-1].t - 1, Value: 1}}}, now)
						require.Equal(t, before+1, c.rejected[rejectOutOfOrder].Load()+c.rejected[rejectTooOld].Load())
					}
				}
				if len(st.all) == 0 {
					all = nil // evicted after the long silence
					continue
				}
				s := st.all[0]
				for i := range s.wins {
					requireStats(t, refs[i].stats(all), s.wins[i].stats(), step)
				}
			}
		})
	}
}

// TestWindowExpiry checks with an injected clock that a window empties out
// slice by slice once samples stop.
func TestWindowExpiry(t *testing.T) {
	o := Options{Windows: []time.Duration{time.Minute}}.withDefaults()
	var c counters
	st := newStore(o, &c)
	t0 := int64(1_700_000_040_000) // a whole second
	for i := range 60 {
		ts := t0 + int64(i)*1000
		st.ingest(Batch{Source: "s", Samples: []Sample{{Metric: "m", TimeMs: ts, Value: float64(i)}}}, ts)
		st.settle(ts, len(st.dirty))
	}
	s := st.all[0]
	got := s.wins[0].stats()
	require.Equal(t, 60, got.Count)
	require.Equal(t, 0.0, got.Min)
	require.Equal(t, 59.0, got.Max)
	require.InDelta(t, 1.0, got.Rate, 1e-12)

	// Ten seconds later the ten oldest samples have left.
	st.sweep(t0+69_000, 0, 0, nil)
	got = s.wins[0].stats()
	require.Equal(t, 50, got.Count)
	require.Equal(t, 10.0, got.Min)
	require.True(t, s.winDirty)

	// A minute after the last sample the window is empty, and says so in JSON.
	st.sweep(t0+59_000+60_000, 0, 0, nil)
	got = s.wins[0].stats()
	require.Equal(t, 0, got.Count)
	require.False(t, got.Valid)
	require.JSONEq(t, `{"count":0,"min":null,"max":null,"mean":null,"last":null,"rate":null,"p50":null,"p90":null,"p99":null}`,
		string(appendStats(nil, &got)))
}

func TestWindowSingleSampleHasNoRate(t *testing.T) {
	o := Options{}.withDefaults()
	var c counters
	st := newStore(o, &c)
	st.ingest(Batch{Source: "s", Samples: []Sample{{Metric: "m", TimeMs: 1000, Value: 5}}}, 1000)
	st.settle(1000, len(st.dirty))
	got := st.all[0].wins[0].stats()
	require.Equal(t, 1, got.Count)
	require.False(t, got.HasRate, "one sample has no rate")
	require.Contains(t, string(appendStats(nil, &got)), `"rate":null`)
}

func TestLogHistRemoveRestores(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var h loghist
	var vals []float64
	for range 5000 {
		v := math.Exp(rng.NormFloat64()*20) * float64(1-2*rng.IntN(2))
		if rng.IntN(10) == 0 {
			v = 0
		}
		h.add(v)
		vals = append(vals, v)
	}
	for _, v := range vals {
		h.remove(v)
	}
	require.Zero(t, h.total())
	var q [1]float64
	require.False(t, h.quantiles([]float64{0.5}, q[:]))
}

func TestWindowName(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute: "1m", 5 * time.Minute: "5m", 15 * time.Minute: "15m", 30 * time.Second: "30s",
		time.Hour: "1h", 90 * time.Minute: "1h30m", 250 * time.Millisecond: "250ms", 0: "0s",
	} {
		require.Equal(t, want, WindowName(d))
	}
}

// A spike far larger than the window's other values takes its rounding
// with it when it leaves: the sum and the mean of what stays are exact at
// once, not only after the next recompute from the history (which a
// plain running sum needed: 1e20 + 1 − 1e20 is 0).
func TestWindowSumExactAfterASpikeLeaves(t *testing.T) {
	o := Options{Windows: []time.Duration{time.Minute}}.withDefaults()
	var c counters
	st := newStore(o, &c)
	t0 := int64(1_700_000_040_000)
	for i := range 200 {
		v := 1.0
		if i == 100 {
			v = 1e20
		}
		ts := t0 + int64(i)*1000
		st.ingest(Batch{Source: "s", Samples: []Sample{{Metric: "m", TimeMs: ts, Value: v}}}, ts)
		st.settle(ts, len(st.dirty))
		got := st.all[0].wins[0].stats()
		if i >= 160 { // the spike has left
			require.Equal(t, float64(got.Count), got.Sum, "sum at %d s", i)
			require.Equal(t, 1.0, got.Mean, "mean at %d s", i)
		}
	}
}

// The windows' histograms share one array (histSet), a row a bin with
// each window's count side by side: each column answers exactly what a
// histogram of its own answers, through adds every column takes, removals
// at each column's own lag, resets of one column, and the array sliding
// and growing under a climbing series (no collapse: within 10^12).
func TestHistSetColumnsMatchAlone(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	lags := []int{60, 300, 900}
	set := newHistSet(len(lags))
	var shared, alone [3]loghist
	for c := range lags {
		shared[c] = set.column(c)
	}
	var vals []float64
	v := 500.0
	qs := []float64{0.5, 0.9, 0.99}
	for i := range 5000 {
		switch {
		case i < 2000:
			v += rng.NormFloat64() * 10 // a random walk
		case i < 4000:
			v = float64(i) * 1000 // climbing: the rows slide up
		default:
			v = -math.Exp(rng.NormFloat64() * 2) // negative, wide
		}
		vals = append(vals, v)
		for c, lag := range lags {
			shared[c].add(v)
			alone[c].add(v)
			if i >= lag {
				shared[c].remove(vals[i-lag])
				alone[c].remove(vals[i-lag])
			}
			if i == 2500 && c == 1 {
				shared[c].reset()
				alone[c].reset()
			}
			var got, want [3]float64
			require.Equal(t, alone[c].quantiles(qs, want[:]), shared[c].quantiles(qs, got[:]))
			require.Equal(t, want, got, "column %d after %d samples", c, i)
			require.Equal(t, alone[c].total(), shared[c].total())
		}
	}
}

// A histogram's bins do not keep their widest span: a counter climbing
// from zero spans decades at first, then a few bins once the old values
// have left, and trim cuts the array down (which still answers as a fresh
// histogram of what it holds does); an emptied one lets its array go.
func TestHistBinsShrinkWhenTheValuesNarrow(t *testing.T) {
	set := newHistSet(2)
	h, other := set.column(0), set.column(1)
	var climb []float64
	for v := 1.0; v < 1e6; v *= 1.01 {
		climb = append(climb, v)
		h.add(v)
	}
	wide := set.pos.rows(2)
	require.Greater(t, wide, int32(512))
	kept := climb[len(climb)-20:]
	fresh := newHistSet(1).column(0)
	for _, v := range kept {
		fresh.add(v)
	}
	for _, v := range climb[:len(climb)-20] {
		h.remove(v)
	}
	require.Equal(t, wide, set.pos.rows(2), "removing does not move the bins")
	h.trim()
	require.LessOrEqual(t, set.pos.rows(2), int32(64), "was %d rows", wide)
	got, want := make([]float64, 3), make([]float64, 3)
	require.True(t, h.quantiles(statQuantiles, got))
	require.True(t, fresh.quantiles(statQuantiles, want))
	require.Equal(t, want, got)

	other.add(5)
	h.reset()
	require.NotNil(t, set.pos.bins, "the other column still counts")
	other.remove(5)
	other.reset() // as a window that empties does
	require.Nil(t, set.pos.bins, "empty: the array is let go")
	h.add(7)
	seven := newHistSet(1).column(0)
	seven.add(7)
	require.True(t, h.quantiles(statQuantiles, got))
	require.True(t, seven.quantiles(statQuantiles, want))
	require.Equal(t, want, got, "and a new one starts as a fresh histogram")
}

// The windows of a counter that climbs from zero trim their shared bins as
// they slide: after three minutes of a counter at 1,000 a second, the
// one-minute window spans a factor of 1.5 (about 20 bins), not the decades
// of its first seconds.
func TestWindowsTrimTheBinsOfACounterFromZero(t *testing.T) {
	o := Options{Windows: []time.Duration{10 * time.Second, time.Minute}, History: 2 * time.Minute}.withDefaults()
	var c counters
	st := newStore(o, &c)
	now := int64(1_700_000_000_000)
	widest := int32(0)
	for i := range 1800 {
		st.ingest(Batch{Source: "s", Samples: []Sample{{Metric: "m_total", Kind: KindCounter, TimeMs: now, Value: float64(i) * 100}}}, now)
		st.settle(now, len(st.dirty))
		for _, s := range st.dirty {
			s.dirty = false
		}
		st.dirty = st.dirty[:0]
		widest = max(widest, st.all[0].hists.pos.rows(2))
		now += 100
	}
	s := st.all[0]
	require.GreaterOrEqual(t, widest, int32(512), "the first seconds spanned decades")
	require.Less(t, s.hists.pos.rows(2), widest/3, "widest was %d rows", widest)
	for i := range s.wins {
		var got [3]float64
		require.True(t, s.wins[i].hist.quantiles(statQuantiles, got[:]))
		lo, hi := s.wins[i].extremes()
		require.True(t, lo <= got[0] && got[2] <= hi*1.02, "window %d: %v within [%g, %g]", i, got, lo, hi)
	}
}

// A series' three windows are one allocation of at most 3 × 384 bytes, which is
// one of Go's size classes (1,152): a window 8 bytes larger costs 128
// bytes a series (the next class, 1,280; BenchmarkStoreMemory).
func TestWindowSize(t *testing.T) {
	require.LessOrEqual(t, unsafe.Sizeof(window{}), uintptr(384))
}
