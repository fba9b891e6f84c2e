package aggregator

import (
	"slices"
	"strconv"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// delta is what changed between two published seqs, kept in structured form
// so that several can be merged for a slow subscriber. Window statistics,
// source infos and added series are not copied: they are read from the
// store when encoding, which always happens while the store is in the state
// of the delta's seq (at publish time, under the store lock).
type delta struct {
	seq, from uint64
	ts        int64

	ptsKeys []uint64 // series keys with new points
	ptsOff  []int32  // ptsKeys[i]'s points are pts[ptsOff[i]:ptsOff[i+1]]
	pts     []point
	winKeys []uint64 // series keys whose windows changed
	// staleKeys are announced series whose staleness changed; their state
	// is read from the store when encoding.
	staleKeys []uint64
	sources   []string // names of changed sources
	// sourcesRemoved names the sources that left the configuration.
	sourcesRemoved []string
	added          []uint64         // series keys created
	removed        []string         // series ids evicted
	tree           []byte           // the supervision tree, encoded, when it changed
	events         [][]byte         // announced events, encoded, in order
	alerts         []protocol.Alert // alerts that changed, one per ID

	data    []byte // the encoded frame
	encoded bool   // data is set: false while nobody subscribed (publishLocked)
	// entry is the delta's place in the broker's log, set when it is
	// published: a resume inside the retained deltas reads from there.
	entry *logEntry
}

func (d *delta) empty() bool {
	return len(d.ptsKeys) == 0 && len(d.winKeys) == 0 && len(d.staleKeys) == 0 && len(d.sources) == 0 &&
		len(d.added) == 0 && len(d.removed) == 0 && d.tree == nil && len(d.events) == 0 &&
		len(d.sourcesRemoved) == 0 && len(d.alerts) == 0
}

// size is the delta's approximate memory footprint, for the retention bound.
func (d *delta) size() int {
	return len(d.data) + 16*len(d.pts) + 12*len(d.ptsKeys) + 8*(len(d.winKeys)+len(d.staleKeys)+len(d.added)) +
		16*(len(d.sources)+len(d.removed)+len(d.sourcesRemoved)) + len(d.tree) + 64*len(d.events) + 256*len(d.alerts) + 128
}

// collect moves the pending changes of the first taken series of
// st.dirty into d and marks them published; pace left the others on the
// list, and a new series among them waits on st.added too. Must hold the
// store's write lock.
func (st *store) collect(d *delta, taken int) {
	// Sized at once: grown by appending, the lists of a delta of
	// thousands of series were a fifth of a tick's cost.
	npts, nwin := 0, 0
	for _, s := range st.dirty[:taken] {
		npts += len(s.pending)
		if s.winDirty {
			nwin++
		}
	}
	d.ptsKeys = slices.Grow(d.ptsKeys, taken)
	d.ptsOff = slices.Grow(d.ptsOff, taken+1)
	d.pts = slices.Grow(d.pts, npts)
	d.winKeys = slices.Grow(d.winKeys, nwin)
	for _, s := range st.dirty[:taken] {
		s.dirty = false
		if s.evicted {
			continue
		}
		if len(s.pending) > 0 {
			s.published, s.hasPub = s.pending[len(s.pending)-1], true
		}
		// A series not yet announced goes whole into "added" below.
		if s.announced {
			if len(s.pending) > 0 {
				d.ptsKeys = append(d.ptsKeys, s.key)
				d.ptsOff = append(d.ptsOff, int32(len(d.pts)))
				d.pts = append(d.pts, s.pending...)
			}
			if s.winDirty {
				d.winKeys = append(d.winKeys, s.key)
			}
			if s.staleChanged {
				d.staleKeys = append(d.staleKeys, s.key)
			}
		}
		s.pending = s.pending[:0]
		s.winDirty, s.staleChanged = false, false
	}
	d.ptsOff = append(d.ptsOff, int32(len(d.pts)))
	waiting := st.added[:0] // new series pace left: still dirty
	for _, s := range st.added {
		switch {
		case s.evicted:
		case s.dirty:
			waiting = append(waiting, s)
		default:
			d.added = append(d.added, s.key)
			s.announced = true
		}
	}
	clear(st.added[len(waiting):])
	st.added = waiting
	d.removed = append(d.removed, st.removed...)
	st.leaveDeferred(taken)
	st.removed = st.removed[:0]
}

// encoder holds what encoding needs besides the store.
type encoder struct {
	st      *store
	names   []string // window names
	sources []SourceInfo
	fromMs  int64 // history cut-off for points in series objects
}

func (e *encoder) source(name string) *SourceInfo {
	for i := range e.sources {
		if e.sources[i].Name == name {
			return &e.sources[i]
		}
	}
	return nil
}

// encodeDelta writes d as a frame into b.
func (e *encoder) encodeDelta(b []byte, d *delta) []byte {
	b = append(b, `{"type":"delta","seq":`...)
	b = strconv.AppendUint(b, d.seq, 10)
	if d.from != d.seq {
		b = append(b, `,"from":`...)
		b = strconv.AppendUint(b, d.from, 10)
	}
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, d.ts, 10)
	b = append(b, `,"points":{`...)
	for i, k := range d.ptsKeys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = appendID(b, k)
		b = append(b, `":[`...)
		for j, p := range d.pts[d.ptsOff[i]:d.ptsOff[i+1]] {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendPoint(b, p)
		}
		b = append(b, ']')
	}
	b = append(b, `},"windows":{`...)
	n := 0
	for _, k := range d.winKeys {
		s := e.st.byKey[k]
		if s == nil {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, '"')
		b = append(b, s.id...)
		b = append(b, `":`...)
		b = appendWindows(b, s, e.names)
	}
	b = append(b, '}')
	n = 0
	for _, k := range d.staleKeys {
		s := e.st.byKey[k]
		if s == nil {
			continue
		}
		if n == 0 {
			b = append(b, `,"stale":{`...)
		} else {
			b = append(b, ',')
		}
		n++
		b = append(b, '"')
		b = append(b, s.id...)
		b = append(b, `":`...)
		_, since := s.isStale()
		b = strconv.AppendInt(b, since, 10)
	}
	if n > 0 {
		b = append(b, '}')
	}
	b = append(b, `,"sources":[`...)
	n = 0
	for _, name := range d.sources {
		si := e.source(name)
		if si == nil {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendSourceInfo(b, si)
	}
	b = append(b, `],"added":[`...)
	n = 0
	for _, k := range d.added {
		s := e.st.byKey[k]
		if s == nil {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendSeries(b, s, e.names, true, e.fromMs)
	}
	b = append(b, `],"removed":[`...)
	for i, id := range d.removed {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, id...)
		b = append(b, '"')
	}
	b = append(b, ']')
	if len(d.sourcesRemoved) > 0 {
		b = append(b, `,"sources_removed":`...)
		b = appendStrings(b, d.sourcesRemoved)
	}
	b = appendExtras(b, d.tree, d.events)
	b = appendAlerts(b, d.alerts)
	return append(b, '}')
}

