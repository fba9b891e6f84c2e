package aggregator

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// HistoryWrite counts what WriteHistory did with the samples it took out
// of its batches.
type HistoryWrite struct {
	// Written are new samples merged into the stored tiers.
	Written int
	// Duplicates were stored already at their time (the stored value is
	// kept), or given twice.
	Duplicates int
	// Refused are older than the raw tier's retention (or than 1970),
	// named by a series id another series holds, or lost with a failed
	// write.
	Refused int
}

// oldSeries is one series' samples WriteHistory took, oldest first once
// sorted.
type oldSeries struct {
	key  uint64
	id   Identity
	meta bool // Storage has no meta of it yet
	pts  []point
}

// WriteHistory merges into Storage the samples of batches (by source, as
// Push takes them) stamped before beforeMs (Unix ms) of the series memory
// does not hold: samples that arrive late, such as a cluster peer's
// backfill after this node was away longer than its history. The caller
// picks beforeMs once for all the calls of one such run, so that every
// series is cut at one time: its older samples here, its newer ones in
// memory (Push), never the other way round; about History before the
// run began (memory refuses older samples) plus the run's longest time
// (what memory takes must still be within its history when ingested).
//
// Such a sample is taken out of its batch and merged, by time, into the
// series' stored raw blocks, and the minute and hour aggregates of the
// minutes it falls in are rebuilt from the merged raw points; a sample at
// a time already stored is a duplicate and leaves the stored one as it
// is. The series' meta is written if Storage had none, so that QueryRange
// and Restore know it, and memory continues its aggregate blocks when it
// takes the newer samples (reopenStored). Every other sample stays in its
// batch, for Push: memory judges the old ones of a series it holds as it
// always did (too old), that series' history and open aggregates being
// memory's and the flusher's to write. An emptied batch is deleted.
//
// Without Storage it takes nothing. It returns the counts and, when the
// write failed, the error (its samples then count as Refused; the stored
// blocks are unchanged: one transaction). Called by the cluster's
// backfill, on its own goroutine; it runs one at a time with Flush (a
// flush never rewrites a block it is merging) and holds the read lock
// only while it sorts the samples out. Its reads and the write are
// bounded by the stored raw points of the two-hour periods the samples
// fall in, and the period before the first.
func (a *Aggregator) WriteHistory(batches map[string][]Sample, beforeMs int64) (HistoryWrite, error) {
	var res HistoryWrite
	if a.opts.Storage == nil {
		return res, nil
	}
	a.flushMu.Lock()
	defer a.flushMu.Unlock()
	// A series that left memory lately may still have blocks to write,
	// which would replace merged ones: they are written first.
	a.mu.RLock()
	retired := len(a.st.retired.metas) + len(a.st.retired.blocks) + len(a.st.replayed)
	a.mu.RUnlock()
	if retired > 0 {
		if err := a.flushLocked(false); err != nil {
			a.mu.RLock()
			for _, o := range a.takeOld(batches, beforeMs, 0, &res) {
				res.Refused += len(o.pts)
			}
			a.mu.RUnlock()
			return res, fmt.Errorf("aggregator: writing late history: flushing first: %w", err)
		}
	}
	now := a.nowMs()
	oldest := int64(0)
	if r := a.opts.Retention[storage.Raw]; r > 0 {
		oldest = max(oldest, now-r.Milliseconds())
	}
	a.mu.RLock()
	taken := a.takeOld(batches, beforeMs, oldest, &res)
	a.mu.RUnlock()
	if len(taken) == 0 {
		return res, nil
	}
	// A journal entry of a series that left memory may name a chunk the
	// merge rewrites or removes, and a replay would then apply it to the
	// merged block: the journal is emptied first (every journaled tail
	// written whole), at most once a flush interval's cost of a flush as
	// it was before the journal.
	if a.st.journal && a.st.journalFloor < a.st.journalSeq {
		if err := a.flushLocked(true); err != nil {
			for _, o := range taken {
				res.Refused += len(o.pts)
			}
			return res, fmt.Errorf("aggregator: writing late history: emptying the journal first: %w", err)
		}
	}
	var plan historyPlan
	fresh := 0
	for _, o := range taken {
		n, dup, err := a.planMerge(o, &plan)
		if err != nil {
			res.Refused += len(o.pts)
			a.opts.Logger.Warn("aggregator: late history not merged: stored blocks do not read", "series", formatID(o.key), "err", err)
			continue
		}
		fresh += n
		res.Duplicates += dup
	}
	if err := a.opts.Storage.Replace(plan.metas, plan.remove, plan.blocks); err != nil {
		res.Refused += fresh
		return res, fmt.Errorf("aggregator: writing late history: %w", err)
	}
	res.Written += fresh
	a.mu.Lock()
	for _, m := range plan.metas {
		a.persisted[m.Key] = struct{}{}
	}
	a.mu.Unlock()
	return res, nil
}

