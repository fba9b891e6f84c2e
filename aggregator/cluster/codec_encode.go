package cluster

import (
	"encoding/binary"
	"math"
)

// dedupe drops, from items sorted by (time, id), every sample followed by
// another of the same series at the same time: the later one wins.
func dedupe(items []encItem, samples []Sample) []encItem {
	out := items[:0]
	for i, it := range items {
		if i+1 < len(items) {
			nx := items[i+1]
			if nx.s == it.s && samples[nx.i].Time == samples[it.i].Time {
				continue
			}
		}
		out = append(out, it)
	}
	return out
}

// Worst-case sizes used to cut a batch into messages before encoding it.
const (
	headerWorst = 1 + 3*binary.MaxVarintLen64 // version, epoch, seq, nAnnounce
	groupWorst  = 3 * binary.MaxVarintLen64   // dt, nRuns (the group count lives in the header slack)
	itemWorst   = 2*binary.MaxVarintLen64 + 1 + 8
	announceFix = 2 * binary.MaxVarintLen64
)

// encodeOne appends one message made of the longest prefix of e.order
// that fits in e.maxBytes, and returns the length of that prefix (at least
// one). How it works: a first pass adds up worst-case sizes to choose the
// prefix, a second writes the announcements of its unannounced series,
// then its samples grouped by time; within a group the ids are written as
// runs of consecutive ids (a full scrape of n series is one run) and the
// values follow in id order.
func (e *Encoder) encodeOne(samples []Sample) int {
	size, n := headerWorst+binary.MaxVarintLen64, 0
	pending := map[*encSeries]bool{}
	for n < len(e.order) {
		it := e.order[n]
		add := itemWorst + groupWorst
		if !it.s.announced && !pending[it.s] {
			add += announceFix + len(samples[it.i].Series)
		}
		if n > 0 && size+add > e.maxBytes {
			break
		}
		if !it.s.announced {
			pending[it.s] = true
		}
		size += add
		n++
	}
	items := e.order[:n]
	e.seq++
	b := append(e.buf, batchVersion)
	b = binary.AppendUvarint(b, uint64(e.epoch))
	b = binary.AppendUvarint(b, e.seq)
	b = binary.AppendUvarint(b, uint64(len(pending)))
	for _, it := range items {
		if !it.s.announced {
			it.s.announced = true
			id := samples[it.i].Series
			b = binary.AppendUvarint(b, uint64(it.s.id))
			b = binary.AppendUvarint(b, uint64(len(id)))
			b = append(b, id...)
		}
	}
	groups := 0
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && samples[items[j].i].Time == samples[items[i].i].Time {
			j++
		}
		groups++
		i = j
	}
	b = binary.AppendUvarint(b, uint64(groups))
	prevT := int64(0)
	for i := 0; i < len(items); {
		t := samples[items[i].i].Time
		j := i + 1
		for j < len(items) && samples[items[j].i].Time == t {
			j++
		}
		b = binary.AppendUvarint(b, zigzag(t-prevT))
		prevT = t
		b = appendRuns(b, items[i:j])
		for _, it := range items[i:j] {
			b = e.appendValue(b, it.s, samples[it.i].Value)
		}
		i = j
	}
	e.buf = b
	return n
}

// appendRuns writes the ids of a group (strictly increasing) as a count of
// runs, then for each run the gap since the end of the previous run and its
// length minus one.
func appendRuns(b []byte, items []encItem) []byte {
	runs := 0
	for k := range items {
		if k == 0 || items[k].s.id != items[k-1].s.id+1 {
			runs++
		}
	}
	b = binary.AppendUvarint(b, uint64(runs))
	next := uint32(0) // the id after the previous run
	for k := 0; k < len(items); {
		l := k + 1
		for l < len(items) && items[l].s.id == items[l-1].s.id+1 {
			l++
		}
		b = binary.AppendUvarint(b, uint64(items[k].s.id-next))
		b = binary.AppendUvarint(b, uint64(l-k-1))
		next = items[l-1].s.id + 1
		k = l
	}
	return b
}

// appendValue writes v as a decimal delta from the series' previous value
// when both have a short decimal form at the same exponent, else as an
// absolute decimal, else as a raw float64, and keeps it as the next base.
func (e *Encoder) appendValue(b []byte, s *encSeries, v float64) []byte {
	minExp := 0
	if s.hasPrev {
		minExp = s.prevExp
	}
	m, exp, ok := decimal(v, minExp)
	switch {
	case ok && s.hasPrev && exp == s.prevExp:
		b = binary.AppendUvarint(b, zigzag(m-s.prevM)<<2|kindDelta)
	case ok:
		b = binary.AppendUvarint(b, zigzag(m)<<2|kindAbs)
		b = append(b, byte(exp))
	default:
		b = binary.AppendUvarint(b, kindFloat)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		s.hasPrev = false
		return b
	}
	s.hasPrev, s.prevM, s.prevExp = true, m, exp
	return b
}
