package aggregator

import (
	"math"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// The aggregate tiers: per series, one point a minute and one an hour,
// each the count, sum, min, max and last of the finite samples in that
// wall-clock (UTC) minute or hour, and for counters their reset-aware
// increase. Periods are aligned to Unix time, so a point's time is the
// start of its minute or hour.
const (
	minuteMs = 60_000
	hourMs   = 3_600_000
	// A tier's points are grouped into blocks aligned to these spans: two
	// hours of minute points (120), a day of hour points (24). Longer
	// blocks spread the per-block header thinner; shorter ones keep the
	// open block, which lives in memory, small. A two-hour block holds
	// whole hours, so the minutes of the open hour are all in the open
	// minute block (restore relies on it).
	minuteBlockMs = 2 * hourMs
	hourBlockMs   = 24 * hourMs
)

// periodMs and blockMs are by tier (Minute, Hour); Raw has none.
var (
	periodMs = [storage.NumTiers]int64{storage.Minute: minuteMs, storage.Hour: hourMs}
	blockMs  = [storage.NumTiers]int64{storage.Minute: minuteBlockMs, storage.Hour: hourBlockMs}
)

// aggPoint is one closed (or, for queries, still open) aggregate: the
// finite samples of the period starting at t.
type aggPoint struct {
	t                        int64
	count                    float64
	sum, min, max, last, inc float64
}

// aggAcc accumulates the period being built. 48 bytes.
type aggAcc struct {
	start                    int64 // the period's start; headNone while nothing was added
	count                    uint32
	sum, min, max, last, inc float64
}

func (a *aggAcc) reset(start int64) {
	*a = aggAcc{start: start, min: math.Inf(1), max: math.Inf(-1)}
}

// add takes one sample of the acc's period; NaN and ±Inf only open it.
func (a *aggAcc) add(v, inc float64) {
	if !finite(v) {
		return
	}
	a.count++
	a.sum += v
	a.inc += inc
	a.min = min(a.min, v)
	a.max = max(a.max, v)
	a.last = v
}

// merge folds a closed point of a finer tier into the acc.
func (a *aggAcc) merge(p aggPoint) {
	a.count += uint32(p.count)
	a.sum += p.sum
	a.inc += p.inc
	a.min = min(a.min, p.min)
	a.max = max(a.max, p.max)
	a.last = p.last
}

// point is the acc as a point, sums snapped to the decimals their samples
// had (see snapSum); ok is false when no finite sample was added.
func (a *aggAcc) point() (aggPoint, bool) {
	if a.start == headNone || a.count == 0 {
		return aggPoint{}, false
	}
	n := float64(a.count)
	mag := max(math.Abs(a.min), math.Abs(a.max))
	return aggPoint{
		t: a.start, count: n,
		sum: snapSum(a.sum, n, mag), min: a.min, max: a.max, last: a.last,
		inc: snapSum(a.inc, n, 2*mag),
	}, true
}

// snapSum rounds a float sum of n terms of magnitude at most mag to the
// fewest decimals (up to maxScale) that lie within its worst-case rounding
// error (n²·ε·mag for a running sum). The sum of decimals is a decimal,
// but its float running sum rarely is (0.1+0.2); snapped, it is again the
// exact decimal in the common case, and the block codec stores it in a few
// bits instead of an XOR of 50. The change is never more than the error the
// float sum already carried.
func snapSum(sum, n, mag float64) float64 {
	tol := n * n * mag * 0x1p-52
	if !finite(sum) || tol == 0 {
		return sum
	}
	for k := uint8(0); k <= maxScale; k++ {
		x := sum * pow10[k]
		if !(math.Abs(x) < 1<<53) {
			return sum
		}
		if v := math.Round(x) / pow10[k]; math.Abs(v-sum) <= tol {
			return v
		}
	}
	return sum
}

// tierHead is what every sample of a series with storage touches: the
// open minute and the newest finite value (for increases). It lives in
// the series itself, on the cache lines the sample's append already
// touches, not behind the tiers pointer. 64 bytes.
type tierHead struct {
	minute  aggAcc
	prev    float64
	hasPrev bool
}

// seriesTiers is the rest of what a series keeps for durable storage: the
// open hour, the open blocks, blocks finished and not yet written, and
// what the last flush wrote. Only series of an Aggregator with Storage
// have one.
type seriesTiers struct {
	hour        aggAcc
	blocks      [storage.NumTiers]aggBlock // open blocks; Raw unused
	done        []storage.Block            // finished aggregate blocks not yet written
	metaWritten bool
	// rawFrom is the first time of the chunk that was the history's tail
	// at the last successful flush (math.MinInt64: nothing written yet):
	// the next flush writes it and every chunk after it. rawLast is the
	// newest sample time that flush wrote.
	rawFrom, rawLast int64
	// tailBits is how many bits of that tail were written (whole or to
	// the journal); pin is the oldest journal seq whose entries the tail
	// as written needs, 0 when it was written whole (journal.go).
	tailBits uint32
	pin      uint64
}

func newSeriesTiers() *seriesTiers {
	t := &seriesTiers{rawFrom: math.MinInt64, rawLast: math.MinInt64}
	t.hour.reset(headNone)
	return t
}

// addTier takes a sample the history just stored (t after every earlier
// one) into the open minute: a sample of a later minute first closes the
// open one. Only for a series with tiers.
func (s *series) addTier(t int64, v float64) {
	h := &s.tierHead
	// Most samples fall in the open minute: no division for them.
	if m0 := h.minute.start; m0 == headNone || t < m0 || t >= m0+minuteMs {
		if m := floorDiv(t, minuteMs) * minuteMs; m != m0 {
			s.closeMinute()
			h.minute.reset(m)
		}
	}
	var inc float64 // counters only: a gauge's block has no increase column
	if finite(v) {
		if h.hasPrev && s.kind == KindCounter {
			inc = increase(s.kind, h.prev, v)
		}
		h.prev, h.hasPrev = v, true
	}
	h.minute.add(v, inc)
}

// closeMinute moves the open minute into the minute block and the hour.
func (s *series) closeMinute() {
	p, ok := s.tierHead.minute.point()
	s.tierHead.minute.reset(headNone)
	if !ok {
		return
	}
	s.tiers.appendPoint(storage.Minute, s.key, s.kind, p)
	s.tiers.mergeHour(s.key, s.kind, p)
}

// mergeHour folds a closed minute into the open hour, first closing the
// hour if the minute belongs to a later one.
func (st *seriesTiers) mergeHour(key uint64, kind Kind, p aggPoint) {
	if h := floorDiv(p.t, hourMs) * hourMs; h != st.hour.start {
		if hp, ok := st.hour.point(); ok {
			st.appendPoint(storage.Hour, key, kind, hp)
		}
		st.hour.reset(h)
	}
	st.hour.merge(p)
}

// appendPoint adds a closed point to its tier's open block, finishing the
// block first when the point belongs to the next one.
func (st *seriesTiers) appendPoint(tier storage.Tier, key uint64, kind Kind, p aggPoint) {
	b := &st.blocks[tier]
	if b.n > 0 && floorDiv(p.t, blockMs[tier]) != floorDiv(b.start, blockMs[tier]) {
		st.finishBlock(tier, key)
	}
	b.append(p, kind == KindCounter)
}

// finishBlock queues the tier's open block for writing and empties it.
func (st *seriesTiers) finishBlock(tier storage.Tier, key uint64) {
	b := &st.blocks[tier]
	if b.n > 0 && b.dirty {
		st.done = append(st.done, b.block(tier, key))
	}
	*b = aggBlock{}
}

// closePeriods closes the open minute and hour into their blocks: Serve is
// stopping, and what they hold must reach the storage. Should the series
// go on, the rest of the period makes a second point of the same time;
// readers merge points of one time (they are partial aggregates).
func (s *series) closePeriods() {
	s.closeMinute()
	st := s.tiers
	if hp, ok := st.hour.point(); ok {
		st.appendPoint(storage.Hour, s.key, s.kind, hp)
	}
	st.hour.reset(headNone)
}

// finishTiers closes everything open: the series is leaving the store.
func (s *series) finishTiers() {
	s.closePeriods()
	s.tiers.finishBlock(storage.Minute, s.key)
	s.tiers.finishBlock(storage.Hour, s.key)
}

// openPoints are the periods still open, as points, oldest first: the
// minute; for the hour tier the open hour with the open minute merged in
// (or beside it, when the minute already belongs to the next hour).
func (s *series) openPoints(tier storage.Tier) []aggPoint {
	mp, mok := s.tierHead.minute.point()
	if tier == storage.Minute {
		if mok {
			return []aggPoint{mp}
		}
		return nil
	}
	var out []aggPoint
	h := s.tiers.hour
	if mok {
		if hs := floorDiv(mp.t, hourMs) * hourMs; hs != h.start {
			if hp, ok := h.point(); ok {
				out = append(out, hp)
			}
			h.reset(hs)
		}
		h.merge(mp)
	}
	if hp, ok := h.point(); ok {
		out = append(out, hp)
	}
	return out
}
