package storage

import (
	"errors"
	"fmt"
	"math"
	"slices"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Enforce drops, per tier, the partitions that retention no longer keeps,
// in one transaction: every partition whose newest block ended before
// Now minus the tier's Limit.Time, then the oldest partitions while the
// tier holds more than Limit.Size bytes (keys and values of its blocks).
// The newest partition of a tier is never dropped for size, so a limit
// below one partition's bytes keeps one partition. Series with no block
// left in any tier are dropped with them. Retention is exact to one
// partition: an hour of raw, a day of 1m, 30 days of 1h.
//
// Called by the flusher after each Write, on any goroutine; cheap when
// nothing is due (no transaction). Errors as for Write: a failed drop
// marks the DB degraded and counts in flush_errors_total.
func (db *DB) Enforce() error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed {
		return ErrClosed
	}
	dropped, horizon := db.plan(db.now().UnixMilli())
	if len(dropped) == 0 {
		return nil
	}
	swept := 0
	err := db.update(func(tx *bolt.Tx) error {
		parts := tx.Bucket(bucketParts)
		for _, ref := range dropped {
			err := tx.Bucket(tierBuckets[ref.tier]).DeleteBucket(u64Key(uint64(ref.start)))
			if err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return err
			}
			if err := parts.Delete(partKey(ref.tier, ref.start)); err != nil {
				return err
			}
		}
		var err error
		swept, err = sweepSeries(tx, horizon)
		return err
	})
	db.noteWrite(err)
	if err != nil {
		return fmt.Errorf("storage: retention drop of %d partitions in %s: %w", len(dropped), db.path, err)
	}
	db.install(nil, dropped)
	db.log.Debug("storage: retention dropped partitions", "partitions", len(dropped), "series", swept)
	return nil
}

// plan lists the partitions retention drops at now (ms) and the horizon
// (ms) before which a series has no block left in any tier: the oldest
// kept partition's start over the tiers, an empty tier counting with its
// time cutoff (math.MinInt64 when nothing bounds it: no sweep). A series
// last written before it can only have had blocks in dropped partitions.
// The caller holds wmu.
func (db *DB) plan(now int64) (dropped []partRef, horizon int64) {
	horizon = math.MaxInt64
	for t := range NumTiers {
		lim := db.retention[t]
		ps := db.parts[t]
		keep := make([]bool, len(ps))
		var size int64
		for i, p := range ps {
			keep[i] = lim.Time <= 0 || p.maxEnd >= now-lim.Time.Milliseconds()
			if keep[i] {
				size += p.bytes
			}
		}
		for i := range ps {
			if lim.Size <= 0 || size <= lim.Size || i == len(ps)-1 {
				break
			}
			if keep[i] {
				keep[i] = false
				size -= ps[i].bytes
			}
		}
		kept := false
		for i, p := range ps {
			if !keep[i] {
				dropped = append(dropped, partRef{t, p.start})
			} else if !kept {
				kept, horizon = true, min(horizon, p.start)
			}
		}
		if !kept && lim.Time > 0 {
			// An empty tier holds no series back; its cutoff still
			// spares a meta written lately whose blocks are to come.
			horizon = min(horizon, now-lim.Time.Milliseconds())
		}
	}
	if horizon == math.MaxInt64 {
		horizon = math.MinInt64
	}
	return dropped, horizon
}

// sweepSeries deletes the metas of the series last written before
// horizon (ms): every block they had was in a dropped partition.
func sweepSeries(tx *bolt.Tx, horizon int64) (int, error) {
	var gone [][]byte
	seen := tx.Bucket(bucketSeen)
	err := seen.ForEach(func(k, v []byte) error {
		at, ok := seenAt(v)
		if !ok {
			return fmt.Errorf("%w: seen record of %x", ErrCorrupt, k)
		}
		if at < horizon {
			gone = append(gone, slices.Clone(k))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	series := tx.Bucket(bucketSeries)
	for _, k := range gone {
		if err := seen.Delete(k); err != nil {
			return 0, err
		}
		if err := series.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(gone), nil
}
