package aggregator

import "math"

// window keeps one series' statistics over one sliding span.
//
// How it works: the span is cut into nb slices of width ms; the window
// holds the samples of its newest nb slices, and a slice that leaves takes
// its samples with it. Min and max are kept exactly by two wedges of the
// samples that could still become one (window_extremes.go). Count, sum,
// the counter increase and the quantile
// histogram are kept for the whole window and the samples that leave are
// subtracted: a cursor into the series' history sits on the oldest sample
// still in the window, and advancing the window decodes and removes the
// samples the cursor passes. Each sample is thus added once and removed
// once per window: O(1) amortised. The sums are compensated (ksum), so
// that what leaves takes its own rounding with it: a spike of 1e20 that
// leaves a window of ones leaves their sum exact, where a plain running sum
// would say 0. What compensation leaves of drift (of the order of ε² per
// step) is cleared by recomputing the sums from the history once
// recomputeAfter times as many removals as the window holds have happened
// (after as many as it holds, should a sum have overflowed); they reset
// to zero whenever the window empties. (Plain sums, recomputed after as
// many removals as the window holds, decoded every sample twice: the
// recompute was a tenth of the aggregator's CPU in the running binary.)
//
// NaN and ±Inf samples are stored in the history but count in no
// statistic: the cursor steps over them, and one behind a counted sample
// is only held (held, not count) until it reaches the cursor.
type window struct {
	// The fields are in the order a sample touches them: add reads and
	// writes the first two cache lines (and the histogram's header, on the
	// third), advanceTo adds the slice fields after it, and only a removal
	// reaches the cursor at the end. A store of 100,000 series is many
	// times larger than the caches, so every line a sample touches is a
	// miss (BenchmarkIngestBinaryShape).
	//
	// headEnd is the first millisecond after the head slice (math.MinInt64
	// before any): most samples fall in the head slice, and they then need
	// no division (three windows a sample made divisions a tenth of the
	// ingest path).
	headEnd int64
	// held and count are int32, as are removed and sinceTrim: a window
	// holds at most its span's samples (900 for 15 minutes at 1 s). A
	// window is 384 bytes, so that a series' three windows fill one
	// 1,152-byte allocation (at 440 bytes they took 1,408): a field added
	// costs 128 bytes a series (TestWindowSize, BENCHMARKS.md "A series'
	// memory").
	held   int32 // samples from the cursor on that were added: count plus the non-finite among them
	count  int32
	sum    ksum
	covSum int64 // the time (ms) the increases in incSum are over

	incSum ksum // increase (reset-aware for counters) of every sample held, gaps left out (window_gap.go)
	last   float64
	firstV float64 // the value of the oldest sample held (firstT's)
	// valleys and peaks are the samples that may yet be the min or the
	// max (window_extremes.go).
	valleys, peaks wedge
	hist           loghist

	width   int64 // slice width in ms
	nb      int64 // slices per window
	head    int64 // newest slice index (t/width); headNone before any
	firstT  int64
	first   rateStep // the part of incSum and covSum that came from before the window
	removed int32    // removals since sum and incSum were last recomputed
	// sinceTrim counts removals since the histogram's bins were last
	// trimmed (trimAfter).
	sinceTrim int32

	cur cursor // oldest sample still in the window
}

const headNone = math.MinInt64

// recomputeAfter is how many times the samples it holds a window removes
// before its compensated sums are recomputed from the history.
const recomputeAfter = 16

// trimAfter is how many times the samples it holds a window removes
// before it trims the histogram's bins (loghist.trim, a pass over them):
// a few passes an hour for a window of a minute at 1 s.
const trimAfter = 4

// ksum is a float sum compensated for its rounding (Neumaier's variant of
// Kahan's): the sum is s+c, c holding what the additions into s rounded
// off. Adding -x removes x, exactly whenever x's own rounding is still in c.
type ksum struct{ s, c float64 }

func (k *ksum) add(x float64) {
	t := k.s + x
	switch {
	case !finite(t): // overflow: recomputed by the caller
	case math.Abs(k.s) >= math.Abs(x):
		k.c += (k.s - t) + x
	default:
		k.c += (x - t) + k.s
	}
	k.s = t
}

func (k *ksum) value() float64 { return k.s + k.c }

// The extremes of an empty window.
var emptyMin, emptyMax = math.Inf(1), math.Inf(-1)