// mergeDeltas folds consecutive deltas into one carrying from = the first
// one's from. A series added inside the run is sent whole in "added" (its
// object holds every point published so far), so its points and windows
// are not repeated; clients apply removed, then added, then points.
func mergeDeltas(ds []*delta) *delta {
	last := ds[len(ds)-1]
	m := &delta{seq: last.seq, from: ds[0].from, ts: last.ts}
	addedSet := make(map[uint64]bool)
	for _, d := range ds {
		for _, id := range d.removed {
			if k, ok := parseID(id); ok && addedSet[k] {
				// Added and gone within the run: the client never needs it.
				delete(addedSet, k)
				m.added = slices.DeleteFunc(m.added, func(x uint64) bool { return x == k })
			}
			if !slices.Contains(m.removed, id) {
				m.removed = append(m.removed, id)
			}
		}
		for _, k := range d.added {
			if !addedSet[k] {
				addedSet[k] = true
				m.added = append(m.added, k)
			}
		}
		for _, name := range d.sources {
			if !slices.Contains(m.sources, name) {
				m.sources = append(m.sources, name)
			}
		}
		for _, name := range d.sourcesRemoved {
			if !slices.Contains(m.sourcesRemoved, name) {
				m.sourcesRemoved = append(m.sourcesRemoved, name)
			}
		}
		if d.tree != nil {
			m.tree = d.tree // the latest tree wins
		}
		m.events = append(m.events, d.events...)
	}
	m.alerts = mergeAlerts(ds)
	// A series removed inside the run (and not added back) takes its
	// points and windows with it: clients apply "removed" first.
	gone := make(map[uint64]bool, len(m.removed))
	for _, id := range m.removed {
		if k, ok := parseID(id); ok && !addedSet[k] {
			gone[k] = true
		}
	}
	// Points: concatenated per series in seq order; windows: once per series.
	ptsIdx := make(map[uint64]int)
	var perKey [][]point
	winSeen := make(map[uint64]bool)
	staleSeen := make(map[uint64]bool)
	for _, d := range ds {
		for i, k := range d.ptsKeys {
			if addedSet[k] || gone[k] {
				continue
			}
			j, ok := ptsIdx[k]
			if !ok {
				j = len(perKey)
				ptsIdx[k] = j
				perKey = append(perKey, nil)
				m.ptsKeys = append(m.ptsKeys, k)
			}
			perKey[j] = append(perKey[j], d.pts[d.ptsOff[i]:d.ptsOff[i+1]]...)
		}
		for _, k := range d.winKeys {
			if !addedSet[k] && !gone[k] && !winSeen[k] {
				winSeen[k] = true
				m.winKeys = append(m.winKeys, k)
			}
		}
		for _, k := range d.staleKeys {
			if !addedSet[k] && !gone[k] && !staleSeen[k] {
				staleSeen[k] = true
				m.staleKeys = append(m.staleKeys, k)
			}
		}
	}
	for _, ps := range perKey {
		m.ptsOff = append(m.ptsOff, int32(len(m.pts)))
		m.pts = append(m.pts, ps...)
	}
	m.ptsOff = append(m.ptsOff, int32(len(m.pts)))
	return m
}
