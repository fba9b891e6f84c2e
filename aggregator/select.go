package aggregator

import (
	"math"
	"strconv"
	"time"
)

// Stat names one window statistic, for readers of the store that want one
// number per series (the alert evaluator).
type Stat uint8

// The statistics a window reports; see the package doc for their meaning.
const (
	StatLast Stat = iota
	StatMin
	StatMax
	StatMean
	StatRate
	StatP50
	StatP90
	StatP99
	StatCount
	numStats
)

var statNames = [numStats]string{"last", "min", "max", "mean", "rate", "p50", "p90", "p99", "count"}

// String returns the statistic's name as the protocol writes it: "mean", "p99".
func (s Stat) String() string {
	if s < numStats {
		return statNames[s]
	}
	return "stat(" + strconv.Itoa(int(s)) + ")"
}

// ParseStat returns the statistic called name ("last", "min", "max",
// "mean", "rate", "p50", "p90", "p99", "count").
func ParseStat(name string) (Stat, bool) {
	for i, n := range statNames {
		if n == name {
			return Stat(i), true
		}
	}
	return 0, false
}

// StatNames lists the statistics' names, in Stat order.
func StatNames() []string { return append([]string(nil), statNames[:]...) }

// Selection is a set of series read again and again (an alert rule's
// select): the series whose source is Source and metric is Metric (each
// "" for any) and for which Match holds (nil for all). The aggregator
// remembers which series matched and, when series were created or removed
// since, matches only those (select_log.go), so a read costs what the
// selection holds and what changed, not what the store holds. Giving a Metric makes that look cheap too: the
// store indexes series by metric name (and by source).
//
// A Selection belongs to one goroutine at a time; its fields must not
// change after its first use.
type Selection struct {
	Source, Metric string
	// Match is called under the store's read lock, with the series'
	// identity; it must be quick, must not keep labels, and must not call
	// the Aggregator.
	Match func(source, metric string, labels Labels) bool
	// Budget, when not nil, bounds the series this selection lists
	// together with the other selections of the budget (see
	// SelectionBudget). Set it before the first use.
	Budget *SelectionBudget

	gen  uint64 // the store's series generation list was built at; 0: never
	list []*series
	// refused: the budget had no room for the list at gen, when the
	// budget's freed count was freedSeen and matched series matched
	// (select_budget.go).
	refused   bool
	freedSeen uint64
	matched   int
}

// SeriesView is one series as Select shows it: read its identity and
// statistics inside the callback only.
type SeriesView struct {
	s *series
	w int // window index
}

// ID is the series' id (16 hex digits).
func (v SeriesView) ID() string { return v.s.id }

// Source is the series' source name.
func (v SeriesView) Source() string { return v.s.source }

// Metric is the series' metric name.
func (v SeriesView) Metric() string { return v.s.metric }

// Labels are the series' labels, sorted by name. They never change: a
// reader may keep the slice but must not modify it.
func (v SeriesView) Labels() Labels { return v.s.labels }

// Stale reports whether the series is stale and since when (Unix ms).
func (v SeriesView) Stale() (bool, int64) { return v.s.isStale() }

// Stat returns one statistic of the series' window, and false when the
// window has none: it is empty, or (rate) holds fewer than two samples or
// no time between them. Values are the ones snapshots show (mean clamped
// to [min, max], quantiles clamped and exact at the ends), computed for
// the one statistic asked: a mean or a last costs a few loads, min, max
// and the quantiles a pass over the window's slices. No allocation.
func (v SeriesView) Stat(st Stat) (float64, bool) {
	w := &v.s.wins[v.w]
	if w.count == 0 {
		if st == StatCount {
			return 0, true
		}
		return math.NaN(), false
	}
	switch st {
	case StatCount:
		return float64(w.count), true
	case StatLast:
		return w.last, true
	case StatRate:
		if r, ok := w.rate(); ok {
			return r, true
		}
		return math.NaN(), false
	}
	lo, hi := w.extremes()
	switch st {
	case StatMin:
		return lo, true
	case StatMax:
		return hi, true
	case StatMean:
		return min(max(w.sum.value()/float64(w.count), lo), hi), true
	case StatP50, StatP90, StatP99:
		q := statQuantiles[st-StatP50]
		var out [1]float64
		if !w.hist.quantiles([]float64{q}, out[:]) {
			return math.NaN(), false
		}
		return w.exactEnds(q, out[0], lo, hi), true
	}
	return math.NaN(), false
}

// WindowIndex returns the position of the window of span d among
// Windows(), or -1 when no window has that span. d is rounded as
// Options.Windows are (10s is the 10.02s window with 60 slices).
func (a *Aggregator) WindowIndex(d time.Duration) int {
	d = RoundWindow(d, a.opts.SubBuckets)
	for i, w := range a.opts.Windows {
		if w == d {
			return i
		}
	}
	return -1
}

