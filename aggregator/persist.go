package aggregator

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// Storage is the durable block store the aggregator writes its tiers to:
// the methods of storage.DB it uses, so that tests can hand it a fake.
// Write is called by the flusher only (one at a time), outside the
// aggregator's lock (Replace likewise, by WriteHistory, also one at a
// time with the flushes); Series and Blocks by Restore and QueryRange, from
// their callers' goroutines, also outside the lock. All must be safe for
// concurrent use.
type Storage interface {
	// Write stores series metas and blocks in one transaction; a block
	// with the same tier, series and start as a stored one replaces it.
	Write(series []storage.SeriesMeta, blocks []storage.Block) error
	// Series lists every series written and not dropped.
	Series() ([]storage.SeriesMeta, error)
	// Blocks calls fn with the series' blocks of tier t that overlap
	// [from, to], ascending Start, until fn returns false. Block.Data is
	// valid only inside fn.
	Blocks(t storage.Tier, series uint64, from, to int64, fn func(storage.Block) bool) error
	// Enforce drops what the retention limits no longer allow.
	Enforce() error
	// Replace removes the named blocks and writes metas and blocks in one
	// transaction: history that arrives late is merged with it
	// (WriteHistory), never by the flusher.
	Replace(series []storage.SeriesMeta, remove []storage.BlockRef, blocks []storage.Block) error
}

// flushBatch is what one flush writes, and what to note once it is written.
type flushBatch struct {
	metas  []storage.SeriesMeta
	blocks []storage.Block
	marks  []flushMark
	// how many of store.retired's metas and blocks it carries
	retiredMetas, retiredBlocks int
	// journal is what it adds to and drops from the journal (journal.go);
	// replayed, how many of store.replayed's blocks it carries.
	journal  storage.Journal
	replayed int
}

// empty says whether fb has nothing to write, given the journal's floor
// (the DropBelow last written).
func (fb *flushBatch) empty(floor uint64) bool {
	return len(fb.metas) == 0 && len(fb.blocks) == 0 && len(fb.journal.Values) == 0 && fb.journal.DropBelow <= floor
}

// flushMark is what a flush wrote of one series, noted once Write succeeds.
type flushMark struct {
	s                *series
	rawFrom, rawLast int64
	meta             bool
	done             int // blocks of s.tiers.done written
	// open blocks written, by tier: their start and point count then, so
	// that a block changed since stays dirty.
	openStart [storage.NumTiers]int64
	openN     [storage.NumTiers]uint16
	// the tail's bits as written and the journal value it needs then
	// (seriesTiers.tailBits and pin)
	tailBits uint32
	pin      uint64
}

// Flush writes to Storage everything not written yet: metas of new series,
// the history chunks sealed since the last flush and the growing tail
// chunk (rewritten whole: same key), finished aggregate blocks and the open
// ones; then calls Storage.Enforce. It is what Serve runs every
// FlushInterval on its flusher goroutine and once more when it stops; it
// is safe from any goroutine (flushes run one at a time) and a no-op
// without Storage.
//
// What is written is collected under the read lock, and written outside
// it: ingestion goes on during the write. A failed Write is counted
// (pulseboard_tier_flush_failures_total) and returned; nothing is marked
// written, so the next flush tries the same data again (chunks that aged
// out of memory meanwhile are lost to storage, nothing else).
func (a *Aggregator) Flush() error {
	if a.opts.Storage == nil {
		return nil
	}
	a.flushMu.Lock()
	defer a.flushMu.Unlock()
	return a.flushLocked(false)
}

