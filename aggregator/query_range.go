package aggregator

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// yieldRange is runtime.Gosched; tests count the calls. QueryRange gives
// the processor away before each series but the first and every
// rangeYieldPoints points decoded from Storage: on a server given one core
// a request for 150 series over a day was tens of milliseconds of decoding
// that the stream's writers waited behind for the scheduler's 10 ms
// preemption (scripts/rangeflood-bench.sh: 300 connections asking for a
// day of 150 series every second, answered within the dear budget, took
// the readers' p99 to 40 ms, against 6 ms for the same connections idle;
// 8 ms with the yields).
var yieldRange = runtime.Gosched

// rangeYieldPoints is how many stored points QueryRange decodes between
// two yields: about a quarter of a millisecond.
const rangeYieldPoints = 4096

// maxRangeSpan is the longest range QueryRange accepts.
const maxRangeSpan = 10 * 365 * 24 * time.Hour

// QueryRange answers a range request: for each series its points between
// req.From and req.To (Unix ms, both included; a bucketed point's T is the
// start of its step, so the first may lie a little before From).
//
// The tier is the finest that reaches From (raw: Retention[Raw] back, or
// only History without Storage; 1m and 1h: their Retention) and whose
// points in range fit the budget (req.Points, at most and by default
// protocol.MaxRangePoints): raw samples as they are when they fit and no
// step was asked, else every tier's points cut to a step (req.Step, raised
// so the points fit, and to a whole number of the tier's periods) with the
// mean, min and max of each step. The newest part, not yet flushed, comes
// from memory, so the answer reaches now (the open minute and hour
// included). A request that is refused as a whole (From not before To, a
// span over ten years, more than protocol.MaxRangeSeries ids) has Error
// set and no series; an id the aggregator does not know (in memory or in
// Storage) gets Error "unknown series".
//
// Safe from any goroutine (the dashboard's handlers call it); it holds the
// read lock only to copy what memory has, and reads Storage outside it.
func (a *Aggregator) QueryRange(req protocol.RangeRequest) protocol.RangeAnswer {
	ans := protocol.RangeAnswer{Type: protocol.TypeRange, ID: req.ID, From: req.From, To: req.To, Series: []protocol.RangeSeries{}}
	if msg := validateRange(req); msg != "" {
		ans.Error = msg
		return ans
	}
	budget := req.Points
	if budget <= 0 || budget > protocol.MaxRangePoints {
		budget = protocol.MaxRangePoints
	}
	budget = max(budget, 2)
	now := a.nowMs()
	// A step longer than the range is the range: one point, not a bucket
	// reaching back to 1970.
	req.Step = min(req.Step, req.To-req.From)
	q := rangeQuery{From: req.From, To: req.To}
	q.tier, q.step = a.pickTier(req, budget, now)
	ans.Tier = q.tier.String()
	for i, id := range req.Series {
		if i > 0 {
			yieldRange()
		}
		rs := protocol.RangeSeries{ID: id, Points: []protocol.RangePoint{}}
		mem, ok := a.memRange(id, q)
		if !ok {
			rs.Error = "unknown series"
			ans.Series = append(ans.Series, rs)
			continue
		}
		pts, err := a.storedRange(mem, q)
		if err != nil {
			rs.Error = "storage: " + err.Error()
		}
		rs.Points = q.points(pts, mem, budget)
		ans.Series = append(ans.Series, rs)
	}
	// Raw points that turned out not to fit were cut to the budget's step
	// (the estimate was short): the answer says so.
	ans.Step = max(q.step, q.cutStep)
	return ans
}

func validateRange(req protocol.RangeRequest) string {
	switch {
	case len(req.Series) > protocol.MaxRangeSeries:
		return fmt.Sprintf("too many series: %d, at most %d", len(req.Series), protocol.MaxRangeSeries)
	case req.From >= req.To:
		return "from must be before to"
	case uint64(req.To)-uint64(req.From) > uint64(maxRangeSpan.Milliseconds()):
		return "the range is longer than 10 years"
	}
	return ""
}

// rangeQuery is a request's range with the tier and step chosen for it.
type rangeQuery struct {
	From, To int64
	tier     storage.Tier
	step     int64 // 0: raw points as they are
	cutStep  int64 // the step raw points were cut to when they did not fit
}

// tierOversample is how many of a tier's own points may go into one point
// of an answer before a coarser tier is read instead: a day of minutes
// for a chart 1,000 points wide is read as minutes, two to a point, not
// as 24 hours; a month of minutes (43,200) is read as hours. Reading more
// than that decodes more than the finer points are worth.
const tierOversample = 8

