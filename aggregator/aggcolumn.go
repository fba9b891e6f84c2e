package aggregator

import (
	"math"
	"math/bits"
)

// A column of an aggregate block is coded like a chunk's values (decimal
// scale or XOR, adaptive Rice, the zero flag: codec.go), but a decimal
// value's prediction is chosen among a few made from the columns already
// coded: those of the point before, and the columns of this point that
// come earlier in aggCodingOrder. The columns of one point are far from
// independent: a counter's max is its last and its min is the previous
// minute's last plus one step; a sum is close to count·(min+max)/2. Each
// column tracks the recent residual size of each of its predictions and
// uses the smallest, so encoder and decoder choose alike without a bit
// spent on the choice.
//
// The first point of a block has no point before it: each column writes
// its mode (3 bits), then a decimal as 7 bits L and L bits of
// zigzag(n − prediction) with the first prediction (0 for count and last,
// this point's last for the others), or its 64 bits in XOR mode.

// aggCodingOrder is the order the columns of a point are coded in, so
// that a column's predictions use only columns coded before it.
var aggCodingOrder = [numAggCols]int{colCount, colLast, colMax, colMin, colInc, colSum}

// maxPreds is the most predictions a column chooses among.
const maxPreds = 4

// aggColCoder codes one column. s carries the mode, the Rice accumulator,
// the zero rate, the XOR window and the previous value; e the recent
// residual sizes of the column's predictions.
type aggColCoder struct {
	s codecState
	e [maxPreds]uint32
}

// aggCtx is what predictions are made from: this point's columns coded
// so far, the two points before it and how many there are (0, 1, 2+).
type aggCtx struct {
	cur, p1, p2 aggPoint
	before      int
}

// predInt is round(x) if it is safely inside int64, else 0: the same on
// both sides for the same bits.
func predInt(x float64) int64 {
	if !(math.Abs(x) < 1<<62) {
		return 0
	}
	return int64(math.Round(x))
}

// countInt is a point's count as an integer divisor, or 0 if it is not one.
func countInt(c float64) int64 {
	if c >= 1 && c < 1<<31 && c == math.Trunc(c) {
		return int64(c)
	}
	return 0
}

// small says x can take part in sums and products of predictions without
// overflow.
func small(x int64) bool { return absInt(x) < 1<<52 }

// preds writes column col's predictions at decimal scale k into out and
// returns how many there are. Only columns coded before col are read.
// Each prediction is computed from scaled integers or from one float
// product (never a fused multiply-add), so encoder and decoder agree.
func (x *aggCtx) preds(col int, k uint8, out *[maxPreds]int64) int {
	sc := func(v float64) int64 { return scaledPrev(v, k) }
	if x.before == 0 {
		switch col {
		case colCount, colLast:
			out[0] = 0
		default:
			out[0] = sc(x.cur.last)
		}
		return 1
	}
	p1, p2, cur := &x.p1, &x.p2, &x.cur
	if x.before < 2 {
		p2 = p1
	}
	switch col {
	case colCount:
		out[0] = sc(p1.count)
		return 1
	case colLast:
		a, b := sc(p1.last), sc(p2.last)
		out[0], out[1], out[2] = a, a, b
		if small(a) && small(b) {
			out[1] = 2*a - b
		}
		return 3
	case colMax:
		out[0], out[1], out[2] = sc(cur.last), sc(p1.max), sc(p1.last)
		return 3
	case colMin:
		l1, l := sc(p1.last), sc(cur.last)
		out[0], out[1], out[2] = l, sc(p1.min), l1
		if n := countInt(cur.count); n > 0 && small(l1) && small(l) {
			// a counter's first sample: one step after the last one
			out[2] = l1 + (l-l1)/n
		}
		return 3
	case colInc:
		l1, l := sc(p1.last), sc(cur.last)
		out[0], out[1] = sc(p1.inc), sc(p1.inc)
		if small(l1) && small(l) {
			out[0] = l - l1
		}
		return 2
	default: // colSum
		mn, mx := sc(cur.min), sc(cur.max)
		out[0] = sc(p1.sum)
		if small(mn) && small(mx) {
			out[0] = predInt(float64(mn+mx) * (cur.count / 2))
		}
		out[1] = predInt(float64(sc(cur.last)) * cur.count)
		out[2] = predInt(float64(sc(p1.sum)) * (cur.count / p1.count))
		out[3] = predInt(float64(sc(p2.sum)) * (cur.count / p2.count))
		return 4
	}
}

// best is the prediction with the smallest recent residuals.
func (c *aggColCoder) best(p *[maxPreds]int64, m int) int64 {
	b := 0
	for j := 1; j < m; j++ {
		if c.e[j] < c.e[b] {
			b = j
		}
	}
	return p[b]
}

// score ages the residual sizes and adds those of the value n just coded.
func (c *aggColCoder) score(n int64, p *[maxPreds]int64, m int) {
	for j := range m {
		d := uint64(n-p[j]) ^ uint64((n-p[j])>>63) // |n − p| without overflow
		c.e[j] = c.e[j] - c.e[j]>>3 + uint32(min(d, 1<<24))
	}
}