// newWindow makes a window of nb slices over spanMs, before any sample;
// its cursor reads the samples leaving it from the history its callers
// give it.
func newWindow(spanMs int64, nb int) window {
	return window{width: spanMs / int64(nb), nb: int64(nb), head: headNone, headEnd: math.MinInt64}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// start is the first millisecond the window covers (math.MinInt64 before
// any slice). Computed rather than kept: 8 bytes a window (BENCHMARKS.md,
// "A series' memory"), for a multiplication.
func (w *window) start() int64 {
	if w.headEnd == math.MinInt64 {
		return math.MinInt64
	}
	return w.headEnd - w.nb*w.width
}

// add counts a sample that the series' history already holds: the oldest
// one not added yet. rs is its increase over the previous finite sample
// and the time between them (rateTrack).
func (w *window) add(h *history, t int64, v float64, rs rateStep, kind Kind) {
	if t >= w.headEnd {
		w.advanceTo(h, floorDiv(t, w.width), kind)
	}
	fin := finite(v)
	if t < w.start() || (!fin && w.held == 0) {
		// Older than the window, or a NaN/Inf with nothing held before
		// it: every earlier point has left, so the cursor is on this one;
		// step over it.
		w.cur.next(h, kind)
		return
	}
	w.held++
	if !fin {
		return
	}
	slice := w.head
	if t < w.headEnd-w.width { // an older slice than the head's
		slice = floorDiv(t, w.width)
	}
	w.addExtreme(v, slice)
	if w.count == 0 {
		w.firstT, w.firstV, w.first = t, v, rs
	}
	w.count++
	w.sum.add(v)
	w.incSum.add(rs.inc)
	w.covSum += rs.cov
	w.last = v
	w.hist.add(v)
}

// shedsAt is the first time advance would remove a sample: when the slice
// of the oldest held one leaves (math.MaxInt64 when it holds none). A
// window that holds samples rests with its cursor on a counted one,
// firstT's.
func (w *window) shedsAt() int64 {
	switch {
	case w.held == 0:
		return math.MaxInt64
	case w.count == 0: // not the resting state advance leaves: sweep it
		return math.MinInt64
	}
	return (floorDiv(w.firstT, w.width) + w.nb) * w.width
}

// advance moves the window so that its newest slice holds nowMs, removing
// what falls out. It reports whether the statistics changed.
func (w *window) advance(h *history, nowMs int64, kind Kind) bool {
	if nowMs < w.headEnd {
		return false
	}
	before := w.count
	w.advanceTo(h, floorDiv(nowMs, w.width), kind)
	return w.count != before
}

func (w *window) advanceTo(h *history, s int64, kind Kind) {
	w.head, w.headEnd = s, (s+1)*w.width
	w.valleys.expire(s - w.nb + 1)
	w.peaks.expire(s - w.nb + 1)
	if w.held == 0 {
		return
	}
	start := w.start()
	// A held NaN/Inf that reaches the cursor goes whatever its time: it
	// counts in nothing, and so the cursor always rests on a counted point.
	for w.held > 0 {
		p, rs, ok := w.cur.peek(h, kind)
		fin := finite(p.v)
		if !ok || fin && p.t >= start {
			break
		}
		w.cur.next(h, kind) // the point just peeked
		w.held--
		if !fin {
			continue
		}
		w.count--
		w.sum.add(-p.v)
		w.incSum.add(-rs.inc)
		w.covSum -= rs.cov
		w.hist.remove(p.v)
		w.removed++
		w.sinceTrim++
	}
	if int(w.sinceTrim) > trimAfter*(int(w.count)+16) {
		w.sinceTrim = 0
		w.hist.trim()
	}
	if w.count == 0 {
		w.sum, w.incSum, w.covSum, w.removed = ksum{}, ksum{}, 0, 0
		w.hist.reset()
		w.valleys.reset()
		w.peaks.reset()
		return
	}
	p, rs, _ := w.cur.peek(h, kind)
	w.firstT, w.firstV, w.first = p.t, p.v, rs
	if over := w.removed > w.count+16; over && (!finite(w.sum.s) || !finite(w.incSum.s)) || int(w.removed) > recomputeAfter*(int(w.count)+16) {
		w.recompute(h, kind)
	}
}

// recompute sums the window's samples afresh from the history: the held
// samples from the cursor on (the history may already hold newer samples
// that add is about to count).
func (w *window) recompute(h *history, kind Kind) {
	c := w.cur
	var sum, incSum ksum
	var covSum int64
	for range w.held {
		p, rs, ok := c.next(h, kind)
		if !ok {
			break
		}
		if !finite(p.v) {
			continue
		}
		sum.add(p.v)
		incSum.add(rs.inc)
		covSum += rs.cov
	}
	w.sum, w.incSum, w.covSum, w.removed = sum, incSum, covSum, 0
}

// windowStats is what the protocol shows of a window. Valid is false for an
// empty window; then only Count (0) is meaningful.
type windowStats struct {
	Count                int
	Min, Max, Mean, Last float64
	Rate                 float64
	HasRate              bool
	P50, P90, P99        float64
	Sum                  float64
	Valid                bool
}

var statQuantiles = []float64{0.5, 0.9, 0.99}

func (w *window) stats() windowStats {
	if w.count == 0 {
		return windowStats{}
	}
	st := windowStats{Count: int(w.count), Valid: true, Last: w.last, Sum: w.sum.value()}
	st.Min, st.Max = w.extremes()
	st.Mean = st.Sum / float64(w.count)
	// The mean of values within [min, max] lies within it too; the running
	// sum's rounding must not say otherwise.
	st.Mean = min(max(st.Mean, st.Min), st.Max)
	st.Rate, st.HasRate = w.rate()
	var q [3]float64
	if w.hist.quantiles(statQuantiles, q[:]) {
		st.P50 = w.exactEnds(statQuantiles[0], q[0], st.Min, st.Max)
		st.P90 = w.exactEnds(statQuantiles[1], q[1], st.Min, st.Max)
		st.P99 = w.exactEnds(statQuantiles[2], q[2], st.Min, st.Max)
	}
	return st
}

// exactEnds clamps the histogram's estimate v of quantile q to the exact
// extremes, and returns them exactly when q's nearest rank is the first or
// the last sample: p99 of 100 samples or fewer is the exact max.
func (w *window) exactEnds(q, v, lo, hi float64) float64 {
	switch nearestRank(q, uint64(w.count)) {
	case 1:
		return lo
	case uint64(w.count):
		return hi
	}
	return min(max(v, lo), hi)
}

// increase is a sample's increase over the previous one: for a counter a
// decrease is a reset and the new value is the increase.
func increase(kind Kind, prev, v float64) float64 {
	if kind == KindCounter && v < prev {
		return v
	}
	return v - prev
}
