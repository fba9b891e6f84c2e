package aggregator

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// chunkRef names a raw chunk: its series and first time.
type chunkRef struct {
	key    uint64
	firstT int64
}

// replayJournal rebuilds the tails the journal holds (see journal.go) of
// the series in stored (the series Storage lists: the journal of a series
// retention dropped is ignored), sets the next journal seq past every
// stored one, and returns the rebuilt tails by series, ascending Start,
// for Restore to read in place of (or after) the stored blocks; they are
// also queued for the first flush to write whole. A value that does not
// decode, and a chunk whose entries do not rebuild a stream that decodes,
// are skipped, logged and counted (pulseboard_storage_journal_skipped_total).
// Restore calls it first, before anything is ingested; an error is
// Storage's (reading the journal or a block).
func (a *Aggregator) replayJournal(stored map[uint64]bool) (map[uint64][]storage.Block, error) {
	js, ok := a.opts.Storage.(journalStorage)
	if !ok || !a.st.journal {
		return nil, nil
	}
	byChunk := map[chunkRef][]journalEntry{}
	var maxSeq uint64
	skipped := 0
	err := js.ReadJournal(func(je storage.JournalEntry) bool {
		maxSeq = max(maxSeq, je.Seq)
		// One copy of the value: its entries alias it past the callback.
		es, err := decodeJournal(bytes.Clone(je.Value))
		if err != nil {
			skipped++
			return true
		}
		for _, e := range es {
			if stored[e.key] {
				r := chunkRef{e.key, e.firstT}
				byChunk[r] = append(byChunk[r], e)
			}
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("aggregator: restore: reading the journal: %w", err)
	}
	a.mu.Lock()
	a.st.journalSeq = max(a.st.journalSeq, maxSeq+1)
	a.mu.Unlock()
	refs := slices.SortedFunc(func(yield func(chunkRef) bool) {
		for r := range byChunk {
			if !yield(r) {
				return
			}
		}
	}, func(x, y chunkRef) int { return cmp.Or(cmp.Compare(x.key, y.key), cmp.Compare(x.firstT, y.firstT)) })
	out := map[uint64][]storage.Block{}
	var rebuilt []storage.Block
	for _, r := range refs {
		b, ok, err := a.rebuildTail(r, byChunk[r])
		if err != nil {
			return nil, err
		}
		if !ok {
			skipped++
			continue
		}
		if b.Data != nil {
			out[r.key] = append(out[r.key], b)
			rebuilt = append(rebuilt, b)
		}
	}
	if skipped > 0 {
		a.stats.journalSkipped.Add(uint64(skipped))
		a.opts.Logger.Warn("aggregator: restore: journal values or tails that do not decode were skipped; those tails keep what was written of them whole",
			"skipped", skipped)
	}
	a.mu.Lock()
	a.st.replayed = rebuilt
	a.mu.Unlock()
	return out, nil
}

// rebuildTail applies a chunk's journal entries, in order, to its stored
// block (none: an empty stream). b.Data is nil when the stored block is
// as new as the entries; ok is false when they rebuild a stream that does
// not decode.
func (a *Aggregator) rebuildTail(r chunkRef, es []journalEntry) (b storage.Block, ok bool, err error) {
	st := tailState{}
	err = a.opts.Storage.Blocks(storage.Raw, r.key, r.firstT, r.firstT, func(sb storage.Block) bool {
		if sb.Start != r.firstT {
			return true
		}
		if n, nbits, stream, perr := parseRawBlock(sb.Data); perr == nil {
			st = tailState{n: uint16(n), nbits: nbits, stream: slices.Clone(stream), stored: true}
		}
		return true
	})
	if err != nil {
		return b, false, fmt.Errorf("aggregator: restore: reading series %s: %w", formatID(r.key), err)
	}
	for _, e := range es {
		st.apply(e)
	}
	if st.stored || st.n == 0 {
		return b, true, nil
	}
	data := []byte{rawBlockVersion}
	data = binary.AppendUvarint(data, uint64(st.n))
	data = binary.AppendUvarint(data, uint64(st.nbits))
	data = append(data, st.stream...)
	b = storage.Block{Tier: storage.Raw, Series: r.key, Start: r.firstT, Points: int(st.n), Data: data}
	c, _, _, cerr := chunkFromBlock(b)
	if cerr != nil {
		return storage.Block{}, false, nil
	}
	b.End = c.lastT
	return b, true, nil
}

// withReplayed calls fn with the stored blocks of a series as Blocks
// lists them, a rebuilt tail in place of the stored block of its start or
// in its order among them.
func withReplayed(blocks func(fn func(storage.Block) bool) error, rebuilt []storage.Block, fn func(storage.Block) bool) error {
	i := 0
	more := true
	err := blocks(func(b storage.Block) bool {
		for ; i < len(rebuilt) && rebuilt[i].Start <= b.Start; i++ {
			if more = fn(rebuilt[i]); !more {
				return false
			}
			if rebuilt[i].Start == b.Start {
				i++
				return true // the stored one is older
			}
		}
		more = fn(b)
		return more
	})
	for ; err == nil && more && i < len(rebuilt); i++ {
		more = fn(rebuilt[i])
	}
	return err
}