// Select calls fn with every series of sel, reading the window at index
// window (see WindowIndex; out of range reads the shortest), in no
// particular order, and reports true. It holds the store's read lock for
// the whole call, so fn sees one consistent cut and must be quick and
// must not call the Aggregator; ingest waits meanwhile. It allocates only
// when the store's series changed since sel's last read (to remember the
// new matches) and sel has matchers or both a source and a metric; the
// others read the store's index itself.
//
// When sel has a Budget with no room for its series, Select calls fn for
// none and reports false; sel then holds no list (see SelectionBudget).
//
// Safe for concurrent use with everything but another Select on the same
// Selection, or on a Selection of the same budget.
func (a *Aggregator) Select(sel *Selection, window int, fn func(SeriesView)) bool {
	if window < 0 || window >= len(a.opts.Windows) {
		window = 0
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	if index, ok := a.st.indexOf(sel); ok {
		// The index is the selection: read it, keep no copy (a thousand
		// rules over one metric of 100k series would otherwise hold 100M
		// pointers).
		for _, s := range index {
			if !s.evicted {
				fn(SeriesView{s: s, w: window})
			}
		}
		return true
	}
	if sel.gen != a.st.seriesGen || sel.gen == 0 || sel.refused {
		if !a.st.refreshSelection(sel) {
			return false
		}
	}
	for _, s := range sel.list {
		fn(SeriesView{s: s, w: window})
	}
	return true
}

// indexOf returns the index that holds exactly the series of sel, when
// one does: every series (no source, metric or matcher), one metric's or
// one source's.
func (st *store) indexOf(sel *Selection) ([]*series, bool) {
	switch {
	case sel.Match != nil:
		return nil, false
	case sel.Metric == "" && sel.Source == "":
		return st.all, true
	case sel.Source == "":
		return st.byMetric[sel.Metric], true
	case sel.Metric == "":
		return st.bySrc[sel.Source], true
	}
	return nil, false
}

// refreshSelection brings sel's list up to the store's series: from the
// changes since sel last looked when the store's log still holds them
// (each new series matched once, removed ones dropped by a pointer check),
// else anew from the smallest index that covers it. False, listing
// nothing, when sel's budget has no room.
func (st *store) refreshSelection(sel *Selection) bool {
	if sel.gen != 0 {
		if changes, ok := st.changes.since(sel.gen, st.seriesGen); ok {
			if sel.refused {
				return st.recount(sel, changes)
			}
			return st.catchUp(sel, changes)
		}
	}
	return st.relist(sel)
}

// relist lists the series of sel anew from the smallest index that covers
// it, matching each once; false, listing nothing, when its budget has no
// room for them.
func (st *store) relist(sel *Selection) bool {
	candidates := st.all
	switch {
	case sel.Metric != "":
		candidates = st.byMetric[sel.Metric]
	case sel.Source != "":
		candidates = st.bySrc[sel.Source]
	}
	before := cap(sel.list)
	room := sel.room(before)
	clear(sel.list)
	sel.list = sel.list[:0]
	n := 0
	for _, s := range candidates {
		if sel.holds(s) {
			if n++; n <= room {
				sel.list = append(sel.list, s)
			}
		}
	}
	if n <= room && cap(sel.list) > n {
		// Listed anew: the room append left over is the budget's.
		sel.list = append(make([]*series, 0, n), sel.list...)
	}
	return sel.settle(st.seriesGen, before, n, room)
}

// catchUp applies to sel's list the changes since it was made: the new
// series that match are appended, the removed ones dropped. False when
// the list no longer fits its budget (it is then let go, as relist's).
func (st *store) catchUp(sel *Selection, changes []seriesChange) bool {
	before := cap(sel.list)
	room := sel.room(before)
	removed := false
	n := len(sel.list)
	for i := range changes {
		c := &changes[i]
		if !c.added {
			removed = true
			continue
		}
		// Gone already (collected, or evicted): a later change removes it.
		if s := c.s.Value(); s != nil && sel.holds(s) {
			if n++; n <= room {
				sel.list = append(sel.list, s)
			}
		}
	}
	if removed {
		kept := sel.list[:0]
		for _, s := range sel.list {
			if !s.evicted {
				kept = append(kept, s)
			} else {
				n--
			}
		}
		clear(sel.list[len(kept):])
		sel.list = kept
	}
	return sel.settle(st.seriesGen, before, n, room)
}

// recount updates the count of matches of a selection its budget refused
// from the changes since it was counted: the new series matched, as
// catchUp does; after a removal the store's are counted again (relist),
// since the log keeps nothing of a removed series to match. It lists sel
// once the count fits.
func (st *store) recount(sel *Selection, changes []seriesChange) bool {
	for i := range changes {
		c := &changes[i]
		if !c.added {
			return st.relist(sel)
		}
		if s := c.s.Value(); s != nil && sel.holds(s) {
			sel.matched++
		}
	}
	sel.gen = st.seriesGen
	if sel.matched > sel.room(0) {
		sel.freedSeen = sel.Budget.freed
		return false
	}
	return st.relist(sel) // it fits now
}

// holds reports whether s is one of sel's series.
func (sel *Selection) holds(s *series) bool {
	if s.evicted || (sel.Source != "" && s.source != sel.Source) || (sel.Metric != "" && s.metric != sel.Metric) {
		return false
	}
	return sel.Match == nil || sel.Match(s.source, s.metric, s.labels)
}

// Sources returns the source list as of the last broadcast tick (the
// Options.Sources function's answer then), or a fresh one before the
// first tick. The caller must not modify it.
func (a *Aggregator) Sources() []SourceInfo {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.currentSources()
}

// listMetric and unlistMetric keep the metric index (byMetric), the
// series generation and its log of changes; create and forget call them.
func (st *store) listMetric(s *series) {
	s.metricPos = len(st.byMetric[s.metric])
	st.byMetric[s.metric] = append(st.byMetric[s.metric], s)
	st.seriesGen++
	st.changes.record(s, true)
}

func (st *store) unlistMetric(s *series) {
	unlist(st.byMetric, s.metric, s, func(x *series) *int { return &x.metricPos })
	st.seriesGen++
	st.changes.record(s, false)
}
