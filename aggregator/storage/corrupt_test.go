package storage

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// filled returns a directory with a closed store holding a few hundred KB
// over several partitions, and its file's path.
func filled(t *testing.T) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	db := open(t, Options{Dir: dir})
	var bs []Block
	for i := range int64(200) {
		b := block(Raw, uint64(i%7), t0+i*10*minute, t0+i*10*minute+minute, 60)
		b.Data = append(b.Data, make([]byte, 1000)...)
		bs = append(bs, b)
	}
	require.NoError(t, db.Write([]SeriesMeta{{Key: 1, Meta: []byte("m")}}, bs))
	require.NoError(t, db.Close())
	return dir, filepath.Join(dir, FileName)
}

// rawEdit changes a closed store with bbolt directly.
func rawEdit(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	require.NoError(t, err)
	require.NoError(t, bdb.Update(fn))
	require.NoError(t, bdb.Close())
}

func TestCorruptFileIsMovedAside(t *testing.T) {
	for name, tc := range map[string]struct {
		damage func(t *testing.T, path string)
		reason string
	}{
		"garbage": {func(t *testing.T, path string) {
			junk := make([]byte, 64<<10)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range junk {
				junk[i] = byte(r.Uint32())
			}
			require.NoError(t, os.WriteFile(path, junk, 0o600))
		}, "not a bbolt file"},
		"header zeroed": {func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.WriteAt(make([]byte, 8192), 0)
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, "not a bbolt file"},
		"truncated to a few bytes": {func(t *testing.T, path string) {
			require.NoError(t, os.Truncate(path, 100))
		}, "not a bbolt file"},
		"truncated to half": {func(t *testing.T, path string) {
			info, err := os.Stat(path)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(path, info.Size()/2))
		}, "data file is corrupt: "},
		"unknown version": {func(t *testing.T, path string) {
			rawEdit(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket(bucketMeta).Put(keyVersion, binary.BigEndian.AppendUint32(nil, 99))
			})
		}, "unknown format version 99 (this pulseboard reads versions 2 and 3)"},
		"another bbolt format": {func(t *testing.T, path string) {
			require.NoError(t, os.Remove(path))
			rawEdit(t, path, func(tx *bolt.Tx) error {
				_, err := tx.CreateBucket([]byte("someone else's"))
				return err
			})
		}, "not a pulseboard store (no meta bucket)"},
		"partition record garbage": {func(t *testing.T, path string) {
			rawEdit(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket(bucketParts).Put(partKey(Raw, t0), []byte{0xff})
			})
		}, "partition record raw/"},
		"partition bucket lost": {func(t *testing.T, path string) {
			rawEdit(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket(tierBuckets[Raw]).DeleteBucket(u64Key(uint64(t0)))
			})
		}, "has a record but no bucket"},
	} {
		t.Run(name, func(t *testing.T) {
			dir, path := filled(t)
			tc.damage(t, path)
			damaged, err := os.ReadFile(path)
			require.NoError(t, err)

			var logs logBuf
			c := &clock{}
			c.set(time.Unix(1_700_000_000, 0))
			db := open(t, Options{Dir: dir, Logger: logs.logger(), Now: c.now})
			aside := path + ".corrupt-1700000000"
			moved, err := os.ReadFile(aside)
			require.NoError(t, err, "moved aside under its name")
			require.Equal(t, damaged, moved, "moved, not changed")
			require.Contains(t, db.Recovered(), aside)
			require.Contains(t, db.Recovered(), tc.reason)
			errs := logs.lines("ERROR")
			require.Len(t, errs, 1)
			require.Contains(t, errs[0], aside)
			require.Contains(t, errs[0], "reason=")

			s, err := db.Series()
			require.NoError(t, err)
			require.Empty(t, s, "a fresh store")
			require.Equal(t, [NumTiers]TierStats{}, db.Stats())
			require.NoError(t, db.Write(nil, []Block{block(Raw, 1, t0, t0, 1)}))
			require.NoError(t, db.Close())

			// The same damage again in the same second gets its own name.
			require.NoError(t, os.WriteFile(path, damaged, 0o600))
			db = open(t, Options{Dir: dir, Now: c.now})
			require.Contains(t, db.Recovered(), aside+"-2")
		})
	}
}

func TestDamagedBlockIsAnError(t *testing.T) {
	dir, path := filled(t)
	rawEdit(t, path, func(tx *bolt.Tx) error {
		pb := tx.Bucket(tierBuckets[Raw]).Bucket(u64Key(uint64(t0)))
		return pb.Put(blockKey(0, t0), []byte{0x80}) // a cut varint
	})
	db := open(t, Options{Dir: dir})
	require.Empty(t, db.Recovered(), "Open checks partitions, not every block")
	err := db.Blocks(Raw, 0, 0, t0+day, func(Block) bool { return true })
	require.ErrorIs(t, err, ErrCorrupt)
	err = db.Write(nil, []Block{block(Raw, 0, t0, t0, 1)})
	require.ErrorIs(t, err, ErrCorrupt, "replacing it cannot account for the old block")
	require.Equal(t, 29, len(read(t, db, Raw, 1, 0, t0+2*day)), "other series read on")
}

func TestMoveAsideNames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	now := time.Unix(42, 0)
	for i, want := range []string{".corrupt-42", ".corrupt-42-2", ".corrupt-42-3"} {
		require.NoError(t, os.WriteFile(path, []byte(fmt.Sprint(i)), 0o600))
		got, err := moveAside(path, now)
		require.NoError(t, err)
		require.True(t, strings.HasSuffix(got, want), got)
	}
	require.NoFileExists(t, path)
}
