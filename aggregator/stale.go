package aggregator

// Staleness, as Prometheus has it: a series that its source no longer
// shows is stale at once, not when its history runs out. The store keeps
// each source's series in a list (bySrc) so that marking them costs what
// the source has, not what the store has.

// staleMissing marks stale the series of source that were not in the
// complete batch numbered gen, but those exempt (Sample.NoStaleness).
func (st *store) staleMissing(source string, gen uint64, nowMs int64) {
	for _, s := range st.bySrc[source] {
		if s.seenGen != gen && !s.stale && !s.noStale {
			st.markStale(s, nowMs)
		}
	}
}

// staleAll marks stale every series of source, but those exempt
// (Sample.NoStaleness): its poll failed. Prometheus writes the stale
// markers of a failed scrape for the series it tracks, and it does not
// track those that carry their own timestamps.
func (st *store) staleAll(source string, nowMs int64) {
	for _, s := range st.bySrc[source] {
		if !s.stale && !s.noStale {
			st.markStale(s, nowMs)
		}
	}
}

func (st *store) markStale(s *series, nowMs int64) {
	s.stale, s.staleSinceMs = true, nowMs
	st.staleLink(s)
	st.staleChanged(s)
}

func (st *store) markLive(s *series) {
	s.stale, s.staleSinceMs = false, 0
	st.staleUnlink(s)
	st.staleChanged(s)
}

// staleChanged puts s in the next delta's "stale".
func (st *store) staleChanged(s *series) {
	s.staleChanged = true
	st.markDirty(s)
}

// unlistSource takes s out of its source's list.
func (st *store) unlistSource(s *series) {
	unlist(st.bySrc, s.source, s, func(x *series) *int { return &x.srcPos })
}

// unlist takes s out of index[key], in O(1): the last series of the list
// takes its place, and pos says where each series keeps its place in that
// list. An emptied list leaves the index.
func unlist(index map[string][]*series, key string, s *series, pos func(*series) *int) {
	list := index[key]
	last := list[len(list)-1]
	at := *pos(s)
	list[at] = last
	*pos(last) = at
	list[len(list)-1] = nil
	if list = list[:len(list)-1]; len(list) == 0 {
		delete(index, key)
		return
	}
	index[key] = list
}
