package cluster

import (
	"cmp"
	"errors"
	"math"
	"slices"
)

// Sample is one value of one series, as it travels between nodes.
//
// Series is the identity of the series, opaque to this package (the
// aggregator fills it, e.g. with a JSON blob of the source and labels); it
// is announced once per dictionary and then referenced by a small integer.
// Time is in milliseconds since the Unix epoch.
type Sample struct {
	Series string
	Time   int64
	Value  float64
}

// Batch layout version and bounds shared by encoder and decoder.
const (
	batchVersion = 1

	// MaxIdentity is the longest series identity, in bytes, that the codec
	// carries; a longer one is refused by the encoder and the decoder.
	MaxIdentity = 4096
	// MaxDictionary is the number of series a decoder remembers for one
	// peer; an announcement past it is a decode error.
	MaxDictionary = 1 << 20
	// maxExp is the largest decimal exponent a value is scaled by: 12.345
	// travels as 12345 with exponent 3.
	maxExp = 9
	// minMessage is the smallest bound on a message: one sample with the
	// longest identity and the header fit in it.
	minMessage = 8 << 10
)

// Value kinds, the two low bits of a value's first varint.
const (
	kindDelta = 0 // zigzag(mantissa - previous mantissa), same exponent
	kindAbs   = 1 // zigzag(mantissa), then one byte of exponent
	kindFloat = 2 // 8 bytes of IEEE 754, little endian
)

// Errors of the codec, checked with errors.Is.
var (
	ErrCorrupt     = errors.New("cluster: corrupt batch")
	ErrTooLarge    = errors.New("cluster: over a bound")
	ErrUnsupported = errors.New("cluster: unsupported batch version")
)

var pow10 = [maxExp + 1]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// decimal returns v as mantissa·10^-exp with exp as small as possible, at
// least minExp, when float64(m)/10^exp gives back exactly v (the decoder's
// expression); ok is false for values with no short decimal form.
func decimal(v float64, minExp int) (m int64, exp int, ok bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, 0, false
	}
	for exp = minExp; exp <= maxExp; exp++ {
		s := math.Round(v * pow10[exp])
		if math.Abs(s) >= 1<<53 {
			return 0, 0, false
		}
		if s/pow10[exp] == v && !(s == 0 && math.Signbit(v)) {
			return int64(s), exp, true
		}
	}
	return 0, 0, false
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// encSeries is the encoder's state for one series: its id, whether the
// current dictionary generation announced it, and the previous value sent
// (the base of the next delta).
type encSeries struct {
	id        uint32
	announced bool
	hasPrev   bool
	prevM     int64
	prevExp   int
}

// Encoder turns sample batches into binary messages for one stream (one
// node's samples subject). It assigns each new series the next small id,
// announces it in the first message that carries it, and codes each value
// as a decimal delta from the series' previous value when it can.
//
// An Encoder is not safe for concurrent use: the node's publisher
// goroutine owns it.
type Encoder struct {
	epoch    uint32
	seq      uint64
	maxBytes int
	series   map[string]*encSeries
	buf      []byte
	order    []encItem
}

type encItem struct {
	s *encSeries
	i int // index in the caller's slice
}

// NewEncoder returns an encoder whose messages are each at most maxBytes
// long (at least 8 KiB is enforced, so that one announcement fits). epoch names the dictionary: a
// decoder that sees a new epoch forgets the old one, so a restarted node
// never has its new ids read with its old dictionary.
func NewEncoder(epoch uint32, maxBytes int) *Encoder {
	return &Encoder{epoch: epoch, maxBytes: max(maxBytes, minMessage), series: map[string]*encSeries{}}
}

// Reset makes the next message a key frame: every series is announced
// again when next sent and every value travels absolute. The node calls it
// after a reconnect, when a peer asks for the dictionary, and when a
// message could not be published (a peer would see a gap).
func (e *Encoder) Reset() {
	for _, s := range e.series {
		s.announced, s.hasPrev = false, false
	}
}

// Encode codes samples into one or more messages (more when one would
// pass the size bound), each to be published as it is. A sample whose
// identity is longer than MaxIdentity is left out and counted in skipped.
// The returned slices are valid until the next call.
func (e *Encoder) Encode(samples []Sample) (msgs [][]byte, skipped int) {
	e.order = e.order[:0]
	for i := range samples {
		id := samples[i].Series
		if len(id) > MaxIdentity {
			skipped++
			continue
		}
		s := e.series[id]
		if s == nil {
			s = &encSeries{id: uint32(len(e.series))}
			e.series[id] = s
		}
		e.order = append(e.order, encItem{s, i})
	}
	slices.SortStableFunc(e.order, func(a, b encItem) int {
		if c := cmp.Compare(samples[a.i].Time, samples[b.i].Time); c != 0 {
			return c
		}
		return cmp.Compare(int64(a.s.id), int64(b.s.id))
	})
	e.order = dedupe(e.order, samples)
	e.buf = e.buf[:0]
	var starts []int
	for len(e.order) > 0 {
		start := len(e.buf)
		n := e.encodeOne(samples)
		e.order = e.order[n:]
		starts = append(starts, start)
	}
	for i, st := range starts {
		end := len(e.buf)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		msgs = append(msgs, e.buf[st:end:end])
	}
	return msgs, skipped
}
