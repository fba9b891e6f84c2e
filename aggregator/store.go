package aggregator

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// series is one (source, metric, labels) with its history and windows.
type series struct {
	key    uint64 // id as a number; unique in the store
	id     string // formatID(key)
	hash   uint64 // identityHash; key differs only after a collision
	source string
	metric string
	labels Labels
	kind   Kind

	hist history
	wins []window

	last       point // newest sample
	lastSeenMs int64 // store clock when the newest sample arrived

	// pending holds the points not yet published in a delta; published is
	// the newest point that was.
	pending   []point
	published point
	hasPub    bool
	announced bool // has appeared in a published delta or was present at seq 0
	dirty     bool // is on store.dirty
	winDirty  bool // windows changed since the last delta

	collision *series // next series with the same hash
	evicted   bool
}

// store holds every series. It is not safe for concurrent use: the
// Aggregator guards it with its mutex.
type store struct {
	opts     Options
	byHash   map[uint64]*series
	byKey    map[uint64]*series
	all      []*series // sorted by identity when !unsorted
	unsorted bool
	perSrc   map[string]int

	dirty   []*series // series with pending points or changed windows
	added   []*series // created since the last delta
	removed []string  // ids evicted since the last delta

	stats *counters
	// sweepIdleMs: sweep leaves out series with a sample this recent.
	sweepIdleMs int64
}

func newStore(o Options, c *counters) *store {
	return &store{
		opts:   o,
		byHash: make(map[uint64]*series),
		byKey:  make(map[uint64]*series),
		perSrc: make(map[string]int),
		stats:  c,
	}
}

// ingest stores one batch. nowMs is the store clock.
func (st *store) ingest(b Batch, nowMs int64) {
	var ingested, invalid, refused, ooo uint64
	// A sample stamped further ahead than the whole history is a broken
	// clock: stored, it would hold the series' windows and its out-of-order
	// check hostage until that time.
	future := nowMs + st.opts.History.Milliseconds()
	for i := range b.Samples {
		smp := &b.Samples[i]
		if math.IsNaN(smp.Value) || math.IsInf(smp.Value, 0) || smp.TimeMs > future {
			invalid++
			continue
		}
		s := st.lookup(b.Source, smp)
		if s == nil {
			if s = st.create(b.Source, smp); s == nil {
				refused++
				continue
			}
		}
		if s.hist.len() > 0 && smp.TimeMs < s.last.t {
			ooo++
			continue
		}
		st.append(s, smp.TimeMs, smp.Value, nowMs)
		ingested++
	}
	st.stats.ingested.Add(ingested)
	st.stats.invalid.Add(invalid)
	st.stats.refused.Add(refused)
	st.stats.outOfOrder.Add(ooo)
}

func (st *store) lookup(source string, smp *Sample) *series {
	for s := st.byHash[identityHash(source, smp.Metric, smp.Labels)]; s != nil; s = s.collision {
		if s.sameIdentity(source, smp.Metric, smp.Labels) {
			return s
		}
	}
	return nil
}

// create makes a new series, or returns nil when a cap refuses it.
func (st *store) create(source string, smp *Sample) *series {
	if len(st.byKey) >= st.opts.MaxSeries || st.perSrc[source] >= st.opts.MaxSeriesPerSource {
		return nil
	}
	h := identityHash(source, smp.Metric, smp.Labels)
	key := h
	for st.byKey[key] != nil { // collision: take the next free id
		key++
	}
	s := &series{
		key: key, id: formatID(key), hash: h,
		source: source, metric: smp.Metric,
		labels: slices.Clone(smp.Labels), kind: smp.Kind,
	}
	s.hist.maxSpanMs = st.opts.History.Milliseconds() / 4
	s.wins = make([]window, len(st.opts.Windows))
	nb := st.opts.SubBuckets
	rings := make([]minMax, nb*len(st.opts.Windows)) // one allocation for all
	for i, w := range st.opts.Windows {
		s.wins[i] = newWindow(w.Milliseconds(), nb, s.hist.cursor(), rings[i*nb:(i+1)*nb:(i+1)*nb])
	}
	s.collision = st.byHash[h]
	st.byHash[h] = s
	st.byKey[key] = s
	st.perSrc[source]++
	st.all = append(st.all, s)
	st.unsorted = true
	st.added = append(st.added, s)
	return s
}

