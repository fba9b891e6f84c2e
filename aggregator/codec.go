package aggregator

import (
	"math"
	"math/bits"
)

// The chunk codec follows Facebook's Gorilla paper (delta-of-delta
// timestamps, XOR-encoded values) with two changes that matter for the data
// pulseboard sees:
//
//   - Timestamps are milliseconds with scheduling jitter. Each delta is
//     taken against the chunk's first delta (its period) rather than the
//     previous delta, since jitter does not accumulate under a ticker, and
//     written as a Rice code whose parameter adapts to the recent
//     magnitudes (as in LOCO-I): a few ms of jitter cost about four bits a
//     sample. After tsRunAt regular times in a row a regular time costs
//     nothing and an irregular one is announced by an escape in the
//     value's code (fixed-phase sources are regular).
//   - Most values are decimals (22.37, 1234.5, integers). XOR of such
//     floats keeps ~50 significant bits, so a chunk whose values have at
//     most maxScale decimals stores each value as the integer n = v·10^k and
//     writes n's delta as an adaptive Rice code. A value is only coded so if
//     float64(n)/10^k gives back its exact bits; otherwise the chunk switches
//     scale or falls back to Gorilla XOR for the rest of it (or until
//     decimals return). Round trips are bit-exact either way.
//
// Layout of a chunk: the first timestamp is kept outside the bit stream;
// then the first value (64 raw bits) and the starting mode (3 bits); then
// per sample the timestamp code followed by the value code.
//
//	timestamp, 2nd sample:  7 bits L, then L bits of zigzag(delta)
//	timestamp, later:       rice(zigzag(delta - the 2nd sample's delta));
//	                        in a run of regular times none, and an
//	                        irregular one is a time escape in place of
//	                        the value code, then its rice code, then the
//	                        value code
//	value, decimal mode k:  rice(zigzag((n - prediction) >> unit)), the prediction being
//	                        round(prev·10^k) or the line through the last two
//	                        or escQ ones, 7 zero bits, 3 bits new mode, value in it;
//	                        time escape: escQ ones, then 127 in 7 bits;
//	                        when zeros are frequent, a flag bit first: '0'
//	                        unchanged, '1' then the above with z-1
//	value, XOR mode:        '0' same value; '10' XOR in the previous bit window;
//	                        '110' 5 bits leading zeros, 6 bits length-1, bits;
//	                        '1110' 3 bits new mode, value in it;
//	                        '1111' time escape
//	rice(z) with param k:   q = z>>k ones, a zero, k low bits of z; when
//	                        q >= escQ: escQ ones, 7 bits L (1..64), L bits of z

const (
	maxScale = 6
	modeXOR  = 7
	escQ     = 24
	// riceReset halves a Rice accumulator when its count reaches it, so the
	// parameter follows the recent samples.
	riceReset = 32
)

var pow10 = [maxScale + 1]float64{1, 10, 100, 1000, 1e4, 1e5, 1e6}

// codecState is what encoder and decoder both track through a chunk.
type codecState struct {
	prevT     int64
	prevDelta int64
	period    int64 // the chunk's first delta: later deltas are coded against it
	prevV     float64
	prevV2    float64 // the value before prevV (valid once n >= 2)
	n         uint16  // samples so far in the chunk
	mode      uint8
	leading   uint8 // XOR window of the previous XOR-coded value
	trailing  uint8
	tsA, vA   uint64 // Rice accumulators
	tsN, vN   uint32
	// vZ tracks how often a decimal delta is zero (256·p in steady state).
	// Above zeroFlagAt a one-bit "unchanged" flag precedes every value,
	// which makes an unchanged value cost one bit whatever the Rice
	// parameter: gauges that move now and then (memory, load) cost little.
	vZ uint16
	// e1 and e2 track the recent residual sizes of the two decimal
	// predictors: the previous value (best for gauges and random walks) and
	// the line through the previous two (best for counters, whose deltas
	// repeat). The smaller one predicts the next value.
	e1, e2 uint32
	// tsRun counts the times in a row that came one period after the one
	// before. From tsRunAt on, such a time costs no bit at all, and any
	// other is announced by an escape in the value's code (writeTimeEscape):
	// fixed-phase sources spend nothing on time.
	tsRun uint8
	// unit is the fewest trailing zero bits of the decimals coded since
	// the mode began (unitUnknown before a nonzero one): residuals are
	// coded in units of 2^unit. Byte counts in pages or sectors (multiples
	// of 4096 or 512) save that many bits a change. A value off the unit
	// is written after an escape to the same mode, which starts it over.
	unit uint8
}

const unitUnknown = 0xff

