package storage

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// maxValue bounds one block's or one series meta's bytes, well inside
// bbolt's value limit.
const maxValue = 256 << 20

// partRef names one partition: its tier and start (ms).
type partRef struct {
	tier  Tier
	start int64
}

// Write stores series metas and blocks in ONE transaction: all of it is
// on disk (fsynced) when it returns nil, none of it when it returns an
// error. A meta replaces the one stored under its Key; a block replaces
// the one with the same Tier, Series and Start. Called by the
// aggregator's flusher, on any goroutine; Writes are serialised. Block
// slices are not retained.
//
// Errors: ErrInvalidBlock (the input; nothing stored, not degraded),
// ErrClosed, or the file's error (ENOSPC, EROFS, EIO, ErrCorrupt), which
// marks the DB degraded until a later Write or Enforce succeeds. Every
// call is observed in pulseboard_storage_flush_seconds.
func (db *DB) Write(series []SeriesMeta, blocks []Block) error {
	if err := validate(series, blocks); err != nil {
		return err
	}
	return db.commit(series, nil, blocks, func() string {
		return fmt.Sprintf("write %d series, %d blocks to", len(series), len(blocks))
	})
}

// commit removes the blocks named by remove and stores series and blocks
// in one transaction, under the write lock (Write and Replace); nothing
// to do is no transaction, no fsync (an idle flush). what says what the
// call was, for its error: "write 3 series, 2 blocks to", then the path.
func (db *DB) commit(series []SeriesMeta, remove []BlockRef, blocks []Block, what func() string) error {
	return db.commitJournaled(series, remove, blocks, nil, what)
}

