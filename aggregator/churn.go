package aggregator

// Series churn. A target that makes new series without end (a label value
// per request) fills max_series_per_source in a few scrapes; if every
// later new series were refused, the source would show only stale series
// until the history's horizon evicted them. Instead, at a cap a new series
// takes the place of one of its own source's stale series (not shown by
// the source since before this batch), the longest stale first, as a
// sweep would evict it later: forgotten, announced in the next delta's
// "removed", counted (pulseboard_series_replaced_total) and named in the
// source's last_warning. Only a source with no such series left has its
// new series refused (series_limit, memory_limit).
//
// Only a source's own stale series are taken: one source's churn never
// evicts another's, say a target that is down for a minute. A series the
// batch shows is never taken, even one whose sample was refused: new
// series wait until the batch's known ones are stored (store.ingest), and
// a stale series the batch shows moves to the back of the order. A series
// that went stale in this very batch is not taken either (staleMissing
// runs last), so a target that flaps between two label sets keeps the
// history of both: the set it does not show is stale only from the end of
// the batch that left it out, and is back live in the next.
//
// With Storage, a replaced series keeps its stored history, as an evicted
// one does (retire): range reads still answer for it.

// staleOrder is one source's stale series, the longest stale first (so the
// least recently seen first): a list threaded through the series
// (staleNext, stalePrev), so that marking, unmarking and taking the
// oldest cost O(1) whatever the source holds.
type staleOrder struct{ head, tail *series }

// staleLink puts s, which must be stale and in no order, at the back of
// its source's order.
func (st *store) staleLink(s *series) {
	o := st.staleBySrc[s.source]
	if o == nil {
		if st.staleBySrc == nil {
			st.staleBySrc = make(map[string]*staleOrder)
		}
		o = &staleOrder{}
		st.staleBySrc[s.source] = o
	}
	s.stalePrev, s.staleNext = o.tail, nil
	if o.tail != nil {
		o.tail.staleNext = s
	} else {
		o.head = s
	}
	o.tail = s
}

// staleUnlink takes s out of its source's order; an emptied order leaves
// the map.
func (st *store) staleUnlink(s *series) {
	o := st.staleBySrc[s.source]
	if o == nil {
		return
	}
	if s.stalePrev != nil {
		s.stalePrev.staleNext = s.staleNext
	} else if o.head == s {
		o.head = s.staleNext
	}
	if s.staleNext != nil {
		s.staleNext.stalePrev = s.stalePrev
	} else if o.tail == s {
		o.tail = s.stalePrev
	}
	s.staleNext, s.stalePrev = nil, nil
	if o.head == nil {
		delete(st.staleBySrc, s.source)
	}
}

// staleSeen moves a stale series the current batch shows to the back of
// its source's order: it is the most recently seen now, and replaceable
// stops at it.
func (st *store) staleSeen(s *series) {
	st.staleUnlink(s)
	st.staleLink(s)
}

// replaceable returns the series of source a new series may take the
// place of in batch number batch: its longest stale series, if the batch
// does not show it; nil if there is none.
func (st *store) replaceable(source string, batch uint64) *series {
	o := st.staleBySrc[source]
	if o == nil || o.head.seenBatch == batch {
		return nil
	}
	return o.head
}

// replace evicts s to make room for a new series of its source: as a
// sweep eviction (forget), but counted as a replacement.
func (st *store) replace(s *series) {
	st.forget(s)
	st.unlistAll(s)
	st.stats.replaced.Add(1)
}

// unlistAll takes s out of st.all in O(1): the last series takes its
// place, misplaced there until the next sorted.
func (st *store) unlistAll(s *series) {
	last := st.all[len(st.all)-1]
	st.all[s.allPos] = last
	last.allPos = s.allPos
	st.all[len(st.all)-1] = nil
	st.all = st.all[:len(st.all)-1]
	if last != s {
		st.misplace(last)
	}
}

// renumberAll sets every series' allPos after st.all was rebuilt or
// reordered.
func (st *store) renumberAll() {
	for i, s := range st.all {
		s.allPos = i
	}
}
