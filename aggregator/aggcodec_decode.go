package aggregator

import (
	"encoding/binary"
	"math"
)

// aggStream is one stream of a block being decoded.
type aggStream struct {
	r        bitReader
	constant bool
}

// readStream splits uvarint(head) and its stream off rest; withFlag says
// the head's low bit is a constant flag.
func readStream(rest []byte, withFlag bool) (s aggStream, tail []byte, err error) {
	head, k := binary.Uvarint(rest)
	if k <= 0 {
		return s, nil, errCorrupt
	}
	nbits := head
	if withFlag {
		nbits, s.constant = head>>1, head&1 == 1
	}
	if nbits > math.MaxUint32 || nbits > uint64(len(rest)-k)*8 {
		return s, nil, errCorrupt
	}
	nbytes := int((nbits + 7) / 8)
	s.r = bitReader{b: rest[k : k+nbytes], nbits: uint32(nbits)}
	return s, rest[k+nbytes:], nil
}

// decodeAggBlock decodes Block.Data of an aggregate block whose first
// point is at start. On garbage it returns errCorrupt (or a codec error),
// never panics; it allocates at most maxAggBlockPoints points, and its
// work is bounded by that many points times a column's worst-case code.
// Query and restore call it, on their callers' goroutines.
func decodeAggBlock(data []byte, start int64) ([]aggPoint, error) {
	if len(data) < 3 || data[0] != aggBlockVersion {
		return nil, errCorrupt
	}
	ncols := int(data[1])
	if ncols != numAggCols-1 && ncols != numAggCols {
		return nil, errCorrupt
	}
	n, k := binary.Uvarint(data[2:])
	if k <= 0 || n == 0 || n > maxAggBlockPoints {
		return nil, errCorrupt
	}
	rest := data[2+k:]
	var period int64
	var times aggStream
	var err error
	if n > 1 {
		p, k := binary.Uvarint(rest)
		if k <= 0 || p > math.MaxInt64/maxAggBlockPoints {
			return nil, errCorrupt
		}
		period = int64(p)
		if times, rest, err = readStream(rest[k:], false); err != nil {
			return nil, err
		}
	}
	var cols [numAggCols]aggStream
	for c := range ncols {
		if cols[c], rest, err = readStream(rest, true); err != nil {
			return nil, err
		}
	}
	if len(rest) != 0 {
		return nil, errCorrupt
	}
	d := aggDecoder{ncols: ncols, period: period, times: times, cols: cols}
	out := make([]aggPoint, n)
	for i := range out {
		t := start
		if i > 0 {
			if t, err = d.nextTime(i, out[i-1].t); err != nil {
				return nil, err
			}
		}
		if out[i], err = d.point(i, t); err != nil {
			return nil, err
		}
	}
	for c := range ncols {
		if cols[c].constant && d.cols[c].r.pos != d.cols[c].r.nbits {
			return nil, errCorrupt // more bits than the first value's
		}
	}
	return out, nil
}

// aggDecoder is the state of one block's decoding.
type aggDecoder struct {
	ncols  int
	period int64
	times  aggStream
	tsA    uint64
	tsN    uint32
	cols   [numAggCols]aggStream
	coders [numAggCols]aggColCoder
	firsts [numAggCols]float64
	ctx    aggCtx
}

// nextTime reads point i's time (i >= 1), prev being point i−1's.
func (d *aggDecoder) nextTime(i int, prev int64) (int64, error) {
	delta := d.period
	if i >= 2 && d.times.r.nbits > 0 {
		z, esc, err := readRice(&d.times.r, riceParam(d.tsA, d.tsN))
		if err != nil {
			return 0, err
		}
		if esc != escNone {
			return 0, errCorrupt
		}
		riceUpdate(&d.tsA, &d.tsN, z)
		delta += unzigzag(z)
	}
	t := prev + delta
	if delta < 0 || t < prev {
		return 0, errCorrupt
	}
	return t, nil
}

// point reads point i, at time t.
func (d *aggDecoder) point(i int, t int64) (aggPoint, error) {
	d.ctx.cur = aggPoint{t: t}
	for _, col := range aggCodingOrder[:] {
		if col >= d.ncols {
			continue
		}
		s, c := &d.cols[col], &d.coders[col]
		var v float64
		var err error
		switch {
		case i == 0:
			v, err = c.decodeFirst(&s.r, &d.ctx, col)
			d.firsts[col] = v
		case s.constant:
			v = d.firsts[col]
		default:
			v, err = c.decode(&s.r, &d.ctx, col)
		}
		if err != nil {
			return aggPoint{}, err
		}
		setCol(&d.ctx.cur, col, v)
	}
	p := d.ctx.cur
	d.ctx.p2, d.ctx.p1 = d.ctx.p1, p
	d.ctx.before = min(d.ctx.before+1, 2)
	return p, nil
}

func setCol(p *aggPoint, c int, v float64) {
	switch c {
	case colCount:
		p.count = v
	case colSum:
		p.sum = v
	case colMin:
		p.min = v
	case colMax:
		p.max = v
	case colLast:
		p.last = v
	case colInc:
		p.inc = v
	}
}
