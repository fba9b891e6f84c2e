package cluster

import (
	"encoding/binary"
	"fmt"
	"math"
)

// decSeries is what a decoder knows of one series of its peer.
type decSeries struct {
	identity string
	gen      uint64 // prevM/prevExp are a valid delta base when gen == Decoder.gen
	prevM    int64
	prevExp  int
}

// Decoder reads the sample messages of one peer, in the order the peer
// published them. It keeps the peer's dictionary (id → identity) and each
// series' previous value, the base of the next delta.
//
// A message it cannot fully read because it joined late, missed a message
// (a gap in the sequence) or the peer restarted is still decoded as far as
// it can: samples of unknown series and deltas with no base are dropped and
// counted, and the result asks for a resync, which the node turns into a
// dictionary request to the peer (the peer then sends a key frame).
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	epoch   uint32
	seq     uint64
	started bool
	gen     uint64
	dict    map[uint32]*decSeries
}

// NewDecoder returns a decoder that knows nothing of its peer yet.
func NewDecoder() *Decoder { return &Decoder{gen: 1, dict: map[uint32]*decSeries{}} }

// DecodeResult is what one message held beyond its samples.
type DecodeResult struct {
	// Dropped counts samples that could not be read: unknown series, or a
	// delta whose base was lost.
	Dropped int
	// Resync is true when the peer should send a key frame (Dropped > 0, a
	// gap in the sequence, or a new epoch that did not announce everything).
	Resync bool
}

// Decode appends the samples of msg to dst. Identities are shared with the
// dictionary (strings, so callers may keep them). An error (ErrCorrupt,
// ErrTooLarge, ErrUnsupported, wrapped) means the message was refused; the
// samples already appended to dst are then cut off, and the decoder's state
// may have learnt announcements of the refused message, which is harmless:
// they are the peer's.
//
// Bounds: the work and the memory are linear in len(msg): every count is
// checked against the bytes left before anything is allocated for it.
func (d *Decoder) Decode(msg []byte, dst []Sample) ([]Sample, DecodeResult, error) {
	var res DecodeResult
	base := len(dst)
	r := reader{b: msg}
	if v := r.byte(); r.err == nil && v != batchVersion {
		return dst, res, fmt.Errorf("%w: %d", ErrUnsupported, v)
	}
	epoch, seq := r.uvarint(), r.uvarint()
	if r.err != nil {
		return dst, res, r.err
	}
	if epoch > math.MaxUint32 {
		return dst, res, fmt.Errorf("%w: epoch", ErrCorrupt)
	}
	if !d.started || uint32(epoch) != d.epoch {
		d.started, d.epoch = true, uint32(epoch)
		clear(d.dict)
		d.gen++
	} else if seq != d.seq+1 {
		d.gen++ // a lost message: every delta base is stale
		res.Resync = true
	}
	d.seq = seq
	if err := d.readAnnouncements(&r); err != nil {
		return dst, res, err
	}
	groups := r.count(2)
	t := int64(0)
	for g := 0; g < groups && r.err == nil; g++ {
		t += unzigzag(r.uvarint())
		dst = d.readGroup(&r, t, dst, &res)
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(r.b))
	}
	if r.err != nil {
		return dst[:base], res, r.err
	}
	if res.Dropped > 0 {
		res.Resync = true
	}
	return dst, res, nil
}

func (d *Decoder) readAnnouncements(r *reader) error {
	n := r.count(2)
	for range n {
		id, l := r.uvarint(), r.uvarint()
		if r.err != nil {
			return r.err
		}
		if id >= MaxDictionary || l > MaxIdentity {
			return fmt.Errorf("%w: announcement id %d, %d bytes", ErrTooLarge, id, l)
		}
		name := r.bytes(int(l))
		if r.err != nil {
			return r.err
		}
		s := d.dict[uint32(id)]
		if s == nil {
			if len(d.dict) >= MaxDictionary {
				return fmt.Errorf("%w: dictionary of %d series", ErrTooLarge, len(d.dict))
			}
			s = &decSeries{}
			d.dict[uint32(id)] = s
		}
		if s.identity != string(name) {
			s.identity, s.gen = string(name), 0
		}
	}
	return r.err
}

// readGroup reads the runs of ids of one group, then their values.
func (d *Decoder) readGroup(r *reader, t int64, dst []Sample, res *DecodeResult) []Sample {
	runs := r.count(2)
	type run struct{ start, n uint64 }
	rs := make([]run, 0, runs)
	next, total := uint64(0), uint64(0)
	for range runs {
		gap, l := r.uvarint(), r.uvarint()
		start := next + gap
		if r.err != nil || gap >= MaxDictionary || l >= MaxDictionary || start+l >= MaxDictionary {
			r.fail("run of ids")
			return dst
		}
		total += l + 1
		if total > uint64(len(r.b)) { // every value takes at least one byte
			r.fail("more ids than bytes")
			return dst
		}
		rs = append(rs, run{start, l + 1})
		next = start + l + 1
	}
	for _, rn := range rs {
		for id := rn.start; id < rn.start+rn.n && r.err == nil; id++ {
			s := d.dict[uint32(id)]
			v, ok := d.readValue(r, s)
			if !ok {
				res.Dropped++
				continue
			}
			dst = append(dst, Sample{Series: s.identity, Time: t, Value: v})
		}
	}
	return dst
}

// readValue reads one value; ok is false when it is unreadable for want
// of the series (unknown id) or of its delta base.
func (d *Decoder) readValue(r *reader, s *decSeries) (float64, bool) {
	u := r.uvarint()
	if r.err != nil {
		return 0, false
	}
	switch u & 3 {
	case kindDelta:
		if s == nil || s.gen != d.gen {
			return 0, false
		}
		s.prevM += unzigzag(u >> 2)
		return float64(s.prevM) / pow10[s.prevExp], true
	case kindAbs:
		exp := int(r.byte())
		if r.err == nil && exp > maxExp {
			r.fail("exponent")
		}
		if r.err != nil || s == nil {
			return 0, false
		}
		s.prevM, s.prevExp, s.gen = unzigzag(u>>2), exp, d.gen
		return float64(s.prevM) / pow10[exp], true
	case kindFloat:
		bits := r.bytes(8)
		if r.err != nil || u != kindFloat {
			r.fail("float")
			return 0, false
		}
		if s == nil {
			return 0, false
		}
		s.gen = 0 // the encoder sends the next value absolute
		return math.Float64frombits(binary.LittleEndian.Uint64(bits)), true
	}
	r.fail("value kind")
	return 0, false
}

// reader consumes a message; the first error sticks and zeroes later reads.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrCorrupt, what)
	}
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.fail("short message")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.fail("short message")
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

// count reads a count of items that take at least minBytes each, and
// refuses one that the bytes left cannot hold.
func (r *reader) count(minBytes int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/minBytes) {
		r.fail("count larger than the message")
		return 0
	}
	return int(n)
}
