package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

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
//
// It reads the pages of the blocks it returns and of one block before
// them, not the series' earlier blocks: the first block is found by
// seeking to from and stepping back once. That relies on a series' blocks
// in a tier not overlapping each other (each starting after the one
// before ends), which the aggregator's chunks and aggregate periods never
// do; of blocks that do overlap, one starting before the newest block
// that starts at or before from is not returned.
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
	// The partitions that may hold a block starting at or before from,
	// and the key of the first block starting after it.
	before, _ := slices.BinarySearch(starts, from+1)
	after := blockKey(series, min(max(from, -1), maxTime)+1)
	prefix := after[:8]
	err := db.view(func(tx *bolt.Tx) error {
		tb := tx.Bucket(tierBuckets[t])
		more, err := blockAt(tb, starts[:before], t, series, after, from, fn)
		if err != nil || !more {
			return err
		}
		for i := max(before-1, 0); i < len(starts); i++ {
			pb := tb.Bucket(u64Key(uint64(starts[i])))
			if pb == nil {
				continue // dropped by retention since the list was taken
			}
			more, err := scanPartition(pb.Cursor(), t, series, prefix, after, to, fn)
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

// blockAt calls fn with the series' newest block starting at or before
// from (the key after is series | from+1) if it reaches from, looking in
// the partitions starts (ascending) from the newest down to the first that
// holds a block of the series starting there or earlier: a series' blocks
// do not overlap, so no earlier block reaches from. more is false once fn
// asked to stop.
func blockAt(tb *bolt.Bucket, starts []int64, t Tier, series uint64, after []byte, from int64, fn func(Block) bool) (more bool, err error) {
	for i := len(starts) - 1; i >= 0; i-- {
		pb := tb.Bucket(u64Key(uint64(starts[i])))
		if pb == nil {
			continue
		}
		c := pb.Cursor()
		var k, v []byte
		if k, _ = c.Seek(after); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		if k == nil || !bytes.HasPrefix(k, after[:8]) {
			continue
		}
		b, err := decodeBlock(t, series, k, v)
		if err != nil {
			return false, err
		}
		if b.End < from {
			return true, nil
		}
		return callUser(fn, b), nil
	}
	return true, nil
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

// scanPartition walks one series' blocks in one partition from the key
// seek on; more is false once fn asked to stop or the blocks passed to.
func scanPartition(c *bolt.Cursor, t Tier, series uint64, prefix, seek []byte, to int64, fn func(Block) bool) (more bool, err error) {
	for k, v := c.Seek(seek); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		b, err := decodeBlock(t, series, k, v)
		if err != nil {
			return false, err
		}
		if b.Start > to {
			return false, nil
		}
		if !callUser(fn, b) {
			return false, nil
		}
	}
	return true, nil
}

// decodeBlock decodes a stored block of series in tier t.
func decodeBlock(t Tier, series uint64, k, v []byte) (Block, error) {
	_, start, err := decodeBlockKey(k)
	if err != nil {
		return Block{}, fmt.Errorf("%w: block key %x", ErrCorrupt, k)
	}
	b := Block{Tier: t, Series: series, Start: start}
	if err := decodeBlockValue(v, &b); err != nil {
		return Block{}, fmt.Errorf("%w: block %s/%d/%d", ErrCorrupt, t, series, start)
	}
	return b, nil
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
