package storage

import (
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// The journal: what a flush adds to blocks still growing, written as a few
// large opaque values instead of one put per block (format version 3).
//
//	journal  seq(8) | part(4) → value (opaque: the aggregator's encoding)
//
// Rewriting every growing block whole under its key made each flush cost
// what was open, not what was new: at 100,000 series, 100,000 puts, their
// leaf pages copied and the pages allocated again every flush, about 40 %
// of the process. The aggregator instead journals the bytes added to each
// open block since the last flush (a few values of about a megabyte),
// writes a block whole once when it is sealed, and drops the journal's
// oldest values once no open block needs them. The store only keeps the
// values in key order and drops them when told; it never reads into them.

var bucketJournal = []byte("journal")

// Journal is what one write adds to the journal and drops from it, in the
// write's transaction. Values[i] is stored under (Seq, i); every value of
// a Seq below DropBelow is deleted (0 drops none). The caller picks Seq
// above every Seq it wrote before (Journal's newest plus one at start).
type Journal struct {
	Seq       uint64
	Values    [][]byte
	DropBelow uint64
}

func (j *Journal) empty() bool { return j == nil || len(j.Values) == 0 && j.DropBelow == 0 }

// WriteJournaled is Write with the journal's changes in the same
// transaction: metas, blocks, j.Values stored and the values below
// j.DropBelow deleted, all or nothing, fsynced when it returns nil. Called
// by the aggregator's flusher; serialised with Write, Replace and Enforce.
// Values are not retained. Errors as for Write (ErrInvalidBlock also for
// a value over 256 MiB or more than 2³² values).
func (db *DB) WriteJournaled(series []SeriesMeta, blocks []Block, j Journal) error {
	if err := validate(series, blocks); err != nil {
		return err
	}
	if uint64(len(j.Values)) > 1<<32 {
		return fmt.Errorf("%w: %d journal values", ErrInvalidBlock, len(j.Values))
	}
	for _, v := range j.Values {
		if len(v) > maxValue {
			return fmt.Errorf("%w: journal value of %d bytes", ErrInvalidBlock, len(v))
		}
	}
	return db.commitJournaled(series, nil, blocks, &j, func() string {
		return fmt.Sprintf("write %d series, %d blocks, %d journal values to", len(series), len(blocks), len(j.Values))
	})
}

// JournalEntry is one stored journal value, for ReadJournal.
type JournalEntry struct {
	Seq   uint64
	Part  uint32
	Value []byte
}

// ReadJournal calls fn with every journal value in key order (Seq, then
// Part) until fn returns false. Value points into the mapped file: it is
// valid only inside fn, which must not call Write, Enforce or Close.
// Called once at start (the aggregator's Restore); safe beside writes.
// Errors: ErrClosed, ErrCorrupt (a key that is not seq | part).
func (db *DB) ReadJournal(fn func(JournalEntry) bool) error {
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketJournal).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) != 12 || v == nil {
				return fmt.Errorf("%w: journal key %x", ErrCorrupt, k)
			}
			e := JournalEntry{Seq: binary.BigEndian.Uint64(k), Part: binary.BigEndian.Uint32(k[8:]), Value: v}
			if !callUserJournal(fn, e) {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: read the journal: %w", err)
	}
	return nil
}

// callUserJournal is callUser for ReadJournal's fn.
func callUserJournal(fn func(JournalEntry) bool, e JournalEntry) bool {
	defer func() {
		if p := recover(); p != nil {
			panic(userPanic{p})
		}
	}()
	return fn(e)
}

func journalKey(seq uint64, part uint32) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 12), seq)
	return binary.BigEndian.AppendUint32(k, part)
}

// writeJournal applies j in tx and returns the journal's bytes (keys and
// values) after it, from before (the committed figure). Deletion walks
// from the oldest key and stops at the first kept one: its cost is what
// it drops.
func writeJournal(tx *bolt.Tx, j *Journal, before int64) (int64, error) {
	b := tx.Bucket(bucketJournal)
	bytes := before
	if j.DropBelow > 0 {
		var drop [][]byte
		c := b.Cursor()
		for k, v := c.First(); len(k) >= 8 && binary.BigEndian.Uint64(k) < j.DropBelow; k, v = c.Next() {
			drop = append(drop, slices.Clone(k))
			bytes -= int64(len(k) + len(v))
		}
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return 0, err
			}
		}
	}
	for i, v := range j.Values {
		k := journalKey(j.Seq, uint32(i))
		if old := b.Get(k); old != nil {
			bytes -= int64(len(k) + len(old))
		}
		if err := b.Put(k, v); err != nil { // v outlives the commit: this call's

			return 0, err
		}
		bytes += int64(len(k) + len(v))
	}
	return bytes, nil
}

// journalBytes sums the journal's keys and values (Open: the journal is
// bounded, a few flushes' worth).
func journalBytes(tx *bolt.Tx) (int64, string) {
	var n int64
	c := tx.Bucket(bucketJournal).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 12 || v == nil {
			return 0, fmt.Sprintf("journal holds a stray key %x", k)
		}
		n += int64(len(k) + len(v))
	}
	return n, ""
}
