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
// than paceFloor series to publish gets a quota a publish, taken in the
// order its series became dirty; what it leaves waits, whole and
// unsettled, in its queue for the next publishes. Every other source's
// series go out at once, as before. A paced series is in no message
// until it is taken: its points stay pending (a snapshot cuts them off,
// store.settle has not fed them to the windows) and a new series is
// announced in the delta that takes it, so every message is still one
// consistent cut per series.
//
// The quota depends on how the source's series come. As a flow (no more
// new series a publish than its share, one and a half spread-ths of the
// series it brought in the last paceSpan; spread: the publishes of
// paceSpan), it is the largest of paceFloor, a spread-th of what the
// source has to publish and that share: a source that brings as many
// every paceSpan steadily is given its flow each publish rather than
// queued behind itself. As a burst (one poll of a wide target), it is
// the larger of paceFloor and a (burstSpans·spread)-th of what the source
// has to publish: 9,000 series go out at 450 a delta over two seconds.
// Spread over one second at 15 % a delta, such a target's deltas were
// still 1,350 series, and the stream's readers waited 10–26 ms behind
// each (BENCHMARKS.md "A wide target at the stream's pace"). The quota is fixed for a
// backlog, not recomputed from what is left (which would drain it
// geometrically and never finish): it is raised when the backlog grows,
// and forgotten once the source's dirty series fit in it. Each of a
// source's series therefore goes out within about burstSpans·paceSpan of
// its sample, whatever the source's size; a source that bursts more often
// than that (9,000 series every second) has its series coalesce: a
// waiting series takes its newer points along when it goes, and its
// windows are settled and encoded once for all of them.
const (
	// paceFloor is how many series a source may publish in one delta
	// before it is paced.
	paceFloor = 256
	// paceSpan is about how long a paced source's backlog is spread
	// over: as many publishes as broadcast intervals fit in it (10 at the
	// default 100 ms; a broadcast interval of a second or more paces
	// nothing).
	paceSpan = time.Second
	// burstSpans is how many paceSpans a burst is spread over.
	burstSpans = 2
)

// pacer is the store's per-source pacing state.
type pacer struct {
	spread int            // publishes a backlog is spread over; 1: no pacing
	quota  map[string]int // per paced source: series per publish
	// waiting are, per paced source, its series left for a later publish,
	// oldest first: still dirty (markDirty leaves them where they are),
	// off st.dirty, so that a publish looks only at what became dirty
	// since the last one and at the heads of these queues, never at the
	// whole backlog (100,000 series of 10 sources made two passes over
	// it a tick cost more than the delta).
	waiting  map[string][]*series
	nWaiting int
	take     map[string]int // scratch: per source, what this publish takes; -1 for all
	taken    []*series      // scratch: the next st.dirty
	// recent is, per source, about how many of its series became dirty
	// in the last paceSpan (each count fading linearly over it), as of
	// recentMs: a source that brings that many every paceSpan steadily
	// is given them each publish, so that pacing spreads bursts (a poll
	// of thousands every few seconds), not a steady flow, which it would
	// only delay.
	recent   map[string]float64
	recentMs int64
	// bursting are the sources whose last new series came as a burst:
	// more than their flow's share of one publish.
	bursting map[string]bool
}

// fade ages the recent counts to nowMs.
func (p *pacer) fade(nowMs int64) {
	keep := 1 - float64(nowMs-p.recentMs)/float64(paceSpan.Milliseconds())
	p.recentMs = nowMs
	for src, r := range p.recent {
		if r *= keep; r < 1 {
			delete(p.recent, src)
		} else {
			p.recent[src] = r
		}
	}
}

