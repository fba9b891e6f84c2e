package aggregator

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// errCorrupt is what decoding garbage reports, never a panic.
var errCorrupt = errors.New("aggregator: corrupt chunk")

// bitWriter appends bits, most significant first, to a byte slice.
type bitWriter struct {
	b     []byte
	nbits uint32
}

func (w *bitWriter) writeBit(bit bool) {
	if w.nbits%8 == 0 {
		w.b = append(w.b, 0)
	}
	if bit {
		w.b[len(w.b)-1] |= 0x80 >> (w.nbits % 8)
	}
	w.nbits++
}

// zeroBytes pads a bitWriter's buffer by up to a word at a time.
var zeroBytes [8]byte

// writeBits writes the low n bits of v (n <= 64).
func (w *bitWriter) writeBits(v uint64, n uint) {
	if n > 0 && n <= 56 {
		// The bits, placed after the last byte's used ones, span at most
		// eight bytes: pad once, then OR them in (every sample is coded
		// on the ingest path).
		off := uint(w.nbits % 8)
		span := off + n
		word := (v & (1<<n - 1)) << (64 - span)
		i := int(w.nbits / 8)
		nb := int(span+7) / 8
		w.b = append(w.b, zeroBytes[:i+nb-len(w.b)]...)
		for k := range nb {
			w.b[i+k] |= byte(word >> (56 - 8*k))
		}
		w.nbits += uint32(n)
		return
	}
	for n > 0 {
		free := 8 - uint(w.nbits%8)
		if free == 8 {
			w.b = append(w.b, 0)
		}
		take := min(n, free)
		chunk := byte(v>>(n-take)) & byte(1<<take-1)
		w.b[len(w.b)-1] |= chunk << (free - take)
		n -= take
		w.nbits += uint32(take)
	}
}

// writeOnes writes n one bits.
func (w *bitWriter) writeOnes(n uint) {
	for n >= 64 {
		w.writeBits(^uint64(0), 64)
		n -= 64
	}
	w.writeBits(1<<n-1, n)
}

// bitReader reads what a bitWriter wrote, up to nbits.
type bitReader struct {
	b     []byte
	pos   uint32
	nbits uint32
}

func (r *bitReader) readBit() (bool, error) {
	if r.pos >= r.nbits || int(r.pos/8) >= len(r.b) {
		return false, errCorrupt
	}
	bit := r.b[r.pos/8]&(0x80>>(r.pos%8)) != 0
	r.pos++
	return bit, nil
}

func (r *bitReader) readBits(n uint) (uint64, error) {
	if n > 64 || uint64(r.pos)+uint64(n) > uint64(r.nbits) || (uint64(r.pos)+uint64(n)+7)/8 > uint64(len(r.b)) {
		return 0, errCorrupt
	}
	// Most reads are short and far from the end: one 8-byte load instead
	// of a loop over bytes (the windows decode every sample that leaves
	// them, so this is on the ingest path).
	if w, ok := r.peek64(); ok && n <= 57 {
		if n == 0 {
			return 0, nil
		}
		r.pos += uint32(n)
		return w >> (64 - n), nil
	}
	var v uint64
	for n > 0 {
		off := uint(r.pos % 8)
		avail := 8 - off
		take := min(n, avail)
		bits := uint64(r.b[r.pos/8]>>(avail-take)) & (1<<take - 1)
		v = v<<take | bits
		n -= take
		r.pos += uint32(take)
	}
	return v, nil
}

// peek64 returns the next bits, the one at pos first, in a word with at
// least 57 of them (the rest zeros), when 8 bytes from pos's byte exist.
// Bits past nbits may be in it: callers check their length against nbits.
func (r *bitReader) peek64() (uint64, bool) {
	i := int(r.pos / 8)
	if i+8 > len(r.b) {
		return 0, false
	}
	return binary.BigEndian.Uint64(r.b[i:]) << (r.pos % 8), true
}

// readOnes counts one bits up to a zero (consumed) or up to limit ones
// (no zero consumed), whichever comes first.
func (r *bitReader) readOnes(limit uint) (uint, error) {
	if w, ok := r.peek64(); ok && limit < 57 {
		// The load shifted in zeros below the 57 or more bits it holds,
		// so a run of ones counted here ends inside them.
		n := uint(bits.LeadingZeros64(^w))
		switch {
		case n >= limit && uint64(r.pos)+uint64(limit) <= uint64(r.nbits):
			r.pos += uint32(limit)
			return limit, nil
		case n < limit && uint64(r.pos)+uint64(n) < uint64(r.nbits):
			r.pos += uint32(n) + 1
			return n, nil
		}
		// Past nbits: the bit-by-bit loop below reports it.
	}
	var n uint
	for n < limit {
		bit, err := r.readBit()
		if err != nil {
			return 0, err
		}
		if !bit {
			return n, nil
		}
		n++
	}
	return n, nil
}

// Zigzag and adaptive Rice codes, shared by the chunk and block codecs.

func zigzag(x int64) uint64   { return uint64(x<<1) ^ uint64(x>>63) }
func unzigzag(z uint64) int64 { return int64(z>>1) ^ -int64(z&1) }

func riceParam(a uint64, n uint32) uint {
	k := uint(0)
	for uint64(n)<<k < a && k < 62 {
		k++
	}
	return k
}

func riceUpdate(a *uint64, n *uint32, z uint64) {
	*a += min(z, 1<<40)
	*n++
	if *n >= riceReset {
		*a >>= 1
		*n >>= 1
	}
}

func writeRice(w *bitWriter, z uint64, k uint) {
	if q := z >> k; q < escQ {
		w.writeOnes(uint(q))
		w.writeBit(false)
		w.writeBits(z, k)
		return
	}
	w.writeOnes(escQ)
	l := uint(bits.Len64(z))
	w.writeBits(uint64(l), 7)
	w.writeBits(z, l)
}

// What an escape in a value's code announces.
const (
	escNone = iota // no escape: a value
	escMode        // a new mode, 3 bits, then the value in it
	escTime        // an irregular time's code, then the value's code
)

// escTimeL is the length field that marks a time escape in a Rice code.
const escTimeL = 127

// readRice returns the value, or the escape it reads.
func readRice(r *bitReader, k uint) (z uint64, esc uint8, err error) {
	q, err := r.readOnes(escQ)
	if err != nil {
		return 0, escNone, err
	}
	if q < escQ {
		low, err := r.readBits(k)
		return uint64(q)<<k | low, escNone, err
	}
	l, err := r.readBits(7)
	if err != nil {
		return 0, escNone, err
	}
	switch {
	case l == 0:
		return 0, escMode, nil
	case l == escTimeL:
		return 0, escTime, nil
	case l > 64:
		return 0, escNone, errCorrupt
	}
	z, err = r.readBits(uint(l))
	return z, escNone, err
}
