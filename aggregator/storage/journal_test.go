package storage

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// journal reads every journal value of db as (seq, part, value) strings.
func journal(t *testing.T, db *DB) []JournalEntry {
	t.Helper()
	var out []JournalEntry
	require.NoError(t, db.ReadJournal(func(e JournalEntry) bool {
		e.Value = append([]byte(nil), e.Value...)
		out = append(out, e)
		return true
	}))
	return out
}

// The journal's values are stored with the blocks in one transaction,
// read back in key order after a reopen, dropped below DropBelow, and
// counted in the raw tier's bytes, also after a reopen.
func TestJournalWriteReadDrop(t *testing.T) {
	dir := t.TempDir()
	db := open(t, Options{Dir: dir})
	rawBytes := func() int64 { return db.Stats()[Raw].Bytes }
	require.NoError(t, db.WriteJournaled(nil, []Block{block(Raw, 1, t0, t0+minute, 60)},
		Journal{Seq: 1, Values: [][]byte{[]byte("one-a"), []byte("one-b")}}))
	blocks := rawBytes()
	require.Positive(t, blocks-2*12-10)
	require.NoError(t, db.WriteJournaled(nil, nil, Journal{Seq: 2, Values: [][]byte{[]byte("two")}}))
	require.Equal(t, blocks+12+3, rawBytes(), "a value's key and bytes")
	require.Equal(t, []JournalEntry{
		{1, 0, []byte("one-a")}, {1, 1, []byte("one-b")}, {2, 0, []byte("two")},
	}, journal(t, db))

	require.NoError(t, db.Close())
	db = open(t, Options{Dir: dir})
	require.Len(t, journal(t, db), 3, "kept across a reopen")
	require.Equal(t, blocks+12+3, db.Stats()[Raw].Bytes, "its bytes counted at open")

	require.NoError(t, db.WriteJournaled(nil, nil, Journal{Seq: 3, Values: [][]byte{[]byte("three")}, DropBelow: 2}))
	require.Equal(t, []JournalEntry{{2, 0, []byte("two")}, {3, 0, []byte("three")}}, journal(t, db))
	require.NoError(t, db.WriteJournaled(nil, nil, Journal{DropBelow: 4}))
	require.Empty(t, journal(t, db))
	require.Equal(t, blocks-2*12-10, db.Stats()[Raw].Bytes,
		"only the block's bytes once the journal is empty")
}

// A failed write stores none of the journal's changes: not the values,
// not the drop.
func TestJournalWriteFailureStoresNothing(t *testing.T) {
	db := open(t, Options{Dir: t.TempDir()})
	require.NoError(t, db.WriteJournaled(nil, nil, Journal{Seq: 1, Values: [][]byte{[]byte("kept")}}))
	before := db.Stats()
	disk := errors.New("no space left on device")
	db.failWrite = func() error { return disk }
	err := db.WriteJournaled(nil, []Block{block(Raw, 1, t0, t0+1, 2)}, Journal{Seq: 2, Values: [][]byte{[]byte("lost")}, DropBelow: 2})
	require.ErrorIs(t, err, disk)
	require.Equal(t, []JournalEntry{{1, 0, []byte("kept")}}, journal(t, db))
	require.Equal(t, before, db.Stats())
	db.failWrite = nil
	require.ErrorIs(t, db.WriteJournaled(nil, nil, Journal{Seq: 3, Values: [][]byte{make([]byte, maxValue+1)}}), ErrInvalidBlock)
}

// A file main wrote (format version 2: no journal bucket) opens, keeps
// every block and series, and is upgraded to version 3 with an empty
// journal.
func TestVersion2FileIsUpgraded(t *testing.T) {
	dir, path := filled(t)
	rawEdit(t, path, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketJournal); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyVersion, binary.BigEndian.AppendUint32(nil, 2))
	})
	var logs logBuf
	db := open(t, Options{Dir: dir, Logger: logs.logger()})
	require.Empty(t, db.Recovered(), "not moved aside")
	require.Empty(t, logs.lines("ERROR"))
	require.Len(t, read(t, db, Raw, 1, 0, maxTime), 200/7+1, "the blocks are there")
	require.Empty(t, journal(t, db))
	require.NoError(t, db.WriteJournaled(nil, nil, Journal{Seq: 1, Values: [][]byte{[]byte("v")}}))
	require.NoError(t, db.Close())
	rawEdit(t, filepath.Join(dir, FileName), func(tx *bolt.Tx) error {
		require.Equal(t, formatVersion, binary.BigEndian.Uint32(tx.Bucket(bucketMeta).Get(keyVersion)))
		return nil
	})
}

// A journal key that is not seq | part makes the file corrupt at Open.
func TestJournalStrayKeyIsCorrupt(t *testing.T) {
	dir, path := filled(t)
	rawEdit(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJournal).Put([]byte("short"), []byte("x"))
	})
	db := open(t, Options{Dir: dir})
	require.Contains(t, db.Recovered(), "journal holds a stray key")
}