// pace leaves on st.dirty the series this publish takes, the waiting
// ones of each source first, and queues the rest on pacer.waiting. It
// returns how many it takes: all of st.dirty. Evicted series are taken
// (collect drops them). Must hold the store's write lock; runs before
// settle, which feeds only the taken.
func (st *store) pace(nowMs int64) int {
	p := &st.pacer
	if p.spread <= 1 || len(st.dirty) <= paceFloor && p.nWaiting == 0 {
		return len(st.dirty)
	}
	if p.take == nil {
		p.take, p.quota, p.waiting, p.recent = map[string]int{}, map[string]int{}, map[string][]*series{}, map[string]float64{}
		p.bursting = map[string]bool{}
	}
	p.fade(nowMs)
	clear(p.take)
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
				p.take[run] += n
			}
			run, n = s.source, 0
		}
		n++
	}
	if n > 0 {
		p.take[run] += n
	}
	for src, n := range p.take {
		// More new series than its flow's share: a burst (one poll of a
		// wide target), spread over burstSpans rather than let through
		// as a flow.
		if float64(n) > p.flowShare(src) {
			p.bursting[src] = true
		} else {
			delete(p.bursting, src)
		}
		p.recent[src] += float64(n)
	}
	for src, w := range p.waiting {
		p.take[src] += len(w)
	}
	for src := range p.quota {
		if _, dirty := p.take[src]; !dirty {
			delete(p.quota, src) // drained, and nothing new since
			delete(p.bursting, src)
		}
	}
	paced := false
	for src, n := range p.take {
		q := max(paceFloor, p.quota[src])
		if n <= q {
			delete(p.quota, src)
			p.take[src] = -1
			continue
		}
		if p.bursting[src] {
			bs := burstSpans * p.spread
			q = max(q, (n+bs-1)/bs)
		} else {
			// recent, faded, is below a steady flow's true count: half
			// again as much lets the flow through within a second or two.
			q = max(q, (n+p.spread-1)/p.spread, int(p.flowShare(src)))
		}
		p.quota[src], p.take[src] = q, q
		paced = true
	}
	if !paced && p.nWaiting == 0 {
		return len(st.dirty)
	}
	taken := p.taken[:0]
	for src, w := range p.waiting {
		t := p.take[src]
		if t < 0 || t >= len(w) {
			taken = append(taken, w...)
			if t > 0 {
				p.take[src] = t - len(w)
			}
			clear(w)
			delete(p.waiting, src)
			continue
		}
		taken = append(taken, w[:t]...)
		rest := copy(w, w[t:])
		clear(w[rest:])
		p.waiting[src], p.take[src] = w[:rest], 0
	}
	run, t := "", 0 // what run's source may still take
	started := false
	for _, s := range st.dirty {
		if s.evicted {
			taken = append(taken, s)
			continue
		}
		if !started || s.source != run {
			if started {
				p.take[run] = t
			}
			run, t, started = s.source, p.take[s.source], true
		}
		switch {
		case t < 0:
			taken = append(taken, s)
		case t > 0:
			t--
			taken = append(taken, s)
		default:
			p.waiting[s.source] = append(p.waiting[s.source], s)
		}
	}
	p.nWaiting = 0
	for _, w := range p.waiting {
		p.nWaiting += len(w)
	}
	clear(st.dirty)
	p.taken, st.dirty = st.dirty[:0], taken
	st.stats.paced.Add(uint64(p.nWaiting))
	return len(st.dirty)
}

// flowShare is what a source brings a publish as a steady flow: one and a
// half spread-ths of the series it brought in the last paceSpan (recent,
// faded, is below a steady flow's true count).
func (p *pacer) flowShare(src string) float64 {
	return 1.5 * p.recent[src] / float64(p.spread)
}

// backlog says whether series wait for a later publish.
func (p *pacer) backlog() bool { return p.nWaiting > 0 }

// forgetSource drops what waits of a source that left (its series are
// evicted: collect would drop them anyway).
func (p *pacer) forgetSource(source string) {
	p.nWaiting -= len(p.waiting[source])
	delete(p.waiting, source)
	delete(p.quota, source)
	delete(p.bursting, source)
}

// leaveDeferred clears st.dirty after collect took its first k series,
// keeping the rest. Must hold the write lock.
func (st *store) leaveDeferred(k int) {
	n := copy(st.dirty, st.dirty[k:])
	clear(st.dirty[n:])
	st.dirty = st.dirty[:n]
}
