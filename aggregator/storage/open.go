package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// openChecked opens db.path and checks its layout. A file that is not a
// store of this format comes back as a non-empty reason (the file
// closed); a lock held elsewhere as berrors.ErrTimeout; anything else as err.
// On success db.bolt and db.parts are set.
func (db *DB) openChecked(timeout time.Duration) (reason string, err error) {
	var file *os.File
	opts := &bolt.Options{
		Timeout:      timeout,
		FreelistType: bolt.FreelistMapType,
		// Kept so that a panic inside bolt.Open (a damaged freelist, a
		// page past the end of a truncated file) does not leave the
		// file open and locked.
		OpenFile: func(name string, flag int, mode os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, mode)
			file = f
			return f, err
		},
	}
	var bdb *bolt.DB
	err = guard(func() error {
		var err error
		bdb, err = bolt.Open(db.path, 0o600, opts)
		return err
	})
	switch {
	case errors.Is(err, ErrCorrupt):
		if file != nil {
			_ = file.Close()
		}
		return strings.TrimPrefix(err.Error(), "storage: "), nil
	case err != nil:
		if isDamagedHeader(err) {
			return "not a bbolt file, or its header is damaged: " + err.Error(), nil
		}
		return "", err
	}
	l, reason, err := loadLayout(bdb, db.path)
	if err != nil || reason != "" {
		_ = bdb.Close()
		return reason, err
	}
	db.bolt, db.parts, db.journal = bdb, l.parts, l.journal
	return "", nil
}

// isDamagedHeader tells bolt.Open's "this is not a readable bbolt file"
// errors from the others (permissions, a read-only disk, the lock).
func isDamagedHeader(err error) bool {
	return errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) ||
		errors.Is(err, berrors.ErrVersionMismatch) || strings.Contains(err.Error(), "file size too small")
}

// layout is what Open reads of a store besides bbolt's own structure.
type layout struct {
	parts   [NumTiers][]partition
	journal int64 // the journal's bytes
	upgrade bool  // a version 2 file: Open adds the journal bucket
}

// loadLayout checks that bdb holds this format (initialising an empty
// file, upgrading a version 2 one) and reads every partition record. It
// walks buckets, partition records and the journal, not blocks: its cost
// grows with the number of partitions.
func loadLayout(bdb *bolt.DB, path string) (l layout, reason string, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return l, "", err
	}
	empty := false
	err = guard(func() error {
		return bdb.View(func(tx *bolt.Tx) error {
			if tx.Size() > info.Size() {
				reason = fmt.Sprintf("truncated: the file has %d bytes, its pages reach %d", info.Size(), tx.Size())
				return nil
			}
			if tx.Bucket(bucketMeta) == nil {
				first, _ := tx.Cursor().First()
				empty = first == nil
				if !empty {
					reason = "not a pulseboard store (no meta bucket)"
				}
				return nil
			}
			l, reason = readLayout(tx)
			return nil
		})
	})
	if errors.Is(err, ErrCorrupt) {
		return l, strings.TrimPrefix(err.Error(), "storage: "), nil
	}
	if err != nil || reason != "" {
		return l, reason, err
	}
	switch {
	case empty:
		return l, "", bdb.Update(initLayout)
	case l.upgrade:
		return l, "", bdb.Update(upgradeLayout)
	}
	return l, "", nil
}

// upgradeLayout makes a version 2 file version 3: an empty journal.
func upgradeLayout(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketJournal); err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(keyVersion, binary.BigEndian.AppendUint32(nil, formatVersion))
}

func initLayout(tx *bolt.Tx) error {
	names := [][]byte{bucketMeta, bucketSeries, bucketSeen, bucketParts, bucketJournal}
	for _, n := range append(names, tierBuckets[:]...) {
		if _, err := tx.CreateBucket(n); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMeta).Put(keyVersion, binary.BigEndian.AppendUint32(nil, formatVersion))
}

