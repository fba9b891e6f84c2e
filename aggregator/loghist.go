package aggregator

import (
	"math"

	"github.com/DataDog/sketches-go/ddsketch/mapping"
)

// histAlpha is the relative accuracy of window quantiles. It is kept a
// little under the promised 1% so that floating-point rounding in the
// mapping can never push an estimate past it.
const histAlpha = 0.0095

// histMaxBins bounds each side of a histogram. Only a window whose values
// span more than a factor of gamma^histMaxBins (about 10^12) loses accuracy,
// and then only in its smallest magnitudes, which are collapsed together.
const histMaxBins = 2048

// histMapping maps magnitudes to bins: DDSketch's linearly interpolated
// mapping, which reads the exponent and significand bits instead of taking
// a logarithm (both ways: reading a quantile back is as cheap), with the
// same relative-accuracy guarantee for ~44% more bins. Read-only after init.
var histMapping = func() *mapping.LinearlyInterpolatedMapping {
	m, err := mapping.NewLinearlyInterpolatedMapping(histAlpha)
	if err != nil {
		panic(err)
	}
	return m
}()

// histValueFactor turns a bin's lower bound into its representative value
// (mapping.Value recomputes it on every call).
var histValueFactor = 1 + histMapping.RelativeAccuracy()

var (
	// Magnitudes below histMinValue count as zero; above histMaxValue they
	// share the top bin (the estimate is clamped to the exact max anyway).
	histMinValue = histMapping.MinIndexableValue()
	histMaxValue = histMapping.MaxIndexableValue()
)

// loghist is a DDSketch-style log-bucketed histogram that also supports
// removing a value: bins hold integer counts, so adding and removing the
// same value leaves it exactly as it was. That is what lets a sliding
// window keep one histogram and subtract what leaves it, instead of merging
// sixty sketches on every read.
type loghist struct {
	pos, neg binStore
	zero     uint32
}

func histIndex(mag float64) int32 {
	return int32(histMapping.Index(min(mag, histMaxValue)))
}

// histValue is the representative value of bin i: within histAlpha of every
// value the bin holds.
func histValue(i int32) float64 { return histMapping.LowerBound(int(i)) * histValueFactor }

func (h *loghist) add(v float64) {
	switch {
	case v >= histMinValue:
		h.pos.add(histIndex(v))
	case v <= -histMinValue:
		h.neg.add(histIndex(-v))
	default:
		h.zero++
	}
}

func (h *loghist) remove(v float64) {
	switch {
	case v >= histMinValue:
		h.pos.remove(histIndex(v))
	case v <= -histMinValue:
		h.neg.remove(histIndex(-v))
	default:
		if h.zero > 0 {
			h.zero--
		}
	}
}

func (h *loghist) reset() {
	h.pos.reset()
	h.neg.reset()
	h.zero = 0
}

func (h *loghist) total() uint64 {
	return h.pos.total + h.neg.total + uint64(h.zero)
}

// quantiles fills out[i] with the qs[i] quantile (qs ascending, at most
// 8) by the nearest-rank definition: the smallest value with at least
// ⌈q·n⌉ of the n values at or below it (numpy's "inverted_cdf"; never
// below the first value). Each answer is the representative of the bin
// that holds that value, so within histAlpha of it. It returns false when
// the histogram is empty.
//
// The bins are mostly zeros (a counter's window spreads a few samples over
// hundreds of bins), so the scan adds every bin without testing it and only
// compares the running count with the next rank, a branch that is almost
// always predicted.
func (h *loghist) quantiles(qs []float64, out []float64) bool {
	n := h.total()
	if n == 0 {
		return false
	}
	var ranks [8]uint64 // the answer is the first bin where cum > rank
	for i, q := range qs {
		ranks[i] = nearestRank(q, n) - 1
	}
	qi := 0
	next := ranks[0]
	var cum uint64
	neg := h.neg.bins
	for i := len(neg) - 1; i >= 0; i-- { // most negative first
		cum += uint64(neg[i])
		for cum > next {
			out[qi] = -histValue(h.neg.offset + int32(i))
			if qi++; qi == len(qs) {
				return true
			}
			next = ranks[qi]
		}
	}
	cum += uint64(h.zero)
	for cum > next {
		out[qi] = 0
		if qi++; qi == len(qs) {
			return true
		}
		next = ranks[qi]
	}
	pos := h.pos.bins
	for i := range pos {
		cum += uint64(pos[i])
		for cum > next {
			out[qi] = histValue(h.pos.offset + int32(i))
			if qi++; qi == len(qs) {
				return true
			}
			next = ranks[qi]
		}
	}
	for ; qi < len(qs); qi++ { // unreachable unless counts are inconsistent
		out[qi] = out[max(qi-1, 0)]
	}
	return true
}