// takeOld moves the samples WriteHistory stores out of batches, grouped
// by series (see WriteHistory), counting those it refuses in res. The
// caller holds the read lock.
func (a *Aggregator) takeOld(batches map[string][]Sample, horizon, oldest int64, res *HistoryWrite) []*oldSeries {
	byKey := map[uint64]*oldSeries{}
	var out []*oldSeries
	for src, samples := range batches {
		kept := samples[:0]
		var last *oldSeries // a source's samples come series by series
		for i := range samples {
			smp := &samples[i]
			if smp.TimeMs >= horizon || a.st.lookup(src, smp) != nil {
				kept = append(kept, *smp)
				continue
			}
			if smp.TimeMs < oldest {
				res.Refused++
				continue
			}
			o := last
			if o == nil || o.id.Source != src || o.id.Metric != smp.Metric || !slices.Equal(o.id.Labels, smp.Labels) {
				key := identityHash(src, smp.Metric, smp.Labels)
				o = byKey[key]
				switch {
				case a.st.byKey[key] != nil:
					res.Refused++ // memory holds another series under this id
					continue
				case o == nil:
					_, stored := a.persisted[key]
					o = &oldSeries{key: key, meta: !stored,
						id: Identity{Source: src, Metric: smp.Metric, Labels: slices.Clone(smp.Labels), Kind: smp.Kind}}
					byKey[key] = o
					out = append(out, o)
				case o.id.Source != src || o.id.Metric != smp.Metric || !slices.Equal(o.id.Labels, smp.Labels):
					res.Refused++ // two new series of one hash: the first keeps it
					continue
				}
				last = o
			}
			o.pts = append(o.pts, point{smp.TimeMs, smp.Value})
		}
		if len(kept) == 0 {
			delete(batches, src)
		} else {
			clear(samples[len(kept):])
			batches[src] = kept
		}
	}
	return out
}

// historyPlan is what one WriteHistory writes: one Replace.
type historyPlan struct {
	metas  []storage.SeriesMeta
	remove []storage.BlockRef
	blocks []storage.Block
}

// planMerge reads what o's samples touch of the stored tiers and adds the
// merged blocks to plan; fresh is how many of its samples are new, dup
// how many are not. It reads outside the lock (the caller holds flushMu).
func (a *Aggregator) planMerge(o *oldSeries, plan *historyPlan) (fresh, dup int, err error) {
	slices.SortStableFunc(o.pts, func(x, y point) int { return cmp.Compare(x.t, y.t) })
	// The raw points of the two-hour periods touched, and of the one
	// before the first (a counter's first increase needs the value before).
	w0 := floorDiv(o.pts[0].t, minuteBlockMs) * minuteBlockMs
	w1 := floorDiv(o.pts[len(o.pts)-1].t, minuteBlockMs)*minuteBlockMs + minuteBlockMs
	old, err := a.readRaw(o.key, w0-minuteBlockMs, w1-1)
	if err != nil {
		return 0, 0, err
	}
	all, added := mergePoints(old.pts, o.pts)
	dup = len(o.pts) - len(added)
	if len(added) == 0 {
		return 0, dup, nil
	}
	if o.meta {
		meta := AppendIdentity([]byte{metaVersion}, o.id)
		plan.metas = append(plan.metas, storage.SeriesMeta{Key: o.key, Meta: meta})
	}
	a.planRaw(o.key, old.blocks, all, added, plan)
	minutes, err := a.planMinutes(o, all, added, plan)
	if err != nil {
		return 0, 0, err
	}
	if err := a.planHours(o, added, minutes, plan); err != nil {
		return 0, 0, err
	}
	return len(added), dup, nil
}

