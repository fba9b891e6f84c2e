package aggregator

// Memory follows the live series. A source of 10,000 series that a reload
// adds and then removes grows the store's indexes, the scrape's cache and
// the lists built over them to its size; Go gives none of that room back
// by itself (a map never shrinks, a slice resliced to [:0] keeps its
// array, and the pointers past its new length keep the removed series
// alive). These helpers rebuild what shrank to a small part of its peak.

// shrinkFloor is the size under which nothing is rebuilt: the room of a
// thousand entries is not worth a copy.
const shrinkFloor = 1024

// worthRebuilding reports whether a container that held peak entries and
// holds n now should be rebuilt: it is down to a quarter of its peak.
func worthRebuilding(n, peak int) bool {
	return peak >= shrinkFloor && n < peak/4
}

// rebuiltMap returns a copy of m sized for what it holds.
func rebuiltMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// refill returns s emptied, to be filled again with about n elements: the
// same array, cleared to its capacity so that no element left past the new
// length pins what it points to, unless that array is worth rebuilding
// for n, then a new one.
func refill[T any](s []T, n int) []T {
	if worthRebuilding(n, cap(s)) {
		return make([]T, 0, n)
	}
	clear(s[:cap(s)])
	return s[:0]
}

// dropFirst removes the first n elements of s, clearing the ones the
// shift leaves behind past the new length, and lets a large array go
// once little of it is used.
func dropFirst[T any](s []T, n int) []T {
	kept := len(s) - n
	copy(s, s[n:])
	clear(s[kept:])
	s = s[:kept]
	if worthRebuilding(kept, cap(s)) {
		s = append(make([]T, 0, kept), s...)
	}
	return s
}

// forgetDropped drops from the scrape's cache the series the store no
// longer holds, unless a scrape runs (that one drops them as it ends: it
// sees them evicted). Called by the tick that drops a reload's removed
// sources, with the store's write lock held, so that what the cache held
// of them is collectable when Options.Dropped is told, not only after the
// next scrape. TryLock keeps the lock order (c.mu before the store's).
func (c *promCollector) forgetDropped(st *store) {
	if !c.mu.TryLock() {
		return
	}
	defer c.mu.Unlock()
	for k := range c.series {
		if st.byKey[k] == nil {
			delete(c.series, k)
			c.dirty = true
		}
	}
	if !c.dirty {
		return
	}
	if worthRebuilding(len(c.series), c.peak) {
		c.series, c.peak = rebuiltMap(c.series), len(c.series)
	}
	c.rebuildOrder()
}
