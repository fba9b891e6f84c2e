package aggregator

import (
	"cmp"
	"slices"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// How WriteHistory rebuilds the aggregate tiers. A minute block holds the
// minutes of one two-hour period, an hour block the hours of one day
// (tiers.go), so the periods the new samples touch are rebuilt whole: the
// stored blocks that start in such a period are read, replaced by one
// block of all their points, and of those the points of the minutes (and
// hours) a new sample falls in are computed again: a minute from the
// merged raw points, an hour from its minutes. Two partial points of one
// untouched period (a stop closes its periods early) become one. Memory
// holds no block of these series (WriteHistory takes no sample of a
// series memory holds), so none is left out.

// planMinutes rebuilds the minute blocks of the two-hour periods added
// falls in, and returns every minute point of them, oldest first.
func (a *Aggregator) planMinutes(o *oldSeries, all, added []point, plan *historyPlan) ([]aggPoint, error) {
	touched := map[int64]bool{}
	var periods []int64
	for _, p := range added {
		m := minuteOf(p.t)
		touched[m] = true
		if w := floorDiv(m, minuteBlockMs) * minuteBlockMs; len(periods) == 0 || periods[len(periods)-1] != w {
			periods = append(periods, w)
		}
	}
	var out []aggPoint
	for _, w := range periods {
		stored, err := a.readAgg(storage.Minute, o.key, w, w+minuteBlockMs-1, plan)
		if err != nil {
			return nil, err
		}
		pts := rebuild(stored, touched, w, w+minuteBlockMs, func(m int64) (aggPoint, bool) { return aggregateRaw(all, m, minuteMs, o.id.Kind) })
		plan.addAgg(storage.Minute, o.key, o.id.Kind, pts)
		out = append(out, pts...)
	}
	return out, nil
}

// planHours rebuilds the hour blocks of the days added falls in: the
// hours of added from minutes, the minutes of the periods planMinutes
// rebuilt (an hour lies in one two-hour period).
func (a *Aggregator) planHours(o *oldSeries, added []point, minutes []aggPoint, plan *historyPlan) error {
	touched := map[int64]bool{}
	var days []int64
	for _, p := range added {
		h := floorDiv(p.t, hourMs) * hourMs
		touched[h] = true
		if d := floorDiv(h, hourBlockMs) * hourBlockMs; len(days) == 0 || days[len(days)-1] != d {
			days = append(days, d)
		}
	}
	for _, d := range days {
		stored, err := a.readAgg(storage.Hour, o.key, d, d+hourBlockMs-1, plan)
		if err != nil {
			return err
		}
		pts := rebuild(stored, touched, d, d+hourBlockMs, func(h int64) (aggPoint, bool) {
			var acc aggAcc
			acc.reset(h)
			for _, m := range minutes {
				if m.t >= h && m.t < h+hourMs {
					acc.merge(m)
				}
			}
			return acc.point()
		})
		plan.addAgg(storage.Hour, o.key, o.id.Kind, pts)
	}
	return nil
}

// readAgg reads the points of the series' blocks of tier that start in
// [from, to] and plans their removal.
func (a *Aggregator) readAgg(tier storage.Tier, key uint64, from, to int64, plan *historyPlan) ([]aggPoint, error) {
	var out []aggPoint
	var bad error
	err := a.opts.Storage.Blocks(tier, key, from, to, func(b storage.Block) bool {
		if b.Start < from {
			return true // another period's: not ours to rewrite
		}
		pts, err := decodeAggBlock(b.Data, b.Start)
		if err != nil {
			bad = err
			return false
		}
		out = append(out, pts...)
		plan.remove = append(plan.remove, storage.BlockRef{Tier: tier, Series: key, Start: b.Start})
		return true
	})
	return out, cmp.Or(err, bad)
}

// rebuild is the points of the block period [from, until): stored's, one
// per time (partial points of one time merged), those of the touched
// times computed by compute instead (left out when it has none), oldest
// first.
func rebuild(stored []aggPoint, touched map[int64]bool, from, until int64, compute func(t int64) (aggPoint, bool)) []aggPoint {
	accs := map[int64]*aggAcc{}
	for _, p := range stored {
		if touched[p.t] || p.t < from || p.t >= until {
			continue
		}
		acc := accs[p.t]
		if acc == nil {
			acc = &aggAcc{}
			acc.reset(p.t)
			accs[p.t] = acc
		}
		acc.merge(p)
	}
	var out []aggPoint
	for _, acc := range accs {
		if p, ok := acc.point(); ok {
			out = append(out, p)
		}
	}
	for t := range touched {
		if t < from || t >= until {
			continue
		}
		if p, ok := compute(t); ok {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(x, y aggPoint) int { return cmp.Compare(x.t, y.t) })
	return out
}

// addAgg plans one block of pts (time-ordered, one period's block).
func (p *historyPlan) addAgg(tier storage.Tier, key uint64, kind Kind, pts []aggPoint) {
	if len(pts) == 0 {
		return
	}
	var b aggBlock
	for _, pt := range pts {
		b.append(pt, kind == KindCounter)
	}
	p.blocks = append(p.blocks, b.block(tier, key))
}
