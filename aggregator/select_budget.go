package aggregator

import "math"

// SelectionBudget bounds the series a set of Selections list together. A
// Selection with matchers, or with both a source and a metric, keeps the
// list of its series, 8 bytes a series; Selections that differ keep a list
// each, so a thousand alert rules with different selects over a store of
// a million series would keep a thousand million-long lists (8 GB). With a
// budget, a Selection whose list would pass Max, with what the others of
// the budget list, is refused: Select lists nothing and reports false, and
// the Selection holds nothing. It keeps the count of its matches, brought
// up to date from the store's new series (matched alone; after a removal
// the store's index is counted again), and is listed again once that
// count fits: when another selection of the budget gave series back, or
// its matches left. Selections read through an index (one metric, one source,
// every series) list nothing, cost nothing against the budget and are
// never refused.
//
// A budget and its Selections belong to one goroutine at a time (the alert
// evaluator's, under its lock).
type SelectionBudget struct {
	max   int
	used  int    // capacity of the lists of the budget's selections
	freed uint64 // times a selection gave series back: a refused one may fit now
}

// NewSelectionBudget returns a budget of n series (at least 1).
func NewSelectionBudget(n int) *SelectionBudget {
	return &SelectionBudget{max: max(n, 1)}
}

// Used returns how many series the budget's selections list now.
func (b *SelectionBudget) Used() int { return b.used }

// Max returns the budget's bound, in series.
func (b *SelectionBudget) Max() int { return b.max }

// Release gives the series sel lists back to its budget and forgets them:
// for a Selection no longer read (an alert rule that left). The next
// Select lists them again if it is read after all.
func (sel *Selection) Release() {
	if b := sel.Budget; b != nil && cap(sel.list) > 0 {
		b.used -= cap(sel.list)
		b.freed++
	}
	sel.list, sel.gen, sel.refused = nil, 0, false
}

// room is how many series sel may list while its list has capacity
// before: what its budget leaves it, or no bound without one.
func (sel *Selection) room(before int) int {
	if b := sel.Budget; b != nil {
		return b.max - (b.used - before)
	}
	return math.MaxInt
}

// settle ends a listing of sel (relist, catchUp) at the store's series
// generation gen: n series matched, the list held the first room of them,
// and had capacity before when the listing began. Past the room sel is
// refused: it lets its list go and remembers n, so that the changes to
// come are counted against n (recount) instead of the store's series
// being matched again. Otherwise its budget counts the list's capacity,
// copied down to the length when it grew past the room or far past the
// length (series removed).
func (sel *Selection) settle(gen uint64, before, n, room int) bool {
	sel.gen = gen
	if n > room {
		clear(sel.list)
		sel.list = nil
		if b := sel.Budget; before > 0 {
			b.used -= before
			b.freed++
		}
		sel.refused, sel.matched, sel.freedSeen = true, n, sel.Budget.freed
		return false
	}
	sel.refused = false
	if worthRebuilding(len(sel.list), cap(sel.list)) || cap(sel.list) > room {
		sel.list = append(make([]*series, 0, len(sel.list)), sel.list...)
	}
	sel.account(before)
	return true
}

// account settles sel's list with its budget after a listing: a list far
// shorter than its capacity (series removed) is copied to its length, and
// the budget counts the capacity in place of before, the capacity sel had
// when the listing began.
func (sel *Selection) account(before int) {
	b := sel.Budget
	if b == nil {
		return
	}
	if n := len(sel.list); cap(sel.list) > n+n/4 {
		sel.list = append(make([]*series, 0, n), sel.list...)
	}
	b.used += cap(sel.list) - before
	if cap(sel.list) < before {
		b.freed++
	}
}