// shift is the unit residuals are coded in, as a power of two. Units
// under minUnit are not used: a random integer has one of 2 or 4 as
// often as not, and the escape when it turns out wrong costs more than
// the bit or two it would save.
func (s *codecState) shift() uint {
	if s.unit == unitUnknown || s.unit < minUnit {
		return 0
	}
	return uint(s.unit)
}

const minUnit = 3

// noteUnit narrows the unit to the decimal n just coded.
func (s *codecState) noteUnit(n int64) {
	if n != 0 {
		s.unit = min(s.unit, uint8(min(bits.TrailingZeros64(uint64(n)), 32)))
	}
}

const zeroFlagAt = 64

// tsRunAt is how many regular times in a row start the run mode: an
// escape costs ~32 bits, so it pays once irregular times are rarer than
// one in 32.
const tsRunAt = 32

// decimalOf returns n with float64(n)/10^k == v bit for bit, if there is one.
func decimalOf(v float64, k uint8) (int64, bool) {
	x := v * pow10[k]
	if !(math.Abs(x) < 1<<53) {
		return 0, false
	}
	n := int64(math.Round(x))
	return n, math.Float64bits(float64(n)/pow10[k]) == math.Float64bits(v)
}

// bestMode is the smallest decimal scale that holds v exactly, or modeXOR.
func bestMode(v float64) uint8 {
	for k := uint8(0); k <= maxScale; k++ {
		if _, ok := decimalOf(v, k); ok {
			return k
		}
	}
	return modeXOR
}

// scaledPrev is round(prev·10^k), the base the next decimal delta is taken
// from. Encoder and decoder compute it the same way from the same bits.
func scaledPrev(prev float64, k uint8) int64 {
	x := prev * pow10[k]
	if !(math.Abs(x) < 1<<62) {
		return 0
	}
	return int64(math.Round(x))
}

// encodeFirst starts a chunk with the sample (t, v).
func (s *codecState) encodeFirst(w *bitWriter, t int64, v float64) {
	*s = codecState{prevT: t, prevV: v, n: 1}
	s.switchTo(bestMode(v))
	s.noteFirstUnit()
	w.writeBits(math.Float64bits(v), 64)
	w.writeBits(uint64(s.mode), 3)
}

// encode appends a later sample; t must not be before the previous one.
func (s *codecState) encode(w *bitWriter, t int64, v float64) {
	delta := t - s.prevT
	if s.n == 1 {
		z := zigzag(delta)
		l := uint(bits.Len64(z))
		w.writeBits(uint64(l), 7)
		w.writeBits(z, l)
		s.period = delta
	} else {
		z := zigzag(delta - s.period)
		if s.tsRun < tsRunAt {
			writeRice(w, z, riceParam(s.tsA, s.tsN))
		} else if z != 0 {
			s.writeTimeEscape(w)
			writeRice(w, z, riceParam(s.tsA, s.tsN))
		}
		riceUpdate(&s.tsA, &s.tsN, z)
		s.tsRun = nextTSRun(s.tsRun, z)
	}
	s.prevT, s.prevDelta = t, delta
	s.encodeValue(w, v)
	s.prevV2, s.prevV = s.prevV, v
	s.n++
}

func (s *codecState) encodeValue(w *bitWriter, v float64) {
	if s.mode != modeXOR {
		n, ok := decimalOf(v, s.mode)
		if pr := s.predict(); ok && (n-s.base(pr))&(1<<s.shift()-1) == 0 {
			s.writeDecimal(w, n, pr)
			return
		}
		m := s.escapeDecimal(w, v, ok)
		if m != modeXOR {
			n, _ := decimalOf(v, m)
			s.writeDecimal(w, n, s.predict())
			return
		}
		s.writeXOR(w, v, true)
		return
	}
	x := math.Float64bits(v) ^ math.Float64bits(s.prevV)
	if x != 0 && bits.LeadingZeros64(x)+bits.TrailingZeros64(x) < 44 {
		// An XOR this wide costs more than a switch back to decimals.
		if m := bestMode(v); m != modeXOR {
			writeXORSwitch(w, m)
			s.switchTo(m)
			n, _ := decimalOf(v, m)
			s.writeDecimal(w, n, s.predict())
			return
		}
	}
	s.writeXOR(w, v, false)
}

// escapeDecimal writes, in a decimal mode, the escape to the mode v is
// coded in next (the same mode when v is one of its decimals, inDecimal,
// but off the unit: the unit starts over; else the best mode for v) and
// switches to it, returning it. The raw chunks and the aggregate columns
// share it.
func (s *codecState) escapeDecimal(w *bitWriter, v float64, inDecimal bool) uint8 {
	m := s.mode
	if !inDecimal {
		m = bestMode(v)
	}
	if s.vZ > zeroFlagAt {
		w.writeBit(true)
	}
	w.writeOnes(escQ)
	w.writeBits(0, 7)
	w.writeBits(uint64(m), 3)
	s.switchTo(m)
	return m
}

