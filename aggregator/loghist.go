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
//
// Its bins are one column of a histSet, which a series' windows share
// (histSet); the zero value is a histogram with a set of its own.
type loghist struct {
	set      *histSet
	pos, neg uint64 // values held in the positive and negative bins
	col      int32
	zero     uint32
}

// histSet holds the bins of the histograms of one series' windows in one
// array: row r holds the counts of bin offset+r of every window, side by
// side. Every window adds each sample at once, so an add touches one
// cache line instead of one a window: with three windows' separate arrays,
// a sample cost three cache misses at 100,000 series (a sixth of
// BenchmarkIngestBinaryShape's profile). Removals, which leave each window
// at its own time, touch one line each as before. The rows are the union
// of the windows' ranges, and collapse (histMaxBins) applies to the union.
type histSet struct {
	pos, neg binStore
	k        int32 // columns: the windows sharing it
}

// newHistSet returns the shared bins of k windows.
func newHistSet(k int) *histSet { return &histSet{k: int32(k)} }

// column is the histogram of column col of set.
func (set *histSet) column(col int) loghist { return loghist{set: set, col: int32(col)} }

func histIndex(mag float64) int32 {
	return int32(histMapping.Index(min(mag, histMaxValue)))
}

// histValue is the representative value of bin i: within histAlpha of every
// value the bin holds.
func histValue(i int32) float64 { return histMapping.LowerBound(int(i)) * histValueFactor }

func (h *loghist) add(v float64) {
	if h.set == nil {
		h.set = newHistSet(1)
	}
	k := h.set.k
	switch {
	case v >= histMinValue:
		h.set.pos.add(histIndex(v), h.col, k)
		h.pos++
	case v <= -histMinValue:
		h.set.neg.add(histIndex(-v), h.col, k)
		h.neg++
	default:
		h.zero++
	}
}

func (h *loghist) remove(v float64) {
	switch {
	case h.set == nil:
	case v >= histMinValue:
		if h.set.pos.remove(histIndex(v), h.col, h.set.k) {
			h.pos--
		}
	case v <= -histMinValue:
		if h.set.neg.remove(histIndex(-v), h.col, h.set.k) {
			h.neg--
		}
	default:
		if h.zero > 0 {
			h.zero--
		}
	}
}

// trim cuts the shared bins down to the rows in use (binStore.trim).
func (h *loghist) trim() {
	if h.set != nil {
		h.set.pos.trim(h.set.k)
		h.set.neg.trim(h.set.k)
	}
}

// reset empties the histogram's column (the other columns are other
// windows').
func (h *loghist) reset() {
	if h.set != nil {
		h.set.pos.resetCol(h.col, h.set.k)
		h.set.neg.resetCol(h.col, h.set.k)
	}
	h.pos, h.neg, h.zero = 0, 0, 0
}

