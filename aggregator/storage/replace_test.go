package storage

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Replace swaps blocks for merged ones in one transaction: the old keys
// are gone, the new ones read back, the totals follow, also after a
// reopen; a ref to nothing is no error.
func TestReplaceMergesBlocks(t *testing.T) {
	dir := t.TempDir()
	db := open(t, Options{Dir: dir})
	old := []Block{
		block(Raw, 7, t0+10_000, t0+20_000, 10),
		block(Raw, 7, t0+30_000, t0+40_000, 10),
		block(Raw, 7, t0+hour+1000, t0+hour+2000, 2), // the next partition
		block(Minute, 7, t0, t0+minute, 2),
	}
	require.NoError(t, db.Write([]SeriesMeta{{Key: 7, Meta: []byte("m")}}, old))

	merged := block(Raw, 7, t0, t0+40_000, 25) // starts earlier: a new key
	err := db.Replace([]SeriesMeta{{Key: 9, Meta: []byte("n")}},
		[]BlockRef{{Raw, 7, t0 + 10_000}, {Raw, 7, t0 + 30_000}, {Raw, 7, t0 + 5}, {Hour, 8, t0}},
		[]Block{merged, block(Raw, 9, t0, t0, 1)})
	require.NoError(t, err)

	check := func(db *DB) {
		t.Helper()
		require.Equal(t, []Block{merged, old[2]}, read(t, db, Raw, 7, 0, t0+day))
		require.Equal(t, []Block{old[3]}, read(t, db, Minute, 7, 0, t0+day), "another tier is left alone")
		require.Len(t, read(t, db, Raw, 9, 0, t0+day), 1)
		metas, err := db.Series()
		require.NoError(t, err)
		require.Len(t, metas, 2)
		st := db.Stats()
		require.Equal(t, int64(25+2+1), st[Raw].Points)
		require.Equal(t, int64(3), st[Raw].Blocks)
		var want int64
		for _, b := range []Block{merged, old[2], block(Raw, 9, t0, t0, 1)} {
			want += 16 + int64(len(encodeBlockValue(&b)))
		}
		require.Equal(t, want, st[Raw].Bytes)
	}
	check(db)
	require.NoError(t, db.Close())
	check(open(t, Options{Dir: dir}))
}

// A block both removed and written is written; removing every block of
// a partition leaves it empty, and Stats does not call it the oldest.
func TestReplaceRemoveThenWriteSameKey(t *testing.T) {
	db := open(t, Options{Dir: t.TempDir()})
	require.NoError(t, db.Write(nil, []Block{block(Raw, 1, t0, t0+1000, 2), block(Raw, 1, t0+hour, t0+hour, 1)}))
	again := Block{Tier: Raw, Series: 1, Start: t0, End: t0 + 2000, Points: 3, Data: []byte("again")}
	require.NoError(t, db.Replace(nil, []BlockRef{{Raw, 1, t0}}, []Block{again}))
	require.Equal(t, []Block{again}, read(t, db, Raw, 1, t0, t0+10_000))

	require.NoError(t, db.Replace(nil, []BlockRef{{Raw, 1, t0}}, nil))
	require.Empty(t, read(t, db, Raw, 1, t0, t0+10_000))
	st := db.Stats()
	require.Equal(t, int64(1), st[Raw].Blocks)
	require.Equal(t, t0+hour, st[Raw].Oldest)
}

// Bad input stores nothing and does not degrade the store; a failed
// transaction stores nothing and does; after Close, ErrClosed.
func TestReplaceFailures(t *testing.T) {
	db := open(t, Options{Dir: t.TempDir()})
	b := block(Raw, 1, t0, t0+1000, 2)
	require.NoError(t, db.Write(nil, []Block{b}))
	require.ErrorIs(t, db.Replace(nil, []BlockRef{{NumTiers, 1, t0}}, nil), ErrInvalidBlock)
	require.ErrorIs(t, db.Replace(nil, []BlockRef{{Raw, 1, -1}}, nil), ErrInvalidBlock)
	require.ErrorIs(t, db.Replace(nil, nil, []Block{{Tier: Raw, Start: 5, End: 4}}), ErrInvalidBlock)
	ok, _ := db.Health()
	require.True(t, ok)

	db.failWrite = func() error { return syscall.ENOSPC }
	require.ErrorIs(t, db.Replace(nil, []BlockRef{{Raw, 1, t0}}, []Block{block(Raw, 1, t0-500, t0+1000, 3)}), syscall.ENOSPC)
	ok, _ = db.Health()
	require.False(t, ok)
	require.Equal(t, []Block{b}, read(t, db, Raw, 1, 0, t0+day), "rolled back whole")
	require.Equal(t, int64(2), db.Stats()[Raw].Points)
	db.failWrite = nil

	require.NoError(t, db.Replace(nil, nil, nil), "nothing to do")
	require.NoError(t, db.Close())
	require.ErrorIs(t, db.Replace(nil, []BlockRef{{Raw, 1, t0}}, nil), ErrClosed)
}
