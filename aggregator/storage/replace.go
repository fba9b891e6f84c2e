package storage

import (
	"cmp"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// BlockRef names one stored block: its tier, series and start (Unix ms).
type BlockRef struct {
	Tier   Tier
	Series uint64
	Start  int64
}

// Replace removes the blocks named by remove and stores series metas and
// blocks, all in ONE transaction: a reader sees the old blocks or the new
// ones, never a mix. It is how history that arrives late (a cluster
// peer's backfill) is merged into what is stored: the caller reads the
// blocks a period holds, merges its points in and hands back the merged
// blocks with the old ones to remove (a merged block may start earlier
// than the one it replaces, so it is not always the same key). A named
// block that is not stored is no error; a block both removed and written
// is written. A series' blocks in a tier must still not overlap once the
// call is done (see Blocks): that is the caller's to keep.
//
// Called by the aggregator's history writer, on any goroutine;
// serialised with Write and Enforce. Errors as for Write (ErrInvalidBlock
// also for a ref of an unknown tier or a negative start).
func (db *DB) Replace(series []SeriesMeta, remove []BlockRef, blocks []Block) error {
	if err := validate(series, blocks); err != nil {
		return err
	}
	for _, r := range remove {
		if r.Tier >= NumTiers || r.Start < 0 || r.Start > maxTime {
			return fmt.Errorf("%w: remove series %d: %s block at %d ms", ErrInvalidBlock, r.Series, r.Tier, r.Start)
		}
	}
	return db.commit(series, remove, blocks, func() string {
		return fmt.Sprintf("replace %d blocks with %d in", len(remove), len(blocks))
	})
}

// remove deletes the named blocks from tx and returns the partitions'
// totals less them. A partition's span (minStart, maxEnd) is left as it
// was: it only bounds where reads look, and a wider one costs a look.
// The caller holds wmu.
func (db *DB) remove(tx *bolt.Tx, refs []BlockRef) (map[partRef]partition, error) {
	changed := make(map[partRef]partition)
	refs = slices.SortedFunc(slices.Values(refs), func(a, b BlockRef) int {
		return cmp.Or(cmp.Compare(a.Tier, b.Tier), cmp.Compare(a.Series, b.Series), cmp.Compare(a.Start, b.Start))
	})
	for _, r := range refs {
		ref := partRef{r.Tier, partitionOf(r.Tier, r.Start)}
		pb := tx.Bucket(tierBuckets[r.Tier]).Bucket(u64Key(uint64(ref.start)))
		if pb == nil {
			continue
		}
		key := blockKey(r.Series, r.Start)
		old := pb.Get(key)
		if old == nil {
			continue
		}
		prev := Block{Start: r.Start}
		if err := decodeBlockValue(old, &prev); err != nil {
			return nil, fmt.Errorf("%w: block %s/%d/%d: %v", ErrCorrupt, r.Tier, r.Series, r.Start, err)
		}
		p, ok := changed[ref]
		if !ok {
			p = db.partition(ref)
		}
		p.bytes -= int64(len(key) + len(old))
		p.points -= int64(prev.Points)
		p.blocks--
		if err := pb.Delete(key); err != nil {
			return nil, err
		}
		changed[ref] = p
	}
	return changed, nil
}
