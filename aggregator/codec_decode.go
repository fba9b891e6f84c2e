package aggregator

import "math"

// decodeFirst reads the first sample of a chunk whose first time is t.
func (s *codecState) decodeFirst(r *bitReader, t int64) (float64, error) {
	vb, err := r.readBits(64)
	if err != nil {
		return 0, err
	}
	m, err := r.readBits(3)
	if err != nil {
		return 0, err
	}
	v := math.Float64frombits(vb)
	*s = codecState{prevT: t, prevV: v, n: 1}
	s.switchTo(uint8(m))
	s.noteFirstUnit()
	return v, nil
}

// decode reads the next sample.
func (s *codecState) decode(r *bitReader) (int64, float64, error) {
	var delta int64
	var v float64
	var err error
	switch {
	case s.n == 1:
		l, err := r.readBits(7)
		if err != nil {
			return 0, 0, err
		}
		if l > 64 {
			return 0, 0, errCorrupt
		}
		z, err := r.readBits(uint(l))
		if err != nil {
			return 0, 0, err
		}
		delta = unzigzag(z)
		s.period = delta
	case s.tsRun < tsRunAt:
		z, err := s.readTime(r)
		if err != nil {
			return 0, 0, err
		}
		delta = s.period + unzigzag(z)
	default:
		// Run mode: the value's code comes first, unless it is a time escape.
		var timeEsc bool
		if v, timeEsc, err = s.decodeValue(r, true); err != nil {
			return 0, 0, err
		}
		var z uint64
		if timeEsc {
			if z, err = s.readTime(r); err != nil {
				return 0, 0, err
			}
		} else {
			riceUpdate(&s.tsA, &s.tsN, 0)
			s.tsRun = nextTSRun(s.tsRun, 0)
		}
		delta = s.period + unzigzag(z)
		if !timeEsc {
			return s.decoded(delta, v)
		}
	}
	if v, _, err = s.decodeValue(r, false); err != nil {
		return 0, 0, err
	}
	return s.decoded(delta, v)
}

// readTime reads a time's Rice code and adapts to it.
func (s *codecState) readTime(r *bitReader) (uint64, error) {
	z, esc, err := readRice(r, riceParam(s.tsA, s.tsN))
	if err != nil {
		return 0, err
	}
	if esc != escNone {
		return 0, errCorrupt
	}
	riceUpdate(&s.tsA, &s.tsN, z)
	s.tsRun = nextTSRun(s.tsRun, z)
	return z, nil
}

// decoded notes the sample (prev+delta, v) read.
func (s *codecState) decoded(delta int64, v float64) (int64, float64, error) {
	t := s.prevT + delta
	s.prevT, s.prevDelta, s.prevV2, s.prevV = t, delta, s.prevV, v
	s.n++
	return t, v, nil
}

// decodeValue reads a value's code. With timeEsc, a time escape may come
// in its place: it returns timeEsc=true having changed nothing.
func (s *codecState) decodeValue(r *bitReader, timeEsc bool) (float64, bool, error) {
	// At most one mode switch per value: a second one is corrupt.
	for switched := false; ; switched = true {
		var esc uint8
		if s.mode != modeXOR {
			pr := s.predict()
			flag := s.vZ > zeroFlagAt
			if flag {
				nonZero, err := r.readBit()
				if err != nil {
					return 0, false, err
				}
				if !nonZero {
					n := s.base(pr)
					s.decimalUpdate(0)
					s.track(n, pr)
					s.noteUnit(n)
					return float64(n) / pow10[s.mode], false, nil
				}
			}
			z, e, err := readRice(r, riceParam(s.vA, s.vN))
			if err != nil {
				return 0, false, err
			}
			if e == escNone {
				if flag {
					z++
				}
				n := s.base(pr) + unzigzag(z)<<s.shift()
				s.decimalUpdate(z)
				s.track(n, pr)
				s.noteUnit(n)
				return float64(n) / pow10[s.mode], false, nil
			}
			esc = e
		} else {
			v, e, err := s.readXOR(r)
			if err != nil || e == escNone {
				return v, false, err
			}
			esc = e
		}
		if esc == escTime {
			if !timeEsc || switched {
				return 0, false, errCorrupt
			}
			return 0, true, nil
		}
		if switched {
			return 0, false, errCorrupt
		}
		m, err := r.readBits(3)
		if err != nil {
			return 0, false, err
		}
		s.switchTo(uint8(m))
	}
}

func (s *codecState) readXOR(r *bitReader) (float64, uint8, error) {
	ctl, err := r.readOnes(3)
	if err != nil {
		return 0, escNone, err
	}
	var x uint64
	switch ctl {
	case 0:
		return s.prevV, escNone, nil
	case 1:
		if s.leading == 0xff {
			return 0, escNone, errCorrupt
		}
		x, err = r.readBits(uint(64 - s.leading - s.trailing))
		x <<= s.trailing
	case 2:
		var lead, sig uint64
		if lead, err = r.readBits(5); err != nil {
			return 0, escNone, err
		}
		if sig, err = r.readBits(6); err != nil {
			return 0, escNone, err
		}
		sig++
		if lead+sig > 64 {
			return 0, escNone, errCorrupt
		}
		trail := 64 - lead - sig
		x, err = r.readBits(uint(sig))
		x <<= trail
		s.leading, s.trailing = uint8(lead), uint8(trail)
	default:
		timeEsc, err := r.readBit()
		if err != nil {
			return 0, escNone, err
		}
		if timeEsc {
			return 0, escTime, nil
		}
		return 0, escMode, nil
	}
	return math.Float64frombits(math.Float64bits(s.prevV) ^ x), escNone, err
}

// decodeChunk decodes a whole chunk stream of n samples whose first
// timestamp is firstT. On garbage it returns an error, never panics.
func decodeChunk(b []byte, nbits uint32, n int, firstT int64) ([]point, error) {
	if n <= 0 {
		return nil, nil
	}
	r := bitReader{b: b, nbits: nbits}
	var s codecState
	v, err := s.decodeFirst(&r, firstT)
	if err != nil {
		return nil, err
	}
	out := make([]point, 0, min(n, chunkSamples))
	out = append(out, point{firstT, v})
	for len(out) < n {
		t, v, err := s.decode(&r)
		if err != nil {
			return out, err
		}
		out = append(out, point{t, v})
	}
	return out, nil
}