func (st *store) append(s *series, t int64, v float64, nowMs int64) {
	var inc float64
	if s.hist.len() > 0 {
		inc = increase(s.kind, s.last.v, v)
	}
	s.hist.append(t, v)
	for i := range s.wins {
		s.wins[i].add(t, v, inc, s.kind)
	}
	s.last = point{t, v}
	s.lastSeenMs = nowMs
	s.pending = append(s.pending, point{t, v})
	s.winDirty = true
	st.markDirty(s)
}

func (st *store) markDirty(s *series) {
	if !s.dirty {
		s.dirty = true
		st.dirty = append(st.dirty, s)
	}
}

// sweep moves windows to nowMs, drops history older than the history
// span, and evicts the series that had no sample for longer than it.
//
// A series that had a sample within the last idleMs is left alone: its
// windows moved when that sample came and will move with the next one.
// Sweeping it too would put its windows in a delta twice a second (once
// for the expiry, once for the sample) and make every sweep tick carry the
// windows of the whole store. Its statistics lag by at most idleMs.
func (st *store) sweep(nowMs int64) {
	horizon := nowMs - st.opts.History.Milliseconds()
	kept := st.all[:0]
	for _, s := range st.all {
		if s.lastSeenMs < horizon {
			st.evict(s)
			continue
		}
		kept = append(kept, s)
		if nowMs-s.lastSeenMs < st.sweepIdleMs {
			s.hist.dropBefore(horizon)
			continue
		}
		changed := false
		for i := range s.wins {
			if s.wins[i].advance(nowMs, s.kind) {
				changed = true
			}
		}
		if changed {
			s.winDirty = true
			st.markDirty(s)
		}
		s.hist.dropBefore(horizon)
	}
	clear(st.all[len(kept):])
	st.all = kept
}

// dropSource removes every series of source at once, announced as removed
// in the next delta like an eviction, but not counted as one.
func (st *store) dropSource(source string) {
	if st.perSrc[source] == 0 {
		return
	}
	kept := st.all[:0]
	for _, s := range st.all {
		if s.source == source {
			st.forget(s)
			continue
		}
		kept = append(kept, s)
	}
	clear(st.all[len(kept):])
	st.all = kept
}

// evict forgets a series that had no sample for longer than the history.
func (st *store) evict(s *series) {
	st.forget(s)
	st.stats.evicted.Add(1)
}

// forget removes s from the indexes and announces it as removed; the
// caller takes it out of st.all.
func (st *store) forget(s *series) {
	delete(st.byKey, s.key)
	if head := st.byHash[s.hash]; head == s {
		if s.collision != nil {
			st.byHash[s.hash] = s.collision
		} else {
			delete(st.byHash, s.hash)
		}
	} else {
		for p := head; p != nil; p = p.collision {
			if p.collision == s {
				p.collision = s.collision
				break
			}
		}
	}
	if st.perSrc[s.source]--; st.perSrc[s.source] <= 0 {
		delete(st.perSrc, s.source)
	}
	// added and dirty are filtered when the next delta is built.
	s.evicted = true
	if s.announced {
		st.removed = append(st.removed, s.id)
	}
}

// sorted returns every series ordered by source, metric and labels.
func (st *store) sorted() []*series {
	if st.unsorted {
		slices.SortFunc(st.all, compareSeries)
		st.unsorted = false
	}
	return st.all
}

func compareSeries(a, b *series) int {
	if c := strings.Compare(a.source, b.source); c != 0 {
		return c
	}
	if c := strings.Compare(a.metric, b.metric); c != 0 {
		return c
	}
	for i := 0; i < len(a.labels) && i < len(b.labels); i++ {
		if c := cmp.Or(strings.Compare(a.labels[i].Name, b.labels[i].Name),
			strings.Compare(a.labels[i].Value, b.labels[i].Value)); c != 0 {
			return c
		}
	}
	return cmp.Or(cmp.Compare(len(a.labels), len(b.labels)), cmp.Compare(a.key, b.key))
}

// historyBytes is the memory the histories hold.
func (st *store) historyBytes() int {
	n := 0
	for _, s := range st.all {
		n += s.hist.bytes()
	}
	return n
}