// readLayout checks the version and the buckets of an existing store and
// reads its partition records; a non-empty reason says what is wrong.
func readLayout(tx *bolt.Tx) (l layout, reason string) {
	v := tx.Bucket(bucketMeta).Get(keyVersion)
	if len(v) != 4 {
		return l, "no format version in the meta bucket"
	}
	ver := binary.BigEndian.Uint32(v)
	if ver != formatVersion && ver != upgradableVersion {
		return l, fmt.Sprintf("unknown format version %d (this pulseboard reads versions %d and %d)", ver, upgradableVersion, formatVersion)
	}
	names := append([][]byte{bucketSeries, bucketSeen, bucketParts}, tierBuckets[:]...)
	if ver == formatVersion {
		names = append(names, bucketJournal)
	}
	for _, n := range names {
		if tx.Bucket(n) == nil {
			return l, fmt.Sprintf("bucket %q missing", n)
		}
	}
	l.upgrade = ver == upgradableVersion
	if tx.Bucket(bucketJournal) != nil {
		if l.journal, reason = journalBytes(tx); reason != "" {
			return l, reason
		}
	}
	parts, reason := readParts(tx)
	l.parts = parts
	return l, reason
}

// readParts reads the partition records and checks them against the
// tiers' buckets.
func readParts(tx *bolt.Tx) (parts [NumTiers][]partition, reason string) {
	c := tx.Bucket(bucketParts).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		t, start, err := decodePartKey(k)
		if err != nil {
			return parts, fmt.Sprintf("partition key %x: %v", k, err)
		}
		p, err := decodePartition(t, start, v)
		if err != nil {
			return parts, fmt.Sprintf("partition record %s/%d: %v", t, start, err)
		}
		if tx.Bucket(tierBuckets[t]).Bucket(u64Key(uint64(start))) == nil {
			return parts, fmt.Sprintf("partition %s/%d has a record but no bucket", t, start)
		}
		parts[t] = append(parts[t], p)
	}
	for t := range NumTiers {
		n := 0
		c := tx.Bucket(tierBuckets[t]).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if v != nil || len(k) != 8 {
				return parts, fmt.Sprintf("tier %s holds a stray key %x", t, k)
			}
			n++
		}
		if n != len(parts[t]) {
			return parts, fmt.Sprintf("tier %s has %d partition buckets but %d records", t, n, len(parts[t]))
		}
	}
	return parts, ""
}

// moveAside renames a corrupt file to <path>.corrupt-<unix seconds> (with
// -2, -3 … when that name is taken) and returns the new name.
func moveAside(path string, now time.Time) (string, error) {
	base := fmt.Sprintf("%s.corrupt-%d", path, now.Unix())
	dst := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if i > 1000 {
			return "", fmt.Errorf("no free name beside %s", base)
		}
		dst = fmt.Sprintf("%s-%d", base, i)
	}
	return dst, os.Rename(path, dst)
}

// userPanic carries a panic of a caller's callback through guard.
type userPanic struct{ v any }

// guard runs fn, turning a panic inside bbolt (a damaged page) and a
// fault on the mapped file (a page past the end of a truncated file)
// into an error wrapping ErrCorrupt, so a damaged file costs the history,
// not the process. A callback's own panic (userPanic) goes on up.
func guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if u, ok := p.(userPanic); ok {
			panic(u.v)
		}
		err = fmt.Errorf("%w: %v", ErrCorrupt, p)
	}()
	return fn()
}

// view runs fn in a read transaction under guard.
func (db *DB) view(fn func(*bolt.Tx) error) error {
	err := guard(func() error { return db.bolt.View(fn) })
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// update runs fn in one write transaction under guard; the caller holds
// wmu. failWrite (tests) fails it before the commit.
func (db *DB) update(fn func(*bolt.Tx) error) error {
	return guard(func() error {
		return db.bolt.Update(func(tx *bolt.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			if db.failWrite != nil {
				return db.failWrite()
			}
			return nil
		})
	})
}

// MoveAside renames the store's file in dir to pulseboard.db.corrupt-<unix
// seconds> and returns the new name: for damage found after Open (a block
// that does not decode as its reader reads it), which Open's structural
// check cannot see. The DB on that file must be closed first. The caller
// logs it; a following Open starts a fresh file.
func MoveAside(dir string, now time.Time) (string, error) {
	return moveAside(filepath.Join(dir, FileName), now)
}