// commitJournaled is commit with the journal's changes j (nil: none) in
// the same transaction.
func (db *DB) commitJournaled(series []SeriesMeta, remove []BlockRef, blocks []Block, j *Journal, what func() string) error {
	if len(series) == 0 && len(remove) == 0 && len(blocks) == 0 && j.empty() {
		return nil
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed {
		return ErrClosed
	}
	began := time.Now()
	var changed map[partRef]partition
	jbytes := db.journal
	err := db.update(func(tx *bolt.Tx) error {
		var err error
		if len(remove) > 0 {
			if changed, err = db.remove(tx, remove); err != nil {
				return err
			}
		}
		if changed, err = db.write(tx, series, blocks, changed); err != nil {
			return err
		}
		if !j.empty() {
			jbytes, err = writeJournal(tx, j, jbytes)
		}
		return err
	})
	db.flushSeconds.Observe(time.Since(began).Seconds())
	db.noteWrite(err)
	if err != nil {
		return fmt.Errorf("storage: %s %s: %w", what(), db.path, err)
	}
	db.install(changed, nil)
	db.mu.Lock()
	db.journal = jbytes
	db.mu.Unlock()
	return nil
}

func validate(series []SeriesMeta, blocks []Block) error {
	for _, s := range series {
		if len(s.Meta) > maxValue {
			return fmt.Errorf("%w: series %d: meta of %d bytes", ErrInvalidBlock, s.Key, len(s.Meta))
		}
	}
	for i := range blocks {
		b := &blocks[i]
		switch {
		case b.Tier >= NumTiers:
			return fmt.Errorf("%w: series %d: unknown %s", ErrInvalidBlock, b.Series, b.Tier)
		case b.Start < 0 || b.End < b.Start || b.End > maxTime:
			return fmt.Errorf("%w: series %d: span [%d, %d] ms", ErrInvalidBlock, b.Series, b.Start, b.End)
		case b.Points < 0 || b.Points > math.MaxInt32:
			return fmt.Errorf("%w: series %d: %d points", ErrInvalidBlock, b.Series, b.Points)
		case len(b.Data) > maxValue:
			return fmt.Errorf("%w: series %d: %d bytes of data", ErrInvalidBlock, b.Series, len(b.Data))
		}
	}
	return nil
}

// write puts metas and blocks in tx and returns the partitions' new
// totals, installed once tx commits. The caller holds wmu, so db.parts
// is the committed state.
//
// Every bucket is written in key order. The aggregator's series keys are
// hashes, so a flush comes in no order, and bbolt splits a node only at
// commit: puts in random order into a fresh bucket (a start's first flush,
// a new partition) each shift the one growing node, which made a flush of
// 100,000 new series take minutes of memmove (BenchmarkWriteHashedKeys).
// In key order each put appends. changed holds the totals this
// transaction changed already (Replace's removals); nil is none.
func (db *DB) write(tx *bolt.Tx, series []SeriesMeta, blocks []Block, changed map[partRef]partition) (map[partRef]partition, error) {
	seen := make(map[uint64]int64, len(series)+len(blocks)/2)
	now := db.now().UnixMilli()
	sb := tx.Bucket(bucketSeries)
	metas := slices.SortedFunc(slices.Values(series), func(a, b SeriesMeta) int { return cmp.Compare(a.Key, b.Key) })
	for _, s := range metas {
		if err := sb.Put(u64Key(s.Key), slices.Clone(s.Meta)); err != nil {
			return nil, err
		}
		seen[s.Key] = max(seen[s.Key], now)
	}
	if changed == nil {
		changed = make(map[partRef]partition)
	}
	buckets := make(map[partRef]*bolt.Bucket)
	for _, i := range keyOrder(blocks) {
		b := &blocks[i]
		ref := partRef{b.Tier, partitionOf(b.Tier, b.Start)}
		pb := buckets[ref]
		if pb == nil {
			var err error
			pb, err = tx.Bucket(tierBuckets[b.Tier]).CreateBucketIfNotExists(u64Key(uint64(ref.start)))
			if err != nil {
				return nil, err
			}
			buckets[ref] = pb
		}
		p, ok := changed[ref]
		if !ok {
			p = db.partition(ref)
		}
		key, val := blockKey(b.Series, b.Start), encodeBlockValue(b)
		if old := pb.Get(key); old != nil {
			prev := Block{Start: b.Start}
			if err := decodeBlockValue(old, &prev); err != nil {
				return nil, fmt.Errorf("%w: block %s/%d/%d: %v", ErrCorrupt, b.Tier, b.Series, b.Start, err)
			}
			p.bytes -= int64(len(key) + len(old))
			p.points -= int64(prev.Points)
			p.blocks--
		}
		if err := pb.Put(key, val); err != nil {
			return nil, err
		}
		if p.blocks <= 0 {
			p.minStart, p.maxEnd = b.Start, b.End
		}
		p.bytes += int64(len(key) + len(val))
		p.points += int64(b.Points)
		p.blocks++
		p.minStart, p.maxEnd = min(p.minStart, b.Start), max(p.maxEnd, b.End)
		changed[ref] = p
		seen[b.Series] = max(seen[b.Series], b.End)
	}
	pb := tx.Bucket(bucketParts)
	for ref, p := range changed {
		if err := pb.Put(partKey(ref.tier, ref.start), encodePartition(p)); err != nil {
			return nil, err
		}
	}
	return changed, markSeen(tx.Bucket(bucketSeen), seen)
}

// markSeen raises each series' newest time (ms): the retention sweep
// drops a series once every tier has dropped past it.
func markSeen(b *bolt.Bucket, seen map[uint64]int64) error {
	for _, s := range slices.Sorted(maps.Keys(seen)) { // in key order: see write
		t := seen[s]
		k := u64Key(s)
		if old := b.Get(k); len(old) == 8 && int64(binary.BigEndian.Uint64(old)) >= t {
			continue
		}
		if err := b.Put(k, u64Key(uint64(t))); err != nil {
			return err
		}
	}
	return nil
}

// keyOrder is the indexes of blocks in the order of their keys in the
// file: by tier, partition, series, start.
func keyOrder(blocks []Block) []int32 {
	order := make([]int32, len(blocks))
	for i := range order {
		order[i] = int32(i)
	}
	// Stable: of two blocks with one key, the later one wins, as in the input.
	slices.SortStableFunc(order, func(i, j int32) int {
		a, b := &blocks[i], &blocks[j]
		return cmp.Or(cmp.Compare(a.Tier, b.Tier), cmp.Compare(partitionOf(a.Tier, a.Start), partitionOf(b.Tier, b.Start)),
			cmp.Compare(a.Series, b.Series), cmp.Compare(a.Start, b.Start))
	})
	return order
}

// partition is the committed totals of ref, or an empty partition. The
// caller holds wmu.
func (db *DB) partition(ref partRef) partition {
	ps := db.parts[ref.tier]
	if i, ok := slices.BinarySearchFunc(ps, ref.start, cmpStart); ok {
		return ps[i]
	}
	return partition{start: ref.start}
}

func cmpStart(p partition, start int64) int {
	switch {
	case p.start < start:
		return -1
	case p.start > start:
		return 1
	}
	return 0
}

// install applies a committed transaction's partition changes to the
// mirror: changed partitions replace or join their tier's list, dropped
// ones leave it. The caller holds wmu.
func (db *DB) install(changed map[partRef]partition, dropped []partRef) {
	db.mu.Lock()
	defer db.mu.Unlock()
	for ref, p := range changed {
		ps := db.parts[ref.tier]
		if i, ok := slices.BinarySearchFunc(ps, ref.start, cmpStart); ok {
			ps[i] = p
		} else {
			db.parts[ref.tier] = slices.Insert(ps, i, p)
		}
	}
	for _, ref := range dropped {
		ps := db.parts[ref.tier]
		if i, ok := slices.BinarySearchFunc(ps, ref.start, cmpStart); ok {
			db.parts[ref.tier] = slices.Delete(ps, i, i+1)
		}
	}
}
