package aggregator

import (
	"encoding/binary"
	"math"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// An aggregate block is columnar: the points' times once, then one
// stream per column (aggcolumn.go), each value predicted from the point
// before and from the columns of its own point coded before it. A column
// whose every value is its first is stored as its first value alone, and
// times one period apart as no bits at all: a steady series' count column
// and its times cost nothing past the header.
//
// Layout of Block.Data (the first point's time is Block.Start):
//
//	byte     version (aggBlockVersion)
//	byte     number of columns: 5 (count, sum, min, max, last) or 6 (and
//	         increase, for counters)
//	uvarint  number of points n
//	if n > 1:
//	  uvarint  period: the second point's time minus the first's
//	  uvarint  tbits, then ceil(tbits/8) bytes: per point from the third
//	           on, rice(zigzag(delta − period)) (adaptive, as in codec.go);
//	           tbits = 0: every delta is the period
//	per column, in storage order:
//	  uvarint  nbits·2 + constant, then ceil(nbits/8) bytes of stream;
//	           constant = 1: the stream holds the first point's value only
//	           and every point has it
const aggBlockVersion = 2

// The columns, in the order they are stored.
const (
	colCount = iota
	colSum
	colMin
	colMax
	colLast
	colInc
	numAggCols
)

const (
	// maxAggBlockPoints bounds what a decoder accepts before allocating
	// (constant columns and regular times cost no bits a point, so the
	// data's size does not bound it): far above the 120 a block holds.
	maxAggBlockPoints = 1 << 10
)

// aggColumn is one column of an open block: the stream, the coder's state,
// the bits of the first value and whether any value differed from it, so
// that a point is appended in O(1).
type aggColumn struct {
	w         bitWriter
	c         aggColCoder
	firstBits uint32
	varies    bool
	first     uint64 // the first value's bits
}

// aggBlock is a tier's open block of one series. dirty says it changed
// since it was last written.
type aggBlock struct {
	start     int64
	end       int64
	n         uint16
	dirty     bool
	irregular bool // some delta after the first differs from period
	period    int64
	times     bitWriter
	tsA       uint64 // Rice accumulator of the times
	tsN       uint32
	ctx       aggCtx
	cols      []aggColumn // 5 or 6, allocated with the first point
}

func colValues(p aggPoint) [numAggCols]float64 {
	return [numAggCols]float64{p.count, p.sum, p.min, p.max, p.last, p.inc}
}

// append adds a point; its time must not be before the block's last.
func (b *aggBlock) append(p aggPoint, counter bool) {
	vals := colValues(p)
	b.ctx.cur = p
	if b.n == 0 {
		ncols := numAggCols - 1
		if counter {
			ncols = numAggCols
		}
		b.cols = make([]aggColumn, ncols)
		b.start = p.t
		for _, col := range aggCodingOrder[:] {
			if col >= ncols {
				continue
			}
			c := &b.cols[col]
			c.w.b = make([]byte, 0, 16)
			c.c.encodeFirst(&c.w, &b.ctx, col, vals[col])
			c.firstBits = c.w.nbits
			c.first = math.Float64bits(vals[col])
		}
	} else {
		b.appendTime(p.t - b.end)
		for _, col := range aggCodingOrder[:] {
			if col >= len(b.cols) {
				continue
			}
			c := &b.cols[col]
			c.c.encode(&c.w, &b.ctx, col, vals[col])
			c.varies = c.varies || math.Float64bits(vals[col]) != c.first
		}
	}
	b.ctx.p2, b.ctx.p1 = b.ctx.p1, p
	b.ctx.before = min(b.ctx.before+1, 2)
	b.n++
	b.end = p.t
	b.dirty = true
}

func (b *aggBlock) appendTime(delta int64) {
	if b.n == 1 {
		b.period = delta
		return
	}
	z := zigzag(delta - b.period)
	writeRice(&b.times, z, riceParam(b.tsA, b.tsN))
	riceUpdate(&b.tsA, &b.tsN, z)
	b.irregular = b.irregular || z != 0
}

// data encodes the block as it stands (a copy: the open block grows on).
func (b *aggBlock) data() []byte {
	size := 2 + 3*binary.MaxVarintLen64 + len(b.times.b)
	for i := range b.cols {
		size += binary.MaxVarintLen32 + len(b.cols[i].w.b)
	}
	out := make([]byte, 0, size)
	out = append(out, aggBlockVersion, byte(len(b.cols)))
	out = binary.AppendUvarint(out, uint64(b.n))
	if b.n > 1 {
		out = binary.AppendUvarint(out, uint64(b.period))
		if b.irregular {
			out = appendStream(out, uint64(b.times.nbits), &b.times, b.times.nbits)
		} else {
			out = append(out, 0)
		}
	}
	for i := range b.cols {
		c := &b.cols[i]
		if c.varies {
			out = appendStream(out, uint64(c.w.nbits)<<1, &c.w, c.w.nbits)
		} else {
			out = appendStream(out, uint64(c.firstBits)<<1|1, &c.w, c.firstBits)
		}
	}
	return out
}

// appendStream appends uvarint(head) and the first nbits of w, the bits
// past them in the last byte cleared.
func appendStream(out []byte, head uint64, w *bitWriter, nbits uint32) []byte {
	out = binary.AppendUvarint(out, head)
	nbytes := int(nbits+7) / 8
	out = append(out, w.b[:nbytes]...)
	if r := nbits % 8; r != 0 {
		out[len(out)-1] &= 0xff << (8 - r)
	}
	return out
}

// block is the open block as a storage block of tier for series key.
func (b *aggBlock) block(tier storage.Tier, key uint64) storage.Block {
	return storage.Block{Tier: tier, Series: key, Start: b.start, End: b.end, Points: int(b.n), Data: b.data()}
}

// reopen rebuilds an open block from points decoded from storage, so that
// later points continue it (same Start, so the next write replaces it).
func reopenAggBlock(pts []aggPoint, counter bool) aggBlock {
	var b aggBlock
	for _, p := range pts {
		b.append(p, counter)
	}
	b.dirty = false
	return b
}
