package aggregator

// SelectionBudget bounds the series a set of Selections list together. A
// Selection with matchers, or with both a source and a metric, keeps the
// list of its series, 8 bytes a series; Selections that differ keep a list
// each, so a thousand alert rules with different selects over a store of
// a million series would keep a thousand million-long lists (8 GB). With a
// budget, a Selection whose list would pass Max, with what the others of
// the budget list, is refused: Select lists nothing and reports false, and
// the Selection holds nothing. It is looked at again (its matches counted,
// one pass over the store's index that covers it, no allocation) only once
// the store's series changed or another selection of the budget gave
// series back. Selections read through an index (one metric, one source,
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

// admit decides, before sel is listed anew from candidates at the store's
// series generation gen, whether its budget has room for it: without a
// budget, always. With one it counts the matches and refuses a list that
// would pass the budget (releasing what sel held), remembering the
// refusal so that it is not counted again until something changed. When
// it admits the list, sel's capacity is at least the count, so that
// listing never grows it past what was counted; account then counts it.
func (sel *Selection) admit(gen uint64, candidates []*series) bool {
	b := sel.Budget
	if b == nil {
		return true
	}
	if sel.refused && sel.gen == gen && sel.freedSeen == b.freed {
		return false // nothing changed since the refusal
	}
	n := 0
	for _, s := range candidates {
		if sel.holds(s) {
			n++
		}
	}
	if n > b.max-(b.used-cap(sel.list)) {
		sel.Release()
		sel.refused, sel.gen, sel.freedSeen = true, gen, b.freed
		return false
	}
	sel.refused = false
	if cap(sel.list) < n {
		sel.list = make([]*series, 0, n) // account counts it
	}
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
