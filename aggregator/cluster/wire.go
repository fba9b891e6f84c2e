package cluster

import (
	"encoding/binary"
	"fmt"
	"time"
)

// The small messages beside the sample batches; their layouts are in
// docs/cluster.md. Each starts with a version byte.
const wireVersion = 1

// heartbeat is what a node says every interval.
type heartbeat struct {
	Interval time.Duration
	Sent     time.Time
	Leaving  bool // the node is stopping: Down at once, no waiting
	// Started is when the sending node's instance was made (optional on
	// the wire: zero when absent). Two nodes of one name tell by it which
	// came first.
	Started time.Time
}

const hbLeaving = 1

func (h heartbeat) marshal() []byte {
	var flags byte
	if h.Leaving {
		flags |= hbLeaving
	}
	b := []byte{wireVersion, flags}
	b = binary.AppendUvarint(b, uint64(h.Interval.Milliseconds()))
	b = binary.AppendVarint(b, h.Sent.UnixMilli())
	if !h.Started.IsZero() {
		b = binary.AppendVarint(b, h.Started.UnixMilli())
	}
	return b
}

// Bounds on a peer's declared interval, so that a garbled one can neither
// make it Down at once nor keep it Up for hours.
const (
	minPeerInterval = 10 * time.Millisecond
	maxPeerInterval = time.Minute
)

func unmarshalHeartbeat(b []byte) (heartbeat, error) {
	r := reader{b: b}
	v, flags := r.byte(), r.byte()
	ms := r.uvarint()
	sent, started := int64(0), int64(0)
	if r.err == nil {
		s, n := binary.Varint(r.b)
		if n <= 0 {
			r.fail("heartbeat time")
		} else if st, m := binary.Varint(r.b[n:]); m > 0 {
			started = st
		}
		sent = s
	}
	if r.err != nil {
		return heartbeat{}, r.err
	}
	if v != wireVersion {
		return heartbeat{}, fmt.Errorf("%w: heartbeat version %d", ErrUnsupported, v)
	}
	iv := time.Duration(min(ms, uint64(maxPeerInterval.Milliseconds()))) * time.Millisecond
	hb := heartbeat{Interval: max(iv, minPeerInterval), Sent: time.UnixMilli(sent), Leaving: flags&hbLeaving != 0}
	if started != 0 {
		hb.Started = time.UnixMilli(started)
	}
	return hb, nil
}

// appendBytes writes a length-prefixed byte string.
func appendBytes(b, p []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(p))), p...)
}

// readBytes reads a length-prefixed byte string of at most limit bytes.
func (r *reader) readBytes(limit int) []byte {
	n := r.uvarint()
	if r.err == nil && n > uint64(limit) {
		r.err = fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
	}
	return r.bytes(int(n))
}

func (r *reader) version() {
	if v := r.byte(); r.err == nil && v != wireVersion {
		r.err = fmt.Errorf("%w: %d", ErrUnsupported, v)
	}
}