// pickTier chooses the tier and the step (see QueryRange).
func (a *Aggregator) pickTier(req protocol.RangeRequest, budget int, now int64) (storage.Tier, int64) {
	span := req.To - req.From
	minStep := (span + int64(budget) - 2) / int64(budget-1) // budget-1 steps plus the partial first
	tier := storage.Raw
	if a.opts.Storage != nil {
		tier = storage.Hour // what reaches furthest, should none fit
		for t := storage.Raw; t < storage.NumTiers; t++ {
			if !a.reaches(t, req.From, now) {
				continue
			}
			if a.nativePoints(t, req) <= int64(budget)*tierOversample {
				tier = t
				break
			}
		}
	}
	if tier == storage.Raw {
		if req.Step <= 0 && a.nativePoints(storage.Raw, req) <= int64(budget) {
			return tier, 0
		}
		return tier, max(req.Step, minStep)
	}
	res := periodMs[tier]
	step := max(req.Step, minStep, res)
	return tier, (step + res - 1) / res * res
}

// reaches reports whether tier keeps data as old as from.
func (a *Aggregator) reaches(t storage.Tier, from, now int64) bool {
	ret := a.opts.Retention[t]
	return ret <= 0 || now-ret.Milliseconds() <= from
}

// nativePoints estimates how many points tier has in the range of one
// series: for raw, from the densest requested series' spacing in memory
// (one a second if none is in memory).
func (a *Aggregator) nativePoints(t storage.Tier, req protocol.RangeRequest) int64 {
	span := req.To - req.From
	if t != storage.Raw {
		return span/periodMs[t] + 1
	}
	spacing := int64(1000)
	a.mu.RLock()
	for _, id := range req.Series {
		k, ok := parseID(id)
		if s := a.st.byKey[k]; ok && s != nil && s.hist.n > 1 {
			spacing = min(spacing, max(1, (s.last.t-s.hist.head.firstT)/int64(s.hist.n-1)))
		}
	}
	a.mu.RUnlock()
	return span/spacing + 1
}

// memSeries is what memory holds of a series for a range query.
type memSeries struct {
	key  uint64
	kind Kind
	raw  []point    // raw tier: the history's points in range
	from int64      // the memory part starts here: older comes from Storage
	agg  []aggPoint // aggregate tiers: unwritten blocks and open periods
	// starts of the aggregate blocks memory holds: Storage's copies of them
	// are older and left out.
	starts []int64
}

// memRange copies what memory holds of series id in q's range; false if
// the id is unknown.
func (a *Aggregator) memRange(id string, q rangeQuery) (memSeries, bool) {
	k, ok := parseID(id)
	if !ok {
		return memSeries{}, false
	}
	m := memSeries{key: k, from: math.MaxInt64}
	a.mu.RLock()
	defer a.mu.RUnlock()
	s := a.st.byKey[k]
	if s == nil {
		_, known := a.persisted[k]
		return m, known
	}
	m.kind = s.kind
	if q.tier == storage.Raw {
		if s.hist.head != nil {
			m.from = s.hist.head.firstT
		}
		s.hist.each(s.hist.n, func(p point) {
			if p.t >= q.From && p.t <= q.To {
				m.raw = append(m.raw, p)
			}
		})
		return m, true
	}
	t := s.tiers
	if t == nil {
		return m, true
	}
	for _, b := range t.done {
		if b.Tier == q.tier {
			m.starts = append(m.starts, b.Start)
			pts, _ := decodeAggBlock(b.Data, b.Start) // encoded here: it decodes
			m.agg = append(m.agg, pts...)
		}
	}
	if b := &t.blocks[q.tier]; b.n > 0 {
		m.starts = append(m.starts, b.start)
		pts, _ := decodeAggBlock(b.data(), b.start)
		m.agg = append(m.agg, pts...)
	}
	m.agg = append(m.agg, s.openPoints(q.tier)...)
	return m, true
}

