package aggregator

import (
	"cmp"
	"math"
	"slices"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// walkStored is WalkRaw reaching past memory into the stored raw tier.
//
// How it works: the series are those memory holds and those Storage has
// a meta of (it lists them at every call: a call stays stateless, and a
// series that left memory meanwhile is found on disk), in the order of
// their ids. Of each, under the read lock, the points memory holds from
// the cursor on are copied with memFrom, the time of memory's oldest
// point; then, outside the lock, the stored raw blocks give the points
// before memFrom. Memory drops whole chunks, oldest first, once they are
// written, so the points before memFrom are on disk and those from it in
// the copy: none is given twice, none is lost between the two. A
// series' points come oldest first, stored before memory's, so the
// cursor's (series, time) resumes inside either part.
//
// A meta that does not decode, or a series whose blocks do not read, is
// skipped and logged: the walk goes on with the next series.
func (a *Aggregator) walkStored(sinceMs int64, from RawCursor, maxPoints int, keep func(string) bool, fn func(RawSeries, []RawPoint)) (next RawCursor, done bool) {
	ids := a.walkSeries(from.Key, keep)
	keys := slices.Sorted(func(yield func(uint64) bool) {
		for k := range ids {
			if !yield(k) {
				return
			}
		}
	})
	budget := max(maxPoints, 1)
	next, done = from, true
	for _, key := range keys {
		if budget == 0 {
			return next, false
		}
		lo := sinceMs
		if key == from.Key {
			lo = max(lo, from.AfterMs+1)
		}
		id := ids[key]
		memFrom, mem := a.memorySince(key, lo, budget, &id)
		pts, full := a.storedSince(key, lo, memFrom, budget)
		take := min(len(mem), budget-len(pts))
		full = full || take < len(mem)
		pts = append(pts, mem[:take]...)
		budget -= len(pts)
		if len(pts) > 0 {
			fn(id, pts)
			next = RawCursor{Key: key, AfterMs: pts[len(pts)-1].TimeMs}
		}
		if full {
			return next, false
		}
	}
	return next, done
}

// walkSeries lists the series a walk from key on may give: memory's and
// Storage's, by id, with the identity each has.
func (a *Aggregator) walkSeries(from uint64, keep func(string) bool) map[uint64]RawSeries {
	ids := map[uint64]RawSeries{}
	a.mu.RLock()
	for _, s := range a.st.all {
		if s.key >= from && keep(s.source) {
			ids[s.key] = RawSeries{s.source, s.metric, s.labels, s.kind}
		}
	}
	a.mu.RUnlock()
	metas, err := a.opts.Storage.Series()
	if err != nil {
		a.opts.Logger.Warn("aggregator: walking stored history: listing series failed; memory only", "err", err)
		return ids
	}
	for _, m := range metas {
		if _, ok := ids[m.Key]; ok || m.Key < from {
			continue
		}
		id, err := decodeSeriesMeta(m.Meta)
		if err != nil {
			a.opts.Logger.Warn("aggregator: walking stored history: a stored series does not decode; skipped", "key", formatID(m.Key))
			continue
		}
		if keep(id.Source) {
			ids[m.Key] = RawSeries(id)
		}
	}
	return ids
}

// memorySince copies, under the read lock, at most budget+1 of the
// points memory holds of series key from lo on (one more than fits says
// that the walk is not done), and memFrom, the time of its
// oldest point (math.MaxInt64 when memory holds none). A series memory
// holds under key gives its identity to *id.
func (a *Aggregator) memorySince(key uint64, lo int64, budget int, id *RawSeries) (memFrom int64, pts []RawPoint) {
	memFrom = math.MaxInt64
	a.mu.RLock()
	defer a.mu.RUnlock()
	s := a.st.byKey[key]
	if s == nil || s.hist.head == nil {
		return memFrom, nil
	}
	*id = RawSeries{s.source, s.metric, s.labels, s.kind}
	memFrom = s.hist.head.firstT
	s.hist.each(s.hist.len(), func(p point) {
		if p.t >= lo && len(pts) <= budget {
			pts = append(pts, RawPoint{TimeMs: p.t, Value: p.v})
		}
	})
	return memFrom, pts
}

// storedSince reads at most budget of the series' stored raw points in
// [lo, memFrom); full is true when more were left.
func (a *Aggregator) storedSince(key uint64, lo, memFrom int64, budget int) (pts []RawPoint, full bool) {
	if lo >= memFrom {
		return nil, false
	}
	var bad error
	err := a.opts.Storage.Blocks(storage.Raw, key, lo, memFrom-1, func(b storage.Block) bool {
		got, err := decodeRawBlock(b.Data, b.Start)
		if err != nil {
			bad = err
			return true
		}
		for _, p := range got {
			if p.t < lo || p.t >= memFrom || (len(pts) > 0 && p.t <= pts[len(pts)-1].TimeMs) {
				continue
			}
			if len(pts) == budget {
				full = true
				return false
			}
			pts = append(pts, RawPoint{TimeMs: p.t, Value: p.v})
		}
		return true
	})
	if err = cmp.Or(err, bad); err != nil {
		a.opts.Logger.Warn("aggregator: walking stored history: a series' raw blocks do not read; skipped", "series", formatID(key), "err", err)
	}
	return pts, full
}
