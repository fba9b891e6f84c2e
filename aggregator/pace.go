package aggregator

import "time"

// Pacing: what one source may put in one delta.
//
// A wide source (a prometheus target of 9,000 series polled every 2 s)
// makes all its series dirty at once. Published in the next delta, they
// made that delta 3.4 MB: settling their windows, encoding it and writing
// it to every client took 30 ms on one core, every 2 s, and the 100 ms
// stream of every other source waited behind it (readers' p99 10× the
// base's, BENCHMARKS.md "One wide source"). Paced, a source with more
// than paceFloor series to publish gets a quota of its backlog over
// paceSpan of publishes, taken in the order its series became dirty;
// what it leaves waits, whole and unsettled, for the next publish. Every
// other source's series go out at once, as before. A paced series is in
// no message until it is taken: its points stay pending (a snapshot cuts
// them off, store.settle has not fed them to the windows) and a new
// series is announced in the delta that takes it, so every message is
// still one consistent cut per series.
//
// The quota is fixed for a backlog, not recomputed from what is left
// (which would drain it geometrically and never finish): it is raised
// when the backlog grows, and forgotten once the source's dirty series
// fit in it. A steady source of N series a poll therefore reaches each of
// its series within paceSpan of its sample, whatever N.
const (
	// paceFloor is how many series a source may publish in one delta
	// before it is paced.
	paceFloor = 256
	// paceSpan is about how long a paced source's backlog is spread
	// over: as many publishes as broadcast intervals fit in it (10 at the
	// default 100 ms; a broadcast interval of a second or more paces
	// nothing).
	paceSpan = time.Second
)

// pacer is the store's per-source pacing state.
type pacer struct {
	spread int            // publishes a backlog is spread over; 1: no pacing
	quota  map[string]int // per paced source: series per publish
	left   map[string]int // scratch: per source, what this publish may still take
	later  []*series      // scratch: the series left for a later publish
}

// pace reorders st.dirty into the series this publish takes, first, and
// those it leaves, in the order each group had, and returns how many it
// takes. Evicted series are taken (collect drops them). Must hold the
// store's write lock; runs before settle, which feeds only the taken.
func (st *store) pace() int {
	p := &st.pacer
	if p.spread <= 1 || len(st.dirty) <= paceFloor && len(p.quota) == 0 {
		return len(st.dirty)
	}
	if p.left == nil {
		p.left, p.quota = make(map[string]int), make(map[string]int)
	}
	clear(p.left)
	// A batch's series become dirty together: counted by runs of one
	// source, the map is touched once a run, not once a series (a string
	// compare of one source's names is a pointer compare).
	run, n := "", 0
	for _, s := range st.dirty {
		if s.evicted {
			continue
		}
		if s.source != run {
			if n > 0 {
				p.left[run] += n
			}
			run, n = s.source, 0
		}
		n++
	}
	if n > 0 {
		p.left[run] += n
	}
	for src := range p.quota {
		if p.left[src] == 0 {
			delete(p.quota, src) // drained, and nothing new since
		}
	}
	paced := false
	for src, n := range p.left {
		q := max(paceFloor, p.quota[src])
		if n <= q {
			delete(p.quota, src)
			continue
		}
		q = max(q, (n+p.spread-1)/p.spread)
		p.quota[src], p.left[src] = q, q
		paced = true
	}
	if !paced {
		return len(st.dirty)
	}
	taken := st.dirty[:0]
	p.later = p.later[:0]
	run, left := "", 0 // what run's source may still take
	started := false
	for _, s := range st.dirty {
		if s.evicted {
			taken = append(taken, s)
			continue
		}
		if !started || s.source != run {
			if started {
				p.left[run] = left
			}
			run, left, started = s.source, p.left[s.source], true
		}
		if left > 0 {
			left--
			taken = append(taken, s)
			continue
		}
		p.later = append(p.later, s)
	}
	k := len(taken)
	st.dirty = append(taken, p.later...)
	clear(p.later)
	st.stats.paced.Add(uint64(len(st.dirty) - k))
	return k
}

// leaveDeferred keeps only st.dirty[k:], the series pace left, on the
// dirty list, after collect took the first k. Must hold the write lock.
func (st *store) leaveDeferred(k int) {
	n := copy(st.dirty, st.dirty[k:])
	clear(st.dirty[n:])
	st.dirty = st.dirty[:n]
}
