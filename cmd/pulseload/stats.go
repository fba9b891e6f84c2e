package main

import (
	"math"
	"sync/atomic"
	"time"
)

// histogram records delivery delays in buckets of histStep, lock-free, so
// that thousands of client goroutines can record at once. Delays past the
// last bucket land in it; max is kept exactly.
type histogram struct {
	buckets [histBuckets]atomic.Uint64
	count   atomic.Uint64
	maxUs   atomic.Int64
}

const (
	histStep    = 100 * time.Microsecond
	histBuckets = int(60 * time.Second / histStep) // 0 … 60s
)

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0 // ts is in whole ms: a message read within its ms looks early
	}
	i := int(d / histStep)
	if i >= histBuckets {
		i = histBuckets - 1
	}
	h.buckets[i].Add(1)
	h.count.Add(1)
	us := d.Microseconds()
	for {
		cur := h.maxUs.Load()
		if us <= cur || h.maxUs.CompareAndSwap(cur, us) {
			return
		}
	}
}

// quantile returns the upper bound of the bucket holding quantile q, or 0
// with no data.
func (h *histogram) quantile(q float64) time.Duration {
	n := h.count.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen >= rank {
			if i == histBuckets-1 {
				return h.max() // the overflow bucket has no upper bound
			}
			d := time.Duration(i+1) * histStep
			if m := h.max(); d > m {
				d = m // the top bucket's bound may exceed the real maximum
			}
			return d
		}
	}
	return h.max()
}

func (h *histogram) max() time.Duration { return time.Duration(h.maxUs.Load()) * time.Microsecond }

// counters are the run's totals, shared by every client.
type counters struct {
	connected   atomic.Int64 // open now
	dialed      atomic.Int64 // ever connected
	dialFailed  atomic.Int64
	disconnects atomic.Int64 // ended by the server or the network before the end
	messages    atomic.Uint64
	decoded     atomic.Uint64 // messages read whole (every one, unless headOnly)
	bytes       atomic.Uint64 // payloads of the messages read whole, as decoded
	wireBytes   atomic.Uint64 // read from the sockets: frames, compressed or not
	deltas      atomic.Uint64
	snapshots   atomic.Uint64
	merged      atomic.Uint64 // deltas carrying "from" < seq: conflated by the server
	gaps        atomic.Uint64
	resyncs     atomic.Uint64
	replayed    atomic.Uint64 // deltas built before their client connected (no delay recorded)
	undecodable atomic.Uint64
	// Deltas received while measuring: how many, their bytes, the largest.
	// Apart from the totals above, which a snapshot (a whole history)
	// swamps: these say what the stream itself costs a client.
	measuredDeltas atomic.Uint64
	deltaBytes     atomic.Uint64
	deltaMax       atomic.Uint64
}

// countDelta accounts one delta of n bytes received while measuring.
func (c *counters) countDelta(n int) {
	c.measuredDeltas.Add(1)
	c.deltaBytes.Add(uint64(n))
	for {
		m := c.deltaMax.Load()
		if uint64(n) <= m || c.deltaMax.CompareAndSwap(m, uint64(n)) {
			return
		}
	}
}
