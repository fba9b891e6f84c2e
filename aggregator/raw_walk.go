package aggregator

import (
	"cmp"
	"slices"
)

// RawSeries is a series' identity, as WalkRaw gives it with its points.
// Labels are the store's own: read them, never change them.
type RawSeries struct {
	Source string
	Metric string
	Labels Labels
	Kind   Kind
}

// RawPoint is one raw sample of a series' history.
type RawPoint struct {
	TimeMs int64
	Value  float64
}

// RawCursor is where a WalkRaw stopped: the series with keys below Key
// were given whole, and of the series Key its points up to AfterMs. The
// zero value starts at the first series. It is plain data, so that a
// caller can carry it anywhere (a peer's request, say) and resume later,
// series created or gone in between notwithstanding.
type RawCursor struct {
	Key     uint64
	AfterMs int64
}

// WalkRaw gives fn the raw points of each series whose source keep
// accepts (nil: every series) from sinceMs (Unix ms) on: those memory
// holds (about History back) and, with Storage and a sinceMs older than
// that, the stored raw tier's before them (walkStored), series after series in the order of their ids,
// oldest point first, at most maxPoints points in all (at least one).
// It returns the cursor to resume from and done when nothing is left
// after it. fn is called after the aggregator's lock is released, with
// slices it may keep; a series is given in pieces when the budget ends
// inside it (the next call resumes after its last point given).
//
// A series created between two calls with an id below the cursor is not
// given (its points are newer than the walk's start, which its live
// samples carry); one that went away is skipped. Safe from any goroutine
// (the cluster's backfill responders call it); the read lock is held while
// the points are copied, which costs maxPoints plus the series count in
// time.
func (a *Aggregator) WalkRaw(sinceMs int64, from RawCursor, maxPoints int, keep func(source string) bool, fn func(RawSeries, []RawPoint)) (next RawCursor, done bool) {
	if keep == nil {
		keep = func(string) bool { return true }
	}
	if a.opts.Storage != nil && sinceMs < a.nowMs()-a.opts.History.Milliseconds() {
		return a.walkStored(sinceMs, from, maxPoints, keep, fn)
	}
	type piece struct {
		s   RawSeries
		pts []RawPoint
	}
	var out []piece
	budget := max(maxPoints, 1)
	next, done = from, true
	a.mu.RLock()
	todo := make([]*series, 0, len(a.st.all))
	for _, s := range a.st.all {
		if s.key >= from.Key && keep(s.source) {
			todo = append(todo, s)
		}
	}
	slices.SortFunc(todo, func(x, y *series) int { return cmp.Compare(x.key, y.key) })
	for _, s := range todo {
		if budget == 0 {
			done = false
			break
		}
		after := int64(-1 << 63)
		if s.key == from.Key {
			after = from.AfterMs
		}
		var pts []RawPoint
		full := false
		s.hist.each(s.hist.len(), func(p point) {
			if full || p.t < sinceMs || p.t <= after {
				return
			}
			if len(pts) == budget {
				full = true
				return
			}
			pts = append(pts, RawPoint{TimeMs: p.t, Value: p.v})
		})
		budget -= len(pts)
		if len(pts) > 0 {
			out = append(out, piece{RawSeries{s.source, s.metric, s.labels, s.kind}, pts})
			next = RawCursor{Key: s.key, AfterMs: pts[len(pts)-1].TimeMs}
		}
		if full {
			done = false
			break
		}
	}
	a.mu.RUnlock()
	for _, p := range out {
		fn(p.s, p.pts)
	}
	return next, done
}