// flushLocked is Flush; the caller holds flushMu. full writes every tail
// the journal holds whole and empties the journal (WriteHistory's
// checkpoint: see there).
func (a *Aggregator) flushLocked(full bool) error {
	// The event log first: small, and what a restarted page misses most.
	evErr := a.flushEvents()
	a.mu.RLock()
	fb := a.st.collectFlush(full)
	a.mu.RUnlock()
	if fb.empty(a.st.journalFloor) {
		return evErr
	}
	var err error
	if js, ok := a.opts.Storage.(journalStorage); ok && a.st.journal {
		err = js.WriteJournaled(fb.metas, fb.blocks, fb.journal)
	} else {
		err = a.opts.Storage.Write(fb.metas, fb.blocks)
	}
	if err != nil {
		a.stats.flushFailures.Add(1)
		if !a.flushFailing {
			a.opts.Logger.Error("aggregator: writing to storage failed; the data stays in memory and is tried again", "err", err)
		}
		a.flushFailing = true
		a.mu.Lock()
		a.stats.tierShed.Add(uint64(a.st.shedUnwritten()))
		a.mu.Unlock()
		return fmt.Errorf("aggregator: flush: %w", err)
	}
	if a.flushFailing {
		a.opts.Logger.Info("aggregator: writing to storage works again")
		a.flushFailing = false
	}
	a.mu.Lock()
	a.st.markFlushed(&fb)
	for _, m := range fb.metas {
		a.persisted[m.Key] = struct{}{}
	}
	a.mu.Unlock()
	if err := a.opts.Storage.Enforce(); err != nil {
		a.stats.flushFailures.Add(1)
		return fmt.Errorf("aggregator: enforcing retention: %w", err)
	}
	return evErr
}

// flushLoop runs Flush every FlushInterval until ctx ends. Serve runs it on
// its own goroutine, so that a slow disk never holds up ingestion.
func (a *Aggregator) flushLoop(ctx context.Context) {
	t := time.NewTicker(a.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = a.Flush() // counted and logged by Flush
		}
	}
}

// startFlusher starts flushLoop for Serve and returns the function Serve
// defers: it stops the loop, waits for it and flushes once more, so that a
// clean stop loses nothing that was ingested. That last flush writes every
// tail whole and empties the journal: what a clean stop leaves is read by
// Blocks alone, and the next start has nothing to replay.
func (a *Aggregator) startFlusher(ctx context.Context) func() {
	if a.opts.Storage == nil {
		return func() {}
	}
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go pprof.Do(fctx, pprof.Labels("goroutine", "flusher"), func(fctx context.Context) {
		defer close(done)
		a.flushLoop(fctx)
	})
	return func() {
		cancel()
		<-done
		_ = a.flushFinal() // counted and logged by the flush
	}
}

// flushFinal is Serve's last flush: every open minute and hour closed into
// its block, every tail written whole, the journal emptied.
func (a *Aggregator) flushFinal() error {
	a.mu.Lock()
	for _, s := range a.st.all {
		if s.tiers != nil {
			s.closePeriods()
		}
	}
	a.mu.Unlock()
	a.flushMu.Lock()
	defer a.flushMu.Unlock()
	return a.flushLocked(true)
}

// collectFlush gathers what the next flush writes (full: see
// flushLocked). The caller holds the aggregator's lock (read is enough:
// nothing is changed).
func (st *store) collectFlush(full bool) flushBatch {
	fb := flushBatch{
		metas:  append([]storage.SeriesMeta(nil), st.retired.metas...),
		blocks: append([]storage.Block(nil), st.retired.blocks...),
	}
	fb.retiredMetas, fb.retiredBlocks = len(fb.metas), len(fb.blocks)
	// The tails the journal's replay rebuilt go whole with the first
	// flush, in the transaction that drops the values they came from.
	fb.blocks = append(fb.blocks, st.replayed...)
	fb.replayed = len(st.replayed)
	// Sized from the last flush: most flushes write about as much.
	fb.blocks = slices.Grow(fb.blocks, st.lastFlush.blocks)
	fb.marks = make([]flushMark, 0, st.lastFlush.marks)
	arena := make([]byte, 0, st.lastFlush.bytes)
	var jw journalWriter
	seq := st.journalSeq
	minPin := seq
	for _, s := range st.all {
		t := s.tiers
		if t == nil {
			continue
		}
		m := flushMark{s: s, rawFrom: t.rawFrom, rawLast: t.rawLast, tailBits: t.tailBits, pin: t.pin}
		changed := false
		if !t.metaWritten {
			fb.metas = append(fb.metas, storage.SeriesMeta{Key: s.key, Meta: encodeSeriesMeta(s)})
			m.meta, changed = true, true
		}
		if st.journal {
			if fb.blocks = collectRaw(fb.blocks, &arena, &jw, s, &m, seq, full); m.pin != t.pin || m.rawLast != t.rawLast {
				changed = true
			}
			if m.pin != 0 {
				minPin = min(minPin, m.pin)
			}
		} else if s.hist.tail != nil && s.last.t != t.rawLast {
			fb.blocks = appendRawBlocks(fb.blocks, &arena, s, t.rawFrom)
			m.rawFrom, m.rawLast = s.hist.tail.firstT, s.last.t
			changed = true
		}
		if len(t.done) > 0 {
			fb.blocks = append(fb.blocks, t.done...)
			m.done, changed = len(t.done), true
		}
		for tier := storage.Minute; tier < storage.NumTiers; tier++ {
			if b := &t.blocks[tier]; b.n > 0 && b.dirty {
				fb.blocks = append(fb.blocks, b.block(tier, s.key))
				m.openStart[tier], m.openN[tier] = b.start, b.n
				changed = true
			}
		}
		if changed {
			fb.marks = append(fb.marks, m)
		}
	}
	st.lastFlush.blocks, st.lastFlush.marks, st.lastFlush.bytes = len(fb.blocks), len(fb.marks), len(arena)
	if st.journal {
		fb.journal = storage.Journal{Seq: seq, Values: jw.done(), DropBelow: minPin}
	}
	return fb
}