// writeXORSwitch writes XOR mode's switch to mode m.
func writeXORSwitch(w *bitWriter, m uint8) {
	w.writeBits(0b1110, 4)
	w.writeBits(uint64(m), 3)
}

// writeTimeEscape announces an irregular time in the place of the value's
// code: the time's code and the value's follow.
func (s *codecState) writeTimeEscape(w *bitWriter) {
	if s.mode == modeXOR {
		w.writeBits(0b1111, 4)
		return
	}
	if s.vZ > zeroFlagAt {
		w.writeBit(true)
	}
	w.writeOnes(escQ)
	w.writeBits(escTimeL, 7)
}

// nextTSRun counts the times in a row whose delta was the period.
func nextTSRun(run uint8, z uint64) uint8 {
	if z != 0 {
		return 0
	}
	return min(run+1, tsRunAt)
}

// noteFirstUnit starts the unit at the chunk's first value.
func (s *codecState) noteFirstUnit() {
	if s.mode != modeXOR {
		s.noteUnit(scaledPrev(s.prevV, s.mode))
	}
}

func (s *codecState) switchTo(m uint8) {
	s.mode = m
	s.unit = unitUnknown
	s.leading, s.trailing = 0xff, 0 // no previous XOR window
}

// predictors returns the two decimal predictions of the next value; two
// is false when only the first exists (too few samples, or magnitudes
// where the extrapolation could overflow).
func (s *codecState) predictors() (p1, p2 int64, two bool) {
	p1 = scaledPrev(s.prevV, s.mode)
	if s.n >= 2 {
		if q := scaledPrev(s.prevV2, s.mode); absInt(p1) < 1<<52 && absInt(q) < 1<<52 {
			return p1, 2*p1 - q, true
		}
	}
	return p1, p1, false
}

// decPreds are the two decimal predictions of the next value, made once
// per value (they cost two roundings).
type decPreds struct {
	p1, p2 int64
	two    bool
}

func (s *codecState) predict() decPreds {
	p1, p2, two := s.predictors()
	return decPreds{p1, p2, two}
}

// base is the prediction the residual is taken from.
func (s *codecState) base(pr decPreds) int64 {
	if pr.two && s.e2 < s.e1 {
		return pr.p2
	}
	return pr.p1
}

// track scores both predictors on the value n just coded.
func (s *codecState) track(n int64, pr decPreds) {
	s.e1 = s.e1 - s.e1>>3 + uint32(min(absInt(n-pr.p1), 1<<24))
	if pr.two {
		s.e2 = s.e2 - s.e2>>3 + uint32(min(absInt(n-pr.p2), 1<<24))
	} else {
		s.e2 = s.e1
	}
}

func absInt(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func (s *codecState) writeDecimal(w *bitWriter, n int64, pr decPreds) {
	z := zigzag((n - s.base(pr)) >> s.shift())
	if s.vZ > zeroFlagAt {
		w.writeBit(z != 0)
		if z != 0 {
			writeRice(w, z-1, riceParam(s.vA, s.vN))
		}
	} else {
		writeRice(w, z, riceParam(s.vA, s.vN))
	}
	s.decimalUpdate(z)
	s.track(n, pr)
	s.noteUnit(n)
}

// decimalUpdate adapts the Rice parameter and the zero rate to z. With the
// flag on, zeros no longer shape the parameter: they cost one bit anyway.
func (s *codecState) decimalUpdate(z uint64) {
	if s.vZ <= zeroFlagAt || z != 0 {
		riceUpdate(&s.vA, &s.vN, z)
	}
	s.vZ -= s.vZ >> 3
	if z == 0 {
		s.vZ += 32
	}
}

// writeXOR writes v Gorilla-style. fresh says the mode was just switched,
// so no '111' prefix is possible and the control bits are the same.
func (s *codecState) writeXOR(w *bitWriter, v float64, fresh bool) {
	x := math.Float64bits(v) ^ math.Float64bits(s.prevV)
	if x == 0 {
		w.writeBit(false)
		return
	}
	lead := uint8(min(bits.LeadingZeros64(x), 31))
	trail := uint8(bits.TrailingZeros64(x))
	if s.leading != 0xff && lead >= s.leading && trail >= s.trailing {
		w.writeBits(0b10, 2)
		w.writeBits(x>>s.trailing, uint(64-s.leading-s.trailing))
		return
	}
	_ = fresh
	sig := 64 - lead - trail
	w.writeBits(0b110, 3)
	w.writeBits(uint64(lead), 5)
	w.writeBits(uint64(sig-1), 6)
	w.writeBits(x>>trail, uint(sig))
	s.leading, s.trailing = lead, trail
}