// storedRaw is a series' raw points read from Storage, and the blocks
// that held them.
type storedRaw struct {
	pts    []point
	blocks []storage.Block // Data not kept
}

// readRaw reads the series' raw blocks that overlap [from, to].
func (a *Aggregator) readRaw(key uint64, from, to int64) (storedRaw, error) {
	var r storedRaw
	var bad error
	err := a.opts.Storage.Blocks(storage.Raw, key, from, to, func(b storage.Block) bool {
		pts, err := decodeRawBlock(b.Data, b.Start)
		if err != nil || (len(r.pts) > 0 && pts[0].t <= r.pts[len(r.pts)-1].t) {
			bad = cmp.Or(err, errCorrupt)
			return false
		}
		r.pts = append(r.pts, pts...)
		b.Data = nil
		r.blocks = append(r.blocks, b)
		return true
	})
	return r, cmp.Or(err, bad)
}

// mergePoints merges two time-ordered runs; of points of one time, the
// first one of old, else of add, is kept. added are the kept points of
// add.
func mergePoints(old, add []point) (all, added []point) {
	all = make([]point, 0, len(old)+len(add))
	i := 0
	for _, p := range add {
		for i < len(old) && old[i].t < p.t {
			all = append(all, old[i])
			i++
		}
		if (i < len(old) && old[i].t == p.t) || (len(all) > 0 && all[len(all)-1].t == p.t) {
			continue
		}
		all = append(all, p)
		added = append(added, p)
	}
	return append(all, old[i:]...), added
}

// planRaw rewrites the raw blocks that the new points fall into or
// between: they and the new points become new chunks, of the sizes
// memory's are cut to (chunkSamples, a quarter of History), so the
// stored blocks still do not overlap.
func (a *Aggregator) planRaw(key uint64, blocks []storage.Block, all, added []point, plan *historyPlan) {
	from, to := added[0].t, added[len(added)-1].t
	for _, b := range blocks {
		if b.End >= from && b.Start <= to {
			plan.remove = append(plan.remove, storage.BlockRef{Tier: storage.Raw, Series: key, Start: b.Start})
			from, to = min(from, b.Start), max(to, b.End)
		}
	}
	h := history{maxSpanMs: a.opts.History.Milliseconds() / 4}
	for _, p := range all {
		if p.t >= from && p.t <= to {
			h.append(p.t, p.v)
		}
	}
	for c := h.head; c != nil; c = c.next {
		plan.blocks = append(plan.blocks, storage.Block{Tier: storage.Raw, Series: key, Start: c.firstT, End: c.lastT,
			Points: int(c.n), Data: appendRawBlockData(nil, c)})
	}
}

// minuteOf is the start of t's minute.
func minuteOf(t int64) int64 { return floorDiv(t, minuteMs) * minuteMs }

// aggregateRaw is the aggregate point of the raw points of all within
// [start, start+period), the increases of a counter counted from the
// finite point before them; ok is false when none is finite.
func aggregateRaw(all []point, start, period int64, kind Kind) (aggPoint, bool) {
	i, _ := slices.BinarySearchFunc(all, start, func(p point, t int64) int { return cmp.Compare(p.t, t) })
	var acc aggAcc
	acc.reset(start)
	prev, hasPrev := math.NaN(), false
	for j := i - 1; j >= 0; j-- {
		if finite(all[j].v) {
			prev, hasPrev = all[j].v, true
			break
		}
	}
	for ; i < len(all) && all[i].t < start+period; i++ {
		v := all[i].v
		var inc float64
		if finite(v) {
			if hasPrev && kind == KindCounter {
				inc = increase(kind, prev, v)
			}
			prev, hasPrev = v, true
		}
		acc.add(v, inc)
	}
	return acc.point()
}
