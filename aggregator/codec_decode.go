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
	return v, nil
}

// decode reads the next sample.
func (s *codecState) decode(r *bitReader) (int64, float64, error) {
	var delta int64
	if s.n == 1 {
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
	} else {
		z, esc, err := readRice(r, riceParam(s.tsA, s.tsN))
		if err != nil {
			return 0, 0, err
		}
		if esc {
			return 0, 0, errCorrupt
		}
		riceUpdate(&s.tsA, &s.tsN, z)
		delta = s.period + unzigzag(z)
	}
	v, err := s.decodeValue(r)
	if err != nil {
		return 0, 0, err
	}
	t := s.prevT + delta
	s.prevT, s.prevDelta, s.prevV2, s.prevV = t, delta, s.prevV, v
	s.n++
	return t, v, nil
}

func (s *codecState) decodeValue(r *bitReader) (float64, error) {
	// At most one mode switch per value: a second one is corrupt.
	for switched := false; ; switched = true {
		if s.mode != modeXOR {
			flag := s.vZ > zeroFlagAt
			if flag {
				nonZero, err := r.readBit()
				if err != nil {
					return 0, err
				}
				if !nonZero {
					n := s.base()
					s.decimalUpdate(0)
					s.track(n)
					return float64(n) / pow10[s.mode], nil
				}
			}
			z, esc, err := readRice(r, riceParam(s.vA, s.vN))
			if err != nil {
				return 0, err
			}
			if !esc {
				if flag {
					z++
				}
				n := s.base() + unzigzag(z)
				s.decimalUpdate(z)
				s.track(n)
				return float64(n) / pow10[s.mode], nil
			}
		} else {
			v, esc, err := s.readXOR(r)
			if err != nil || !esc {
				return v, err
			}
		}
		if switched {
			return 0, errCorrupt
		}
		m, err := r.readBits(3)
		if err != nil {
			return 0, err
		}
		s.switchTo(uint8(m))
	}
}

func (s *codecState) readXOR(r *bitReader) (float64, bool, error) {
	ctl, err := r.readOnes(3)
	if err != nil {
		return 0, false, err
	}
	var x uint64
	switch ctl {
	case 0:
		return s.prevV, false, nil
	case 1:
		if s.leading == 0xff {
			return 0, false, errCorrupt
		}
		x, err = r.readBits(uint(64 - s.leading - s.trailing))
		x <<= s.trailing
	case 2:
		var lead, sig uint64
		if lead, err = r.readBits(5); err != nil {
			return 0, false, err
		}
		if sig, err = r.readBits(6); err != nil {
			return 0, false, err
		}
		sig++
		if lead+sig > 64 {
			return 0, false, errCorrupt
		}
		trail := 64 - lead - sig
		x, err = r.readBits(uint(sig))
		x <<= trail
		s.leading, s.trailing = uint8(lead), uint8(trail)
	default:
		return 0, true, nil
	}
	return math.Float64frombits(math.Float64bits(s.prevV) ^ x), false, err
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