// nearestRank is the 1-based rank ⌈q·n⌉ of the q quantile of n values,
// between 1 and n. q·n is rounded first by a margin far below any real
// fraction of a rank, so that a product that should be whole (0.99·100)
// does not go up a rank for the last bit of its floating-point error.
func nearestRank(q float64, n uint64) uint64 {
	k := math.Ceil(q*float64(n) - 1e-9)
	switch {
	case !(k >= 1): // q ≤ 0 or NaN
		return 1
	case k >= float64(n):
		return n
	}
	return uint64(k)
}

// binStore is a dense run of bin counts starting at bin index offset. It
// slides as the values move (a counter's window climbs for ever) and
// collapses its lowest bins into one past histMaxBins.
type binStore struct {
	bins   []uint32
	offset int32
	total  uint64
}

func (s *binStore) reset() {
	clear(s.bins)
	s.total = 0
}

func (s *binStore) add(i int32) {
	s.total++
	if len(s.bins) == 0 {
		s.bins = make([]uint32, 8)
		s.offset = i - 4
	}
	if i < s.offset || i >= s.offset+int32(len(s.bins)) {
		s.fit(i)
	}
	if i < s.offset { // collapsed
		i = s.offset
	}
	s.bins[i-s.offset]++
}

func (s *binStore) remove(i int32) {
	if i < s.offset {
		i = s.offset
	}
	j := i - s.offset
	if j < 0 || int(j) >= len(s.bins) || s.bins[j] == 0 {
		return // not held: callers only remove what they added
	}
	s.bins[j]--
	s.total--
}

// fit makes room for bin i: it drops empty bins at both ends, then grows
// the array (doubling) or, past histMaxBins, collapses the lowest bins.
func (s *binStore) fit(i int32) {
	lo, hi := 0, len(s.bins)
	for lo < hi && s.bins[lo] == 0 {
		lo++
	}
	for hi > lo && s.bins[hi-1] == 0 {
		hi--
	}
	var first, last int32 // wanted index range, inclusive
	if lo == hi {
		first, last = i, i
	} else {
		first, last = min(i, s.offset+int32(lo)), max(i, s.offset+int32(hi-1))
	}
	if span := last - first + 1; span > histMaxBins {
		// Collapse: keep the top histMaxBins bins, fold the rest into the lowest kept.
		newFirst := last - histMaxBins + 1
		var folded uint32
		for j := lo; j < hi && s.offset+int32(j) < newFirst; j++ {
			folded += s.bins[j]
			s.bins[j] = 0
		}
		s.relocate(newFirst, histMaxBins)
		s.bins[0] += folded
		return
	}
	size := len(s.bins)
	for int32(size) < last-first+1 {
		size *= 2
	}
	size = min(size, histMaxBins)
	// Centre the wanted range so that drift either way has room.
	slack := int32(size) - (last - first + 1)
	s.relocate(first-slack/2, size)
}

// relocate moves the counts into an array of size bins starting at newOffset.
// Counts outside the new range must already be zero.
func (s *binStore) relocate(newOffset int32, size int) {
	old, oldOffset := s.bins, s.offset
	if size != len(old) {
		s.bins = make([]uint32, size)
	} else {
		old = append([]uint32(nil), old...)
		clear(s.bins)
	}
	s.offset = newOffset
	for j, c := range old {
		if c == 0 {
			continue
		}
		k := oldOffset + int32(j) - newOffset
		if k < 0 {
			k = 0
		}
		s.bins[k] += c
	}
}