// collectRaw adds to a journaled flush what s's raw history has not
// written: the chunks sealed since the last flush whole, and the tail's
// growth as a journal entry, or the tail whole when it has been pinned
// for journalSpan flushes or full is set (see journal.go). It notes in m
// what is then stored; seq is this flush's journal seq.
func collectRaw(dst []storage.Block, arena *[]byte, jw *journalWriter, s *series, m *flushMark, seq uint64, full bool) []storage.Block {
	t, tail := s.tiers, s.hist.tail
	if tail == nil {
		return dst
	}
	grew := s.last.t != t.rawLast
	sameTail := t.rawFrom == tail.firstT // the tail as stored is this chunk
	pinned := sameTail && t.pin != 0
	whole := full || pinned && seq-t.pin >= journalSpan
	if !grew && !(pinned && whole) {
		return dst
	}
	if !sameTail {
		dst = appendSealedBlocks(dst, arena, s, t.rawFrom)
	}
	m.rawFrom, m.rawLast, m.tailBits = tail.firstT, s.last.t, tail.w.nbits
	switch {
	case whole:
		dst = appendRawBlock(dst, arena, s.key, tail)
		m.pin = 0
	case sameTail:
		jw.add(s.key, tail, t.tailBits/8)
		if t.pin == 0 {
			m.pin = seq
		}
	default: // a new tail: all of it
		jw.add(s.key, tail, 0)
		m.pin = seq
	}
	return dst
}

// markFlushed notes that fb was written. The caller holds the lock.
func (st *store) markFlushed(fb *flushBatch) {
	// dropFirst clears what the shift leaves: a written block's data
	// (a flush's arena) must not stay reachable past the new length.
	st.retired.metas = dropFirst(st.retired.metas, fb.retiredMetas)
	st.retired.blocks = dropFirst(st.retired.blocks, fb.retiredBlocks)
	st.replayed = dropFirst(st.replayed, fb.replayed)
	if st.journal {
		if len(fb.journal.Values) > 0 {
			st.journalSeq++
		}
		st.journalFloor = fb.journal.DropBelow
	}
	for _, m := range fb.marks {
		t := m.s.tiers
		t.rawFrom, t.rawLast = m.rawFrom, m.rawLast
		t.tailBits, t.pin = m.tailBits, m.pin
		t.metaWritten = t.metaWritten || m.meta
		if m.done > 0 {
			t.done = dropFirst(t.done, m.done)
		}
		for tier := storage.Minute; tier < storage.NumTiers; tier++ {
			if b := &t.blocks[tier]; m.openN[tier] > 0 && b.start == m.openStart[tier] && b.n == m.openN[tier] {
				b.dirty = false
			}
		}
	}
}

