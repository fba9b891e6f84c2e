package aggregator

import "github.com/pulseboard/pulseboard/aggregator/storage"

// reopenStored makes a series memory just created continue the aggregate
// blocks Storage holds of it, as Restore does for the series it restores:
// its newest minute and hour blocks are reopened (the flusher then
// rewrites them with the new points, under the same key), and the stored
// minutes after the newest stored hour go into the hour being built. It
// matters for a series Storage knows but memory did not hold: one that
// left memory and came back, or one whose older samples WriteHistory
// stored just before memory took its newer ones; without it, memory's
// first block of a period would start where a stored one starts and
// replace it. A period both hold points of has two points of one time,
// which readers merge (they are partial aggregates).
//
// Called by the store when it creates a series, with the aggregator's
// lock held: it reads at most two blocks, only for a series Storage has
// a meta of. A read that fails or does not decode leaves the series
// starting fresh, as before (logged by lastAggBlock's callers' way).
func (a *Aggregator) reopenStored(s *series) {
	if _, ok := a.persisted[s.key]; !ok || s.tiers == nil {
		return
	}
	now := a.nowMs()
	from := now - a.opts.History.Milliseconds()
	minute, err := a.lastAggBlock(storage.Minute, s.key, from-2*minuteBlockMs)
	if err != nil {
		return
	}
	hour, err := a.lastAggBlock(storage.Hour, s.key, from-2*hourBlockMs)
	if err != nil {
		return
	}
	t := s.tiers
	counter := s.kind == KindCounter
	t.blocks[storage.Hour] = reopenAggBlock(hour, counter)
	t.blocks[storage.Minute] = reopenAggBlock(minute, counter)
	lastHour := int64(headNone)
	if len(hour) > 0 {
		lastHour = hour[len(hour)-1].t
	}
	for _, p := range minute {
		if p.t >= lastHour+hourMs {
			t.mergeHour(s.key, s.kind, p)
		}
	}
}
