package aggregator

import "weak"

// seriesLog remembers the latest series changes (each creation and
// removal, in order), so that a Selection that last looked at generation
// g reads only the changes since g instead of matching every series of
// its index again. A thousand regex alert rules over a source of 10,000
// series matched 20 million labels when one series came or went
// (BenchmarkSelectRegexRulesChurn: 2 s a round); caught up from the log,
// each matches the series that came.
//
// The log holds at most logMax changes; when it passes that it forgets
// the older half, and a Selection older than what is left lists its
// series anew, as before. It keeps nothing of a series alive (a source
// removed by a reload leaves nothing behind): a created series is held by
// a weak pointer, since a Selection wants it only while it is in the
// store, and a removal is only marked.
//
// The store's mutex guards it: written under the write lock (listMetric,
// unlistMetric), read under the read lock (Select).
type seriesLog struct {
	changes []seriesChange
}

// seriesChange is one series created (s, while it lives) or removed.
type seriesChange struct {
	s     weak.Pointer[series]
	added bool
}

// logMax bounds the changes the log keeps: 8,192 of 16 bytes.
const logMax = 8192

// record appends a change of s; the store's series generation has just
// been moved past it.
func (l *seriesLog) record(s *series, added bool) {
	c := seriesChange{added: added}
	if added {
		c.s = weak.Make(s)
	}
	if len(l.changes) >= logMax {
		keep := len(l.changes) / 2
		n := copy(l.changes, l.changes[len(l.changes)-keep:])
		clear(l.changes[n:])
		l.changes = l.changes[:n]
	}
	l.changes = append(l.changes, c)
}

// since returns the changes after generation gen, when the log still
// holds all of them; now is the store's generation. Every change moves
// the generation by one (listMetric, unlistMetric), so the last change is
// generation now's.
func (l *seriesLog) since(gen, now uint64) ([]seriesChange, bool) {
	if gen > now || now-gen > uint64(len(l.changes)) {
		return nil, false
	}
	return l.changes[uint64(len(l.changes))-(now-gen):], true
}
