package aggregator

// A window's min and max, exact and read in O(1), in a few dozen bytes
// for most series.
//
// The min of a window is at its first sample or at a sample lower than
// the one before it (a "valley"): any other sample is at least its
// predecessor, which is in the window whenever it is. So a window keeps
// its first sample's value (firstV) and, of the valleys, only those lower
// than every later valley, oldest first, each with its slice: a
// monotone wedge (Lemire's streaming min over the valleys), whose front
// is their min. A slice leaving takes its entries from the front. The
// max is the same over the "peaks", samples higher than the one before.
//
// A counter climbs: it makes peaks and no valleys, so each of its windows
// holds one peak and an empty min wedge; a random walk holds a handful of
// each. The worst case, an oscillation that narrows slice by slice, holds
// an entry per slice in each wedge (16 B each), twice the per-slice ring
// of min and max the wedges replaced, which cost 2.9 KB a series with
// three windows of 60 slices whatever the series did (BenchmarkStoreMemory;
// BENCHMARKS.md, "A series' memory").

// extent is one wedge entry: a valley's (or peak's) value and the slice
// (t/width) its sample is in.
type extent struct {
	v float64
	s int64
}

// wedge is a deque of extents, oldest first. Entries before lo are spent;
// push moves the live ones down when the array is full rather than grow
// it, so its capacity is the most it ever held at once.
type wedge struct {
	e  []extent
	lo int32
}

// front is the oldest live entry; ok is false when there is none.
func (q *wedge) front() (extent, bool) {
	if int(q.lo) == len(q.e) {
		return extent{}, false
	}
	return q.e[q.lo], true
}

// add adds valley v of slice s (a peak when peak is true), s no older than
// the newest entry's, in a window of nb slices. It drops the entries v
// makes useless (for a valley those at least v, for a peak those at most
// v: they leave no later than it does), and leaves v out when an entry of
// its own slice is at least as extreme: so the live entries are of
// distinct slices, nb at most.
func (q *wedge) add(v float64, s int64, nb int64, peak bool) {
	n := len(q.e)
	for ; n > int(q.lo); n-- {
		if e := q.e[n-1].v; peak && e > v || !peak && e < v {
			break // more extreme than v: kept
		}
	}
	q.e = q.e[:n]
	if n > int(q.lo) && q.e[n-1].s == s {
		return
	}
	q.push(v, s, nb)
}

// push appends an entry, moving the live ones down rather than growing
// the array while spent ones are before them, and growing it to nb
// entries at most (the most that can be live).
func (q *wedge) push(v float64, s int64, nb int64) {
	if len(q.e) == cap(q.e) {
		if q.lo > 0 {
			n := copy(q.e, q.e[q.lo:])
			q.e, q.lo = q.e[:n], 0
		} else {
			grown := make([]extent, len(q.e), min(max(2*cap(q.e), 2), int(nb)))
			copy(grown, q.e)
			q.e = grown
		}
	}
	q.e = append(q.e, extent{v, s})
}

// expire drops the entries of slices before first.
func (q *wedge) expire(first int64) {
	for int(q.lo) < len(q.e) && q.e[q.lo].s < first {
		q.lo++
	}
	if int(q.lo) == len(q.e) {
		q.e, q.lo = q.e[:0], 0
	}
}

// reset empties q, keeping its array.
func (q *wedge) reset() { q.e, q.lo = q.e[:0], 0 }

// extremes are the window's min and max (+Inf, -Inf when it is empty).
// It changes nothing, so readers under the store's read lock may call it
// side by side.
func (w *window) extremes() (lo, hi float64) {
	if w.count == 0 {
		return emptyMin, emptyMax
	}
	lo, hi = w.firstV, w.firstV
	if e, ok := w.valleys.front(); ok && e.v < lo {
		lo = e.v
	}
	if e, ok := w.peaks.front(); ok && e.v > hi {
		hi = e.v
	}
	return lo, hi
}

// addExtreme takes finite sample v of slice s, which follows the window's
// newest sample (w.last, before add updates it) when the window holds
// one; the first sample of a window is firstV, in no wedge.
func (w *window) addExtreme(v float64, s int64) {
	if w.count == 0 {
		return
	}
	switch {
	case v < w.last:
		w.valleys.add(v, s, w.nb, false)
	case v > w.last:
		w.peaks.add(v, s, w.nb, true)
	}
}
