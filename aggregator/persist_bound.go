package aggregator

// Bounds on what waits in memory for a store that keeps failing (a full or
// read-only disk): the raw history bounds itself (chunks leave at the
// horizon, written or not), but finished aggregate blocks and what series
// that left the store had not written would otherwise pile up for as long
// as the disk fails — a block per series every two hours, for days.
const (
	// maxUnwrittenBlocks is how many finished aggregate blocks a series
	// keeps for a failing store: a day of minute blocks and then some.
	maxUnwrittenBlocks = 16
	// maxRetiredBlocks bounds the blocks of series that left the store
	// and wait to be written, over all of them.
	maxRetiredBlocks = 100_000
)

// shedUnwritten drops, oldest first, what waits beyond those bounds and
// returns how many blocks went. Flush calls it after a failed write,
// holding the lock: the data was kept for the next try, and only what a
// long failure heaps up is given up (counted in
// pulseboard_tier_blocks_shed_total).
func (st *store) shedUnwritten() int {
	shed := 0
	for _, s := range st.all {
		if t := s.tiers; t != nil && len(t.done) > maxUnwrittenBlocks {
			n := len(t.done) - maxUnwrittenBlocks
			t.done = append(t.done[:0], t.done[n:]...)
			shed += n
		}
	}
	if n := len(st.retired.blocks) - maxRetiredBlocks; n > 0 {
		st.retired.blocks = append(st.retired.blocks[:0], st.retired.blocks[n:]...)
		shed += n
	}
	return shed
}
