package aggregator

import (
	"slices"
	"strconv"
)

// SnapshotJSON returns {"type":"snapshot",…} at the current seq: every
// source and every published series, with its history points unless
// points is false. Safe from any goroutine; the dashboard calls it on a
// new client's writer goroutine (shared by the clients of a second, see
// its snapshotCache) and on REST requests.
//
// It holds the store's read lock only to take the snapshot (see
// takeSnapshot), not to write its points: the publisher, which needs the
// write lock, waits for the one and not for the other. Written under the
// lock, a snapshot of a few hundred series with their 30 s of points held
// up every delta by 20–30 ms whenever a client connected on a busy
// machine (the soak's flight-recorder traces, docs/reliability.md).
func (a *Aggregator) SnapshotJSON(points bool) []byte {
	a.mu.RLock()
	snap := a.takeSnapshot(points)
	a.mu.RUnlock()
	if a.afterSnapshotUnlock != nil {
		a.afterSnapshotUnlock()
	}
	return snap.render()
}

// snapshotLocked is SnapshotJSON for a caller that holds the lock.
func (a *Aggregator) snapshotLocked(points bool) []byte {
	snap := a.takeSnapshot(points)
	return snap.render()
}

// takenSnapshot is a snapshot taken under the store's lock and rendered
// after it: what may change encoded (each series' last point, windows and
// staleness), each series' history frozen (frozenHistory), which costs a
// copy of the chunk headers and of the growing tail's bytes, not a
// decode. What cannot change is written by render: the series' identity
// (appendSeriesIdentity), whose labels are most of a wide target's bytes
// (9,000 series of 29 labels: 12 MB that every delta waited behind while
// a client connected), and the points.
type takenSnapshot struct {
	head []byte // the frame up to `"series":[`, then each series' state
	// seriesAt is where the first series' state starts in head.
	seriesAt int
	series   []takenSeries
	points   bool
	fromMs   int64
}

type takenSeries struct {
	s    *series // for its identity, which never changes
	end  int     // head[previous end:end] is this series' state
	hist history
	n    int // the history's points to write (the published ones)
}

// takeSnapshot takes a snapshot at the current seq. The caller holds the
// store's lock (read is enough).
func (a *Aggregator) takeSnapshot(points bool) *takenSnapshot {
	nowMs := a.nowMs()
	enc := a.encoder(nowMs)
	snap := &takenSnapshot{fromMs: enc.fromMs, points: points}
	b := make([]byte, 0, 256+len(a.st.all)*400)
	b = append(b, `{"type":"snapshot","seq":`...)
	b = strconv.AppendUint(b, a.seq, 10)
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, nowMs, 10)
	b = append(b, `,"sources":`...)
	b = appendSources(b, enc.sources)
	tree := a.tree
	if tree == nil {
		tree = a.treeJSON() // before the first tick
	}
	b = appendExtras(b, tree, nil)
	b = appendAlerts(b, a.publishedAlerts())
	b = a.events.appendTo(b, nowMs)
	b = append(b, `,"series":[`...)
	snap.seriesAt = len(b)
	for _, s := range a.st.all {
		if !s.announced || s.evicted {
			continue
		}
		b = appendSeriesState(b, s, a.names)
		ts := takenSeries{s: s, end: len(b)}
		if points {
			ts.hist, ts.n = s.hist.frozen(), s.hist.len()-len(s.pending)
		}
		snap.series = append(snap.series, ts)
	}
	snap.head = b
	return snap
}

// render writes the snapshot out; it needs no lock.
func (snap *takenSnapshot) render() []byte {
	if len(snap.series) == 0 {
		return append(snap.head, "]}"...)
	}
	b := make([]byte, 0, len(snap.head)+len(snap.series)*600+2)
	at := snap.seriesAt
	b = append(b, snap.head[:at]...)
	for i := range snap.series {
		ts := &snap.series[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendSeriesIdentity(b, ts.s)
		b = append(b, snap.head[at:ts.end]...)
		if snap.points {
			b = appendHistoryPoints(b, &ts.hist, ts.n, snap.fromMs)
		}
		b = append(b, '}')
		at = ts.end
	}
	return append(b, "]}"...)
}

// frozen returns a copy of h that the store's later appends and drops
// leave alone, to be read without the lock: new chunk headers, the sealed
// chunks' bytes shared (nothing writes them once sealed), the growing
// tail's copied. The caller holds the store's lock.
func (h *history) frozen() history {
	out := history{n: h.n}
	var prev *chunk
	for c := h.head; c != nil; c = c.next {
		cp := &chunk{w: c.w, n: c.n, firstT: c.firstT, lastT: c.lastT}
		if c == h.tail {
			cp.w.b = slices.Clone(c.w.b)
		}
		if prev == nil {
			out.head = cp
		} else {
			prev.next = cp
		}
		prev = cp
	}
	out.tail = prev
	return out
}
