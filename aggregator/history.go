package aggregator

import "unsafe"

type point struct {
	t int64
	v float64
}

// chunkSamples is how many samples a chunk holds before it is sealed, as
// a little more than Prometheus' 120: enough to spread the per-chunk header thin, few enough
// that whole chunks can be dropped as they age out.
const chunkSamples = 240

// chunk is a sealed or growing run of encoded samples.
type chunk struct {
	w      bitWriter
	n      uint16 // samples
	firstT int64
	lastT  int64 // the newest sample's time, for the block written of it
	next   *chunk
}

// history is one series' compressed points, oldest chunk first. A chunk is
// dropped whole once the next one starts before the history's horizon, so
// between History and History plus one chunk's span is kept.
type history struct {
	head, tail *chunk
	enc        codecState // the tail's encoder
	n          int        // samples held
	maxSpanMs  int64      // a chunk is sealed once it spans this long
	lastSize   int        // bytes of the last sealed chunk, to size the next
}

func (h *history) len() int { return h.n }

// historyPoints is the number of points the histories hold.
func (st *store) historyPoints() int {
	n := 0
	for _, s := range st.all {
		n += s.hist.len()
	}
	return n
}

func (h *history) append(t int64, v float64) {
	restart := h.tail != nil && h.tail.n == 2 && offPeriod(t-h.tail.lastT, h.enc.period)
	if h.tail == nil || h.tail.n >= chunkSamples || (h.maxSpanMs > 0 && t-h.tail.firstT >= h.maxSpanMs) || restart {
		size := h.lastSize
		h.seal()
		if restart {
			h.lastSize = size // two samples say nothing of the next chunk's size
		}
		c := &chunk{firstT: t, lastT: t}
		c.w.b = make([]byte, 0, max(h.lastSize+8, 24))
		h.enc.encodeFirst(&c.w, t, v)
		c.n = 1
		if h.tail == nil {
			h.head = c
		} else {
			h.tail.next = c
		}
		h.tail = c
		h.n++
		return
	}
	h.enc.encode(&h.tail.w, t, v)
	h.tail.n++
	h.tail.lastT = t
	h.n++
}

// offPeriod says whether a chunk's third time, delta after its second,
// shows that the chunk's period (its first delta, against which the codec
// codes every later one) was an accident: more than an eighth away. A
// source's first poll runs at once and its next on its phase, and a late
// poll can open a chunk likewise; coded against such a period, every
// regular time of the chunk costs a Rice code (a counter at 1 s: 1.65 B a
// sample instead of 0.28). append then starts a new chunk there, whose
// period the next delta sets, for the price of a chunk header. Jitter of
// a few milliseconds is far inside an eighth, so jittered sources never
// restart a chunk.
func offPeriod(delta, period int64) bool {
	d := delta - period
	return period > 0 && (d > period/8 || -d > period/8)
}

// seal trims the tail chunk's buffer to its size: it will not grow again.
func (h *history) seal() {
	if c := h.tail; c != nil && cap(c.w.b) > len(c.w.b) {
		c.w.b = append(make([]byte, 0, len(c.w.b)), c.w.b...)
		h.lastSize = len(c.w.b)
	}
}

// dropBefore drops the chunks whose every sample is older than t. The tail
// chunk is never dropped.
func (h *history) dropBefore(t int64) {
	for h.head != nil && h.head.next != nil && h.head.next.firstT < t {
		h.n -= int(h.head.n)
		h.head = h.head.next
	}
}

// each calls f with the first n points, oldest first.
func (h *history) each(n int, f func(point)) {
	var c cursor
	for ; n > 0; n-- {
		p, _, ok := c.next(h, KindGauge)
		if !ok {
			return
		}
		f(p)
	}
}

// bytes is the memory the history holds: chunk headers and their buffers.
func (h *history) bytes() int {
	n := 0
	for c := h.head; c != nil; c = c.next {
		n += int(unsafe.Sizeof(*c)) + cap(c.w.b)
	}
	return n
}

// encodedBytes is the size of the encoded streams alone.
func (h *history) encodedBytes() int {
	n := 0
	for c := h.head; c != nil; c = c.next {
		n += len(c.w.b) + 8 // the first timestamp lives outside the stream
	}
	return n
}

// cursor walks a history forwards. At the end it stays put and moves on
// once more samples are appended. It must not fall behind the history's
// oldest chunk (windows never do: they are shorter than the history and
// are advanced before chunks are dropped).
//
// A cursor does not point to its history: every call is given it (the
// series' own, which holds the windows that hold the cursors), so that a
// window is 8 bytes smaller (BENCHMARKS.md, "A series' memory"). The zero
// cursor is before the first sample.
type cursor struct {
	c    *chunk // nil: before the first sample
	dec  codecState
	rate rateTrack // the finite values before the next one, for rate steps
	// A point decoded by peek and not yet taken by next.
	look     point
	lookStep rateStep
	// pos is the bit position in c's buffer; the reader itself is made
	// afresh at each decode (the tail chunk's buffer may have grown and
	// moved), so that the cursor, in every window of every series, holds
	// no copy of the slice.
	pos     uint32
	hasLook bool
}

// next returns the next point and its rate step over the one before it.
func (c *cursor) next(h *history, kind Kind) (point, rateStep, bool) {
	if c.hasLook {
		c.hasLook = false
		return c.look, c.lookStep, true
	}
	return c.decode(h, kind)
}

// peek returns what next would, without moving on.
func (c *cursor) peek(h *history, kind Kind) (point, rateStep, bool) {
	if !c.hasLook {
		p, rs, ok := c.decode(h, kind)
		if !ok {
			return p, rs, false
		}
		c.look, c.lookStep, c.hasLook = p, rs, true
	}
	return c.look, c.lookStep, true
}

func (c *cursor) decode(h *history, kind Kind) (point, rateStep, bool) {
	if c.c == nil {
		if h.head == nil {
			return point{}, rateStep{}, false
		}
		c.c = h.head
		c.pos = 0
		c.dec.n = 0
	}
	if c.dec.n >= c.c.n {
		if c.c.next == nil {
			return point{}, rateStep{}, false
		}
		c.c = c.c.next
		c.pos = 0
		c.dec.n = 0
	}
	// Reread the buffer: the tail chunk may have grown (and moved).
	r := bitReader{b: c.c.w.b, pos: c.pos, nbits: c.c.w.nbits}
	var p point
	var err error
	if c.dec.n == 0 {
		p.t = c.c.firstT
		p.v, err = c.dec.decodeFirst(&r, p.t)
	} else {
		p.t, p.v, err = c.dec.decode(&r)
	}
	c.pos = r.pos
	if err != nil {
		// Only possible if the encoder wrote something it cannot read back.
		panic("aggregator: history chunk does not decode: " + err.Error())
	}
	// Increases run between finite values: a NaN or Inf has none, and the
	// next finite value's is taken over the one before it (as settle does).
	var rs rateStep
	if finite(p.v) {
		rs = c.rate.step(kind, p.t, p.v)
	}
	return p, rs, true
}