// storedRange reads from Storage what memory does not hold of the range.
func (a *Aggregator) storedRange(m memSeries, q rangeQuery) ([]aggPoint, error) {
	if a.opts.Storage == nil {
		return nil, nil
	}
	var out []aggPoint
	var bad error
	decoded := 0
	spend := func(n int) {
		if decoded += n; decoded >= rangeYieldPoints {
			decoded = 0
			yieldRange()
		}
	}
	if q.tier == storage.Raw {
		if q.From >= m.from {
			return nil, nil
		}
		err := a.opts.Storage.Blocks(storage.Raw, m.key, q.From, min(q.To, m.from-1), func(b storage.Block) bool {
			pts, err := decodeRawBlock(b.Data, b.Start)
			if err != nil {
				bad = err
				return true
			}
			spend(len(pts))
			for _, p := range pts {
				if p.t >= q.From && p.t <= q.To && p.t < m.from {
					out = append(out, aggPoint{t: p.t, count: 1, sum: p.v, min: p.v, max: p.v, last: p.v})
				}
			}
			return true
		})
		return out, cmpErr(err, bad)
	}
	period := periodMs[q.tier]
	err := a.opts.Storage.Blocks(q.tier, m.key, q.From-period+1, q.To, func(b storage.Block) bool {
		if slices.Contains(m.starts, b.Start) {
			return true
		}
		pts, err := decodeAggBlock(b.Data, b.Start)
		if err != nil {
			bad = err
			return true
		}
		spend(len(pts))
		for _, p := range pts {
			if p.t+period > q.From && p.t <= q.To {
				out = append(out, p)
			}
		}
		return true
	})
	return out, cmpErr(err, bad)
}

// cmpErr is the read's error, else a block's that did not decode.
func cmpErr(read, decode error) error {
	if read != nil {
		return read
	}
	if decode != nil {
		return fmt.Errorf("a stored block does not decode: %w", decode)
	}
	return nil
}

// points turns what was read into the answer's points.
func (q *rangeQuery) points(stored []aggPoint, m memSeries, budget int) []protocol.RangePoint {
	if q.tier == storage.Raw {
		for _, p := range m.raw {
			stored = append(stored, aggPoint{t: p.t, count: 1, sum: p.v, min: p.v, max: p.v, last: p.v})
		}
		if q.step == 0 && len(stored) <= budget {
			out := make([]protocol.RangePoint, len(stored))
			for i, p := range stored {
				out[i] = protocol.RangePoint{T: p.t, Mean: p.sum, Min: p.sum, Max: p.sum}
			}
			return out
		}
		step := q.step
		if step == 0 {
			step = (q.To - q.From + int64(budget) - 2) / int64(budget-1)
			q.cutStep = step
		}
		return bucket(stored, step, true, m.kind == KindCounter)
	}
	period := periodMs[q.tier]
	for _, p := range m.agg {
		if p.t+period > q.From && p.t <= q.To {
			stored = append(stored, p)
		}
	}
	slices.SortStableFunc(stored, func(x, y aggPoint) int { return cmp.Compare(x.t, y.t) })
	return bucket(stored, q.step, false, m.kind == KindCounter)
}

// bucket cuts time-ordered points into steps aligned to multiples of step:
// mean = sum/count, min and max over the step. Raw points that are NaN or
// ±Inf count in nothing, as in the windows. A counter's step also carries
// its increase and how many sample-to-sample increases that sums
// (RangePoint.Inc, N): an aggregate's own (every sample of a minute has
// one, from the sample before it), or for raw samples from each to the
// next, the first of the range having none (its predecessor was not read).
func bucket(pts []aggPoint, step int64, raw, counter bool) []protocol.RangePoint {
	var out []protocol.RangePoint
	var cur aggAcc
	var n int64 // increases in cur
	prev, hasPrev := 0.0, false
	cur.reset(headNone)
	emit := func() {
		if cur.start != headNone && cur.count > 0 {
			mean := min(max(cur.sum/float64(cur.count), cur.min), cur.max)
			rp := protocol.RangePoint{T: cur.start, Mean: mean, Min: cur.min, Max: cur.max}
			if counter && n > 0 {
				rp.Inc, rp.N = cur.inc, n
			}
			out = append(out, rp)
		}
	}
	for _, p := range pts {
		if raw && !finite(p.sum) || p.count <= 0 {
			continue
		}
		if t := floorDiv(p.t, step) * step; t != cur.start {
			emit()
			cur.reset(t)
			n = 0
		}
		switch {
		case !counter:
		case !raw:
			n += int64(p.count)
		case hasPrev:
			p.inc = increase(KindCounter, prev, p.sum)
			n++
		}
		if raw {
			prev, hasPrev = p.sum, true
		}
		cur.merge(p)
	}
	emit()
	if out == nil {
		out = []protocol.RangePoint{}
	}
	return out
}