// encodeFirst codes the block's first point's value of column col.
func (c *aggColCoder) encodeFirst(w *bitWriter, x *aggCtx, col int, v float64) {
	*c = aggColCoder{}
	c.s.prevV = v
	c.s.n = 1
	c.s.switchTo(bestMode(v))
	w.writeBits(uint64(c.s.mode), 3)
	if c.s.mode == modeXOR {
		w.writeBits(math.Float64bits(v), 64)
		return
	}
	var p [maxPreds]int64
	x.preds(col, c.s.mode, &p)
	n, _ := decimalOf(v, c.s.mode)
	c.s.noteUnit(n)
	z := zigzag(n - p[0])
	l := uint(bits.Len64(z))
	w.writeBits(uint64(l), 7)
	w.writeBits(z, l)
}

// encode codes a later point's value of column col.
func (c *aggColCoder) encode(w *bitWriter, x *aggCtx, col int, v float64) {
	s := &c.s
	if s.mode == modeXOR {
		xb := math.Float64bits(v) ^ math.Float64bits(s.prevV)
		if xb != 0 && bits.LeadingZeros64(xb)+bits.TrailingZeros64(xb) < 44 {
			if m := bestMode(v); m != modeXOR {
				writeXORSwitch(w, m)
				s.switchTo(m)
				c.writeDecimal(w, x, col, v)
				s.prevV = v
				return
			}
		}
		s.writeXOR(w, v, false)
		s.prevV = v
		return
	}
	if !c.fits(x, col, v) {
		_, ok := decimalOf(v, s.mode)
		if m := s.escapeDecimal(w, v, ok); m == modeXOR {
			s.writeXOR(w, v, true)
			s.prevV = v
			return
		}
	}
	c.writeDecimal(w, x, col, v)
	s.prevV = v
}

// fits says v is a decimal of the column's mode whose residual is a
// multiple of the unit.
func (c *aggColCoder) fits(x *aggCtx, col int, v float64) bool {
	n, ok := decimalOf(v, c.s.mode)
	if !ok {
		return false
	}
	var p [maxPreds]int64
	m := x.preds(col, c.s.mode, &p)
	return (n-c.best(&p, m))&(1<<c.s.shift()-1) == 0
}

func (c *aggColCoder) writeDecimal(w *bitWriter, x *aggCtx, col int, v float64) {
	s := &c.s
	n, _ := decimalOf(v, s.mode)
	var p [maxPreds]int64
	m := x.preds(col, s.mode, &p)
	z := zigzag((n - c.best(&p, m)) >> s.shift())
	if s.vZ > zeroFlagAt {
		w.writeBit(z != 0)
		if z != 0 {
			writeRice(w, z-1, riceParam(s.vA, s.vN))
		}
	} else {
		writeRice(w, z, riceParam(s.vA, s.vN))
	}
	s.decimalUpdate(z)
	c.score(n, &p, m)
	s.noteUnit(n)
}

// decodeFirst reads what encodeFirst wrote.
func (c *aggColCoder) decodeFirst(r *bitReader, x *aggCtx, col int) (float64, error) {
	*c = aggColCoder{}
	c.s.n = 1
	m, err := r.readBits(3)
	if err != nil {
		return 0, err
	}
	c.s.switchTo(uint8(m))
	var v float64
	if c.s.mode == modeXOR {
		vb, err := r.readBits(64)
		if err != nil {
			return 0, err
		}
		v = math.Float64frombits(vb)
	} else {
		l, err := r.readBits(7)
		if err != nil {
			return 0, err
		}
		if l > 64 {
			return 0, errCorrupt
		}
		z, err := r.readBits(uint(l))
		if err != nil {
			return 0, err
		}
		var p [maxPreds]int64
		x.preds(col, c.s.mode, &p)
		n := p[0] + unzigzag(z)
		c.s.noteUnit(n)
		v = float64(n) / pow10[c.s.mode]
	}
	c.s.prevV = v
	return v, nil
}

// decode reads what encode wrote.
func (c *aggColCoder) decode(r *bitReader, x *aggCtx, col int) (float64, error) {
	s := &c.s
	// At most one mode switch per value: a second one is corrupt.
	for switched := false; ; switched = true {
		if s.mode != modeXOR {
			var p [maxPreds]int64
			m := x.preds(col, s.mode, &p)
			flag := s.vZ > zeroFlagAt
			if flag {
				nonZero, err := r.readBit()
				if err != nil {
					return 0, err
				}
				if !nonZero {
					return c.decoded(0, &p, m), nil
				}
			}
			z, esc, err := readRice(r, riceParam(s.vA, s.vN))
			if err != nil {
				return 0, err
			}
			if esc == escTime {
				return 0, errCorrupt
			}
			if esc == escNone {
				if flag {
					z++
				}
				return c.decoded(z, &p, m), nil
			}
		} else {
			v, esc, err := s.readXOR(r)
			if err != nil {
				return 0, err
			}
			if esc == escTime {
				return 0, errCorrupt
			}
			if esc == escNone {
				s.prevV = v
				return v, nil
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

// decoded finishes a decimal value whose residual code was z.
func (c *aggColCoder) decoded(z uint64, p *[maxPreds]int64, m int) float64 {
	n := c.best(p, m) + unzigzag(z)<<c.s.shift()
	c.s.decimalUpdate(z)
	c.score(n, p, m)
	c.s.noteUnit(n)
	v := float64(n) / pow10[c.s.mode]
	c.s.prevV = v
	return v
}