// retire closes what a series leaving the store has open and keeps what it
// has not written yet for the next flush. The caller holds the lock.
func (st *store) retire(s *series) {
	t := s.tiers
	s.finishTiers()
	if !t.metaWritten {
		st.retired.metas = append(st.retired.metas, storage.SeriesMeta{Key: s.key, Meta: encodeSeriesMeta(s)})
	}
	// A tail the journal holds is written whole: once the series is gone
	// no pin keeps its journal values.
	if s.hist.tail != nil && (s.last.t != t.rawLast || t.pin != 0) {
		var arena []byte
		st.retired.blocks = appendRawBlocks(st.retired.blocks, &arena, s, t.rawFrom)
	}
	st.retired.blocks = append(st.retired.blocks, t.done...)
	t.done = nil
}

// Raw block data: the chunk stream with what decoding it needs besides
// Start (the chunk's first time).
//
//	byte     version (rawBlockVersion)
//	uvarint  samples n
//	uvarint  nbits
//	ceil(nbits/8) bytes of stream
const rawBlockVersion = 2

// appendRawBlocks appends the series' chunks that start at or after from,
// the tail included, as raw blocks (copies: the tail grows on). Their data
// is appended to *arena and sliced from it: one allocation serves a whole
// flush instead of one a series.
func appendRawBlocks(dst []storage.Block, arena *[]byte, s *series, from int64) []storage.Block {
	c := s.hist.head
	if t := s.hist.tail; t != nil && t.firstT <= from {
		c = t // the common case: only the tail is new
	}
	for ; c != nil; c = c.next {
		if c.firstT < from {
			continue
		}
		begin := len(*arena)
		*arena = appendRawBlockData(*arena, c)
		dst = append(dst, storage.Block{
			Tier: storage.Raw, Series: s.key, Start: c.firstT, End: c.lastT, Points: int(c.n),
			Data: (*arena)[begin:len(*arena):len(*arena)],
		})
	}
	return dst
}

// appendSealedBlocks is appendRawBlocks without the tail.
func appendSealedBlocks(dst []storage.Block, arena *[]byte, s *series, from int64) []storage.Block {
	for c := s.hist.head; c != nil && c != s.hist.tail; c = c.next {
		if c.firstT >= from {
			dst = appendRawBlock(dst, arena, s.key, c)
		}
	}
	return dst
}

// appendRawBlock appends chunk c of series key as a raw block, its data
// in *arena.
func appendRawBlock(dst []storage.Block, arena *[]byte, key uint64, c *chunk) []storage.Block {
	begin := len(*arena)
	*arena = appendRawBlockData(*arena, c)
	return append(dst, storage.Block{
		Tier: storage.Raw, Series: key, Start: c.firstT, End: c.lastT, Points: int(c.n),
		Data: (*arena)[begin:len(*arena):len(*arena)],
	})
}

// appendRawBlockData appends the raw block data of c to dst.
func appendRawBlockData(dst []byte, c *chunk) []byte {
	nbytes := (c.w.nbits + 7) / 8
	dst = append(dst, rawBlockVersion)
	dst = binary.AppendUvarint(dst, uint64(c.n))
	dst = binary.AppendUvarint(dst, uint64(c.w.nbits))
	return append(dst, c.w.b[:nbytes]...)
}

// parseRawBlock splits raw block data into its sample count, bit count and
// stream, checking the claims against the data before anything is decoded
// (a sample after the first costs at least one bit: a regular time costs
// none, an unchanged value one).
func parseRawBlock(data []byte) (n int, nbits uint32, stream []byte, err error) {
	if len(data) < 3 || data[0] != rawBlockVersion {
		return 0, 0, nil, errCorrupt
	}
	un, k1 := binary.Uvarint(data[1:])
	if k1 <= 0 || un == 0 || un > math.MaxUint16 {
		return 0, 0, nil, errCorrupt
	}
	ub, k2 := binary.Uvarint(data[1+k1:])
	if k2 <= 0 {
		return 0, 0, nil, errCorrupt
	}
	stream = data[1+k1+k2:]
	if ub > uint64(len(stream))*8 || (ub+7)/8 != uint64(len(stream)) || un > 1+ub {
		return 0, 0, nil, errCorrupt
	}
	return int(un), uint32(ub), stream, nil
}

// decodeRawBlock decodes a raw block whose first sample is at start.
func decodeRawBlock(data []byte, start int64) ([]point, error) {
	n, nbits, stream, err := parseRawBlock(data)
	if err != nil {
		return nil, err
	}
	return decodeChunk(stream, nbits, n, start)
}