func (h *loghist) total() uint64 {
	return h.pos + h.neg + uint64(h.zero)
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
	k, col := int(h.set.k), int(h.col)
	neg := h.set.neg.bins
	for i := len(neg)/k - 1; i >= 0; i-- { // most negative first
		cum += uint64(neg[i*k+col])
		for cum > next {
			out[qi] = -histValue(h.set.neg.offset + int32(i))
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
	pos := h.set.pos.bins
	for i := range len(pos) / k {
		cum += uint64(pos[i*k+col])
		for cum > next {
			out[qi] = histValue(h.set.pos.offset + int32(i))
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

// binStore is a dense run of rows of bin counts starting at bin index
// offset, k counts a row (one a window, see histSet): the count of bin
// offset+r for column c is bins[r*k+c]. It slides as the values move (a
// counter's window climbs for ever) and collapses its lowest rows into
// one past histMaxBins rows.
type binStore struct {
	bins   []uint32
	offset int32
	// collapsed says row 0 holds the counts of bins below offset too.
	collapsed bool
}

// rows is how many bins the store spans.
func (s *binStore) rows(k int32) int32 { return int32(len(s.bins)) / k }

// resetCol zeroes column col.
func (s *binStore) resetCol(col, k int32) {
	for j := col; j < int32(len(s.bins)); j += k {
		s.bins[j] = 0
	}
	if len(s.bins) > 0 {
		s.trim(k) // the other columns may be empty too
	}
}

func (s *binStore) add(i, col, k int32) {
	if len(s.bins) == 0 {
		s.bins = make([]uint32, minHistRows*k)
		s.offset = i - minHistRows/2
	}
	if i < s.offset || i >= s.offset+s.rows(k) {
		s.fit(i, k)
	}
	if i < s.offset { // collapsed
		i = s.offset
	}
	s.bins[(i-s.offset)*k+col]++
}

// remove takes one count of bin i from column col and reports whether it
// held one (callers only remove what they added).
func (s *binStore) remove(i, col, k int32) bool {
	if i < s.offset {
		if !s.collapsed {
			return false
		}
		i = s.offset
	}
	j := (i-s.offset)*k + col
	if i-s.offset >= s.rows(k) || s.bins[j] == 0 {
		return false
	}
	s.bins[j]--
	return true
}

// trim cuts the array down to twice the rows in use when it is four times
// that or more, keeping every count in its bin; an empty store lets its
// array go. O(rows): windows call it now and then (loghist.trim), and
// when one empties. A counter's windows span decades while it climbs from
// zero (after a reset too) and a few bins once it has counted a while, and
// the array kept its widest size for ever: 1,024–2,048 rows, 12–24 KB a
// series (4.2 KB a series of the binary's simulated sources 3.5 minutes
// in; fit only ever grows it).
func (s *binStore) trim(k int32) {
	size := s.rows(k)
	lo, hi := int32(0), size
	for lo < hi && s.rowEmpty(lo, k) {
		lo++
	}
	for hi > lo && s.rowEmpty(hi-1, k) {
		hi--
	}
	if lo == hi {
		s.bins, s.collapsed = nil, false
		return
	}
	need := hi - lo
	if need*4 > size || size <= minHistRows {
		return
	}
	size = max(minHistRows, 2*need)
	offset := s.offset + lo - (size-need)/2
	if lo == 0 {
		// Row 0 may hold the counts fit collapsed into it, of bins below
		// the offset: they stay in row 0.
		offset = s.offset
	}
	s.relocate(offset, size, k)
}

// rowEmpty says whether row r holds no count of any column.
func (s *binStore) rowEmpty(r, k int32) bool {
	for _, c := range s.bins[r*k : (r+1)*k] {
		if c != 0 {
			return false
		}
	}
	return true
}

// minHistRows is the rows a bin store starts with, and the fewest trim
// cuts it down to.
const minHistRows = 8

// fit makes room for bin i: it drops empty rows at both ends, then grows
// the array (doubling) or, past histMaxBins rows, collapses the lowest
// rows.
func (s *binStore) fit(i, k int32) {
	lo, hi := int32(0), s.rows(k)
	for lo < hi && s.rowEmpty(lo, k) {
		lo++
	}
	for hi > lo && s.rowEmpty(hi-1, k) {
		hi--
	}
	var first, last int32 // wanted index range, inclusive
	if lo == hi {
		first, last = i, i
	} else {
		first, last = min(i, s.offset+lo), max(i, s.offset+hi-1)
	}
	if span := last - first + 1; span > histMaxBins {
		// Collapse: keep the top histMaxBins rows, fold the rest into the lowest kept.
		newFirst := last - histMaxBins + 1
		folded := make([]uint32, k)
		for j := lo; j < hi && s.offset+j < newFirst; j++ {
			for c := range k {
				folded[c] += s.bins[j*k+c]
				s.bins[j*k+c] = 0
			}
		}
		s.relocate(newFirst, histMaxBins, k)
		for c := range k {
			s.bins[c] += folded[c]
		}
		s.collapsed = true
		return
	}
	size := s.rows(k)
	for size < last-first+1 {
		size *= 2
	}
	size = min(size, histMaxBins)
	// Centre the wanted range so that drift either way has room.
	slack := size - (last - first + 1)
	s.relocate(first-slack/2, size, k)
}

// relocate moves the counts into an array of size rows starting at
// newOffset. Counts outside the new range must already be zero.
func (s *binStore) relocate(newOffset, size, k int32) {
	old, oldOffset := s.bins, s.offset
	if size*k != int32(len(old)) {
		s.bins = make([]uint32, size*k)
	} else {
		old = append([]uint32(nil), old...)
		clear(s.bins)
	}
	s.offset = newOffset
	for j, c := range old {
		if c == 0 {
			continue
		}
		r := oldOffset + int32(j)/k - newOffset
		if r < 0 {
			r = 0
		}
		s.bins[r*k+int32(j)%k] += c
	}
}
