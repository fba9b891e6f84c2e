package aggregator

import (
	"encoding/binary"
	"math"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// An aggregate block is columnar: one chunk-codec stream (codec.go) per
// column, each with the points' times, so that every column compresses as
// the series it is (counts repeat, min/max/last move like the samples,
// sums and increases like a smoother series). The repeated times cost a
// bit a point a column when the minutes are regular.
//
// Layout of Block.Data (the first point's time is Block.Start):
//
//	byte     version (aggBlockVersion)
//	byte     number of columns: 5 (count, sum, min, max, last) or 6 (and
//	         increase, for counters)
//	uvarint  number of points n
//	per column: uvarint nbits, then ceil(nbits/8) bytes of stream
const aggBlockVersion = 1

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
	// maxAggBlockPoints bounds what a decoder accepts before allocating:
	// far above the 120 a block holds, far below what garbage may claim.
	maxAggBlockPoints = 1 << 14
)

// aggColumn is one column of an open block: the stream and the encoder's
// state, so that a point is appended in O(1).
type aggColumn struct {
	w  bitWriter
	st codecState
}

// aggBlock is a tier's open block of one series. dirty says it changed
// since it was last written.
type aggBlock struct {
	start int64
	end   int64
	n     uint16
	dirty bool
	cols  []aggColumn // 5 or 6, allocated with the first point
}

func colValues(p aggPoint) [numAggCols]float64 {
	return [numAggCols]float64{p.count, p.sum, p.min, p.max, p.last, p.inc}
}

// append adds a point; its time must not be before the block's last.
func (b *aggBlock) append(p aggPoint, counter bool) {
	vals := colValues(p)
	if b.n == 0 {
		ncols := numAggCols - 1
		if counter {
			ncols = numAggCols
		}
		b.cols = make([]aggColumn, ncols)
		b.start = p.t
		for i := range b.cols {
			c := &b.cols[i]
			c.w.b = make([]byte, 0, 16)
			c.st.encodeFirst(&c.w, p.t, vals[i])
		}
	} else {
		for i := range b.cols {
			c := &b.cols[i]
			c.st.encode(&c.w, p.t, vals[i])
		}
	}
	b.n++
	b.end = p.t
	b.dirty = true
}

// data encodes the block as it stands (a copy: the open block grows on).
func (b *aggBlock) data() []byte {
	size := 2 + binary.MaxVarintLen64
	for i := range b.cols {
		size += binary.MaxVarintLen32 + len(b.cols[i].w.b)
	}
	out := make([]byte, 0, size)
	out = append(out, aggBlockVersion, byte(len(b.cols)))
	out = binary.AppendUvarint(out, uint64(b.n))
	for i := range b.cols {
		c := &b.cols[i].w
		out = binary.AppendUvarint(out, uint64(c.nbits))
		out = append(out, c.b[:(c.nbits+7)/8]...)
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

// decodeAggBlock decodes Block.Data of an aggregate block whose first
// point is at start. On garbage it returns errCorrupt (or a codec error),
// never panics; it allocates at most in proportion to len(data).
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
	var out []aggPoint
	for c := range ncols {
		nbits, k := binary.Uvarint(rest)
		if k <= 0 || nbits > math.MaxUint32 || nbits > uint64(len(rest)-k)*8 {
			return nil, errCorrupt
		}
		// Every point after the first costs at least two bits (a time
		// code and a value code): a claim of more points is garbage.
		if n > 1+nbits/2 {
			return nil, errCorrupt
		}
		nbytes := int((nbits + 7) / 8)
		stream := rest[k : k+nbytes]
		rest = rest[k+nbytes:]
		pts, err := decodeChunk(stream, uint32(nbits), int(n), start)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = make([]aggPoint, n)
			for i, p := range pts {
				out[i].t = p.t
			}
		}
		for i, p := range pts {
			if p.t != out[i].t || (i > 0 && p.t < out[i-1].t) {
				return nil, errCorrupt
			}
			setCol(&out[i], c, p.v)
		}
	}
	if len(rest) != 0 {
		return nil, errCorrupt
	}
	return out, nil
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
