package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Series returns every series written and not yet dropped by retention,
// ascending by Key, with Meta copied out of the file. Called at start-up
// to restore the history; safe beside writes. Errors: ErrClosed,
// ErrCorrupt.
func (db *DB) Series() ([]SeriesMeta, error) {
	var out []SeriesMeta
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSeries).ForEach(func(k, v []byte) error {
			key, err := decodeU64Key(k)
			if err != nil {
				return fmt.Errorf("%w: series key %x", ErrCorrupt, k)
			}
			out = append(out, SeriesMeta{Key: key, Meta: bytes.Clone(v)})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("storage: read series: %w", err)
	}
	return out, nil
}

// Blocks calls fn with each block of one series in tier t whose span
// [Start, End] overlaps [from, to] (ms, inclusive), ascending by Start,
// until fn returns false. Block.Data points into the mapped file: it is
// valid only inside fn (copy what outlives it), and fn must not call
// Write, Enforce or Close (a read transaction is open). It sees every
// Write that returned before it began. Errors: ErrClosed, ErrCorrupt, an
// unknown tier; a panic of fn goes on up.
func (db *DB) Blocks(t Tier, series uint64, from, to int64, fn func(Block) bool) error {
	if t >= NumTiers {
		return fmt.Errorf("storage: read blocks: unknown %s", t)
	}
	if from > to {
		return nil
	}
	starts := db.overlapping(t, from, to)
	if len(starts) == 0 {
		return nil
	}
	prefix := u64Key(series)
	err := db.view(func(tx *bolt.Tx) error {
		tb := tx.Bucket(tierBuckets[t])
		for _, start := range starts {
			pb := tb.Bucket(u64Key(uint64(start)))
			if pb == nil {
				continue // dropped by retention since the list was taken
			}
			more, err := scanPartition(pb.Cursor(), t, series, prefix, from, to, fn)
			if err != nil || !more {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: read %s blocks of series %d: %w", t, series, err)
	}
	return nil
}

// overlapping lists the starts (ms, ascending) of tier t's partitions
// that may hold a block overlapping [from, to].
func (db *DB) overlapping(t Tier, from, to int64) []int64 {
	db.mu.Lock()
	defer db.mu.Unlock()
	var starts []int64
	for _, p := range db.parts[t] {
		if p.start > to {
			break
		}
		if p.maxEnd >= from && p.minStart <= to {
			starts = append(starts, p.start)
		}
	}
	return starts
}

// scanPartition walks one series' blocks in one partition; more is false
// once fn asked to stop or the blocks passed to.
func scanPartition(c *bolt.Cursor, t Tier, series uint64, prefix []byte, from, to int64, fn func(Block) bool) (more bool, err error) {
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		_, start, err := decodeBlockKey(k)
		if err != nil {
			return false, fmt.Errorf("%w: block key %x", ErrCorrupt, k)
		}
		if start > to {
			return false, nil
		}
		b := Block{Tier: t, Series: series, Start: start}
		if err := decodeBlockValue(v, &b); err != nil {
			return false, fmt.Errorf("%w: block %s/%d/%d", ErrCorrupt, t, series, start)
		}
		if b.End < from {
			continue
		}
		if !callUser(fn, b) {
			return false, nil
		}
	}
	return true, nil
}

// callUser calls fn, marking its panic so that guard passes it on.
func callUser(fn func(Block) bool, b Block) bool {
	defer func() {
		if p := recover(); p != nil {
			panic(userPanic{p})
		}
	}()
	return fn(b)
}

// seenAt decodes a seen record (ms).
func seenAt(v []byte) (int64, bool) {
	if len(v) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(v)), true
}
