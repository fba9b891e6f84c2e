package aggregator

import (
	"fmt"
	"math"
	"slices"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// Restore reads Storage back into memory: every stored series with samples
// within the last History gets its history back (the very chunks that were
// written) and its windows rebuilt from it, rates included, so the
// statistics are right at once; its open minute and hour blocks are
// reopened and the minute and hour being built are rebuilt from the raw
// samples and minute points after the last stored ones. Series with no
// sample that recent, and the series of sources Options.Running does not
// name (sources the configuration no longer has), stay on disk only:
// QueryRange still answers for them, and memory follows the sources that
// run, not what the disk holds.
//
// Call it once, after New and before Serve or any Push is ingested, from
// the goroutine that owns the start-up; without Storage it does nothing.
// It returns an error only when Storage cannot be read; a meta or block
// that does not decode is skipped and logged.
func (a *Aggregator) Restore() error {
	if a.opts.Storage == nil {
		return nil
	}
	metas, err := a.opts.Storage.Series()
	if err != nil {
		return fmt.Errorf("aggregator: restore: listing series: %w", err)
	}
	known := make(map[uint64]bool, len(metas))
	for _, m := range metas {
		known[m.Key] = true
	}
	rebuilt, err := a.replayJournal(known)
	if err != nil {
		return err
	}
	now := a.nowMs()
	horizon := now - a.opts.History.Milliseconds()
	last, err := a.restoreEvents(now)
	if err != nil {
		return err
	}
	defer func() { a.previousRun = max(a.previousRun, last) }()
	for _, m := range metas {
		id, err := decodeSeriesMeta(m.Meta)
		if err != nil {
			a.opts.Logger.Warn("aggregator: restore: a stored series does not decode; skipped", "key", formatID(m.Key))
			continue
		}
		if a.opts.Running != nil && !a.opts.Running(id.Source) {
			a.mu.Lock()
			a.persisted[m.Key] = struct{}{}
			a.mu.Unlock()
			continue
		}
		r, err := a.readStored(m.Key, id.Kind, horizon, rebuilt[m.Key])
		if err != nil {
			return fmt.Errorf("aggregator: restore: series %s: %w", formatID(m.Key), err)
		}
		a.mu.Lock()
		a.persisted[m.Key] = struct{}{}
		if len(r.chunks) > 0 {
			a.st.restoreSeries(m.Key, id, r, now)
			a.previousRun = max(a.previousRun, r.chunks[len(r.chunks)-1].lastT)
		}
		a.mu.Unlock()
	}
	return nil
}

// stored is what Restore read of one series.
type stored struct {
	chunks  []*chunk // the history from the horizon on, oldest first
	tailEnc codecState
	replay  []point // raw samples after the last stored minute, for the open minute
	prev    float64 // the finite sample before replay, if hasPrev
	hasPrev bool
	minute  []aggPoint // the last minute block's points
	hour    []aggPoint // the last hour block's points
}

// readStored reads a series' last aggregate blocks and its raw blocks from
// the horizon (or from the first minute not stored, if earlier), the
// tails the journal's replay rebuilt (ascending Start) in place of their
// stored blocks. It runs outside the lock.
func (a *Aggregator) readStored(key uint64, kind Kind, horizon int64, rebuilt []storage.Block) (stored, error) {
	var r stored
	var err error
	if r.minute, err = a.lastAggBlock(storage.Minute, key, horizon-2*minuteBlockMs); err != nil {
		return r, err
	}
	if r.hour, err = a.lastAggBlock(storage.Hour, key, horizon-2*hourBlockMs); err != nil {
		return r, err
	}
	replayFrom := horizon
	if len(r.minute) > 0 {
		replayFrom = r.minute[len(r.minute)-1].t + minuteMs
	}
	lastT := int64(math.MinInt64)
	var bad error
	from := min(horizon, replayFrom)
	rebuilt = slices.DeleteFunc(slices.Clone(rebuilt), func(b storage.Block) bool { return b.End < from })
	blocks := func(fn func(storage.Block) bool) error {
		return a.opts.Storage.Blocks(storage.Raw, key, from, math.MaxInt64, fn)
	}
	err = withReplayed(blocks, rebuilt, func(b storage.Block) bool {
		if b.Start <= lastT {
			bad = errCorrupt // overlapping the block before
			return true
		}
		c, pts, enc, err := chunkFromBlock(b)
		if err != nil {
			bad = err
			return true
		}
		lastT = c.lastT
		for _, p := range pts {
			if p.t >= replayFrom {
				r.replay = append(r.replay, p)
			} else if finite(p.v) {
				r.prev, r.hasPrev = p.v, true
			}
		}
		if c.lastT >= horizon {
			r.chunks = append(r.chunks, c)
			r.tailEnc = enc
		}
		return true
	})
	if err != nil {
		return r, err
	}
	if bad != nil {
		a.opts.Logger.Warn("aggregator: restore: a stored raw block does not decode; skipped", "series", formatID(key), "err", bad)
	}
	return r, nil
}

// lastAggBlock returns the points of the series' newest block of tier
// starting after from (nil if none, or if it does not decode).
func (a *Aggregator) lastAggBlock(tier storage.Tier, key uint64, from int64) ([]aggPoint, error) {
	var pts []aggPoint
	err := a.opts.Storage.Blocks(tier, key, from, math.MaxInt64, func(b storage.Block) bool {
		p, err := decodeAggBlock(b.Data, b.Start)
		if err != nil {
			a.opts.Logger.Warn("aggregator: restore: a stored aggregate block does not decode; skipped", "series", formatID(key), "tier", tier.String())
			return true
		}
		pts = p
		return true
	})
	return pts, err
}

// chunkFromBlock rebuilds a history chunk from a raw block: the stream is
// copied (Block.Data lives only inside Blocks' callback) and decoded, for
// the points and for the encoder's state, which a tail chunk continues.
func chunkFromBlock(b storage.Block) (*chunk, []point, codecState, error) {
	n, nbits, stream, err := parseRawBlock(b.Data)
	if err != nil {
		return nil, nil, codecState{}, err
	}
	c := &chunk{firstT: b.Start, n: uint16(n)}
	c.w.b, c.w.nbits = slices.Clone(stream), nbits
	r := bitReader{b: c.w.b, nbits: nbits}
	var s codecState
	v, err := s.decodeFirst(&r, b.Start)
	if err != nil {
		return nil, nil, codecState{}, err
	}
	pts := make([]point, 1, n)
	pts[0] = point{b.Start, v}
	for len(pts) < n {
		t, v, err := s.decode(&r)
		if err != nil {
			return nil, nil, codecState{}, err
		}
		if t <= pts[len(pts)-1].t {
			return nil, nil, codecState{}, errCorrupt
		}
		pts = append(pts, point{t, v})
	}
	c.lastT = pts[len(pts)-1].t
	return c, pts, s, nil
}

// restoreSeries puts a stored series back into the store. The caller holds
// the lock; r.chunks is not empty.
func (st *store) restoreSeries(key uint64, id Identity, r stored, nowMs int64) {
	if st.byKey[key] != nil {
		return
	}
	smp := Sample{Metric: id.Metric, Labels: id.Labels, Kind: id.Kind}
	s := st.createWithKey(id.Source, &smp, key)
	if s == nil {
		return
	}
	h := &s.hist
	for i, c := range r.chunks {
		if i > 0 {
			r.chunks[i-1].next = c
			h.lastSize = len(r.chunks[i-1].w.b)
		}
		h.n += int(c.n)
	}
	h.head, h.tail, h.enc = r.chunks[0], r.chunks[len(r.chunks)-1], r.tailEnc
	var pts []point
	h.each(h.n, func(p point) { pts = append(pts, p) })
	s.feedWindows(pts, nowMs)
	s.last = pts[len(pts)-1]
	s.lastSeenMs = min(s.last.t, nowMs)
	s.published, s.hasPub = s.last, true

	t := s.tiers
	t.metaWritten = true
	t.rawFrom, t.rawLast = h.tail.firstT, s.last.t
	s.tierHead.prev, s.tierHead.hasPrev = r.prev, r.hasPrev
	counter := id.Kind == KindCounter
	t.blocks[storage.Hour] = reopenAggBlock(r.hour, counter)
	t.blocks[storage.Minute] = reopenAggBlock(r.minute, counter)
	// The hour being built: the stored minutes after the last stored hour.
	lastHour := int64(math.MinInt64)
	if len(r.hour) > 0 {
		lastHour = r.hour[len(r.hour)-1].t
	}
	for _, p := range r.minute {
		if p.t >= lastHour+hourMs {
			t.mergeHour(key, id.Kind, p)
		}
	}
	for _, p := range r.replay {
		s.addTier(p.t, p.v)
	}
}
