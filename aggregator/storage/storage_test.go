package storage

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

var t0 = int64(1_800_000_000_000) // a raw partition boundary (ms)

func TestWriteReadAndReopen(t *testing.T) {
	dir := t.TempDir()
	db := open(t, Options{Dir: dir})
	metas := []SeriesMeta{{Key: 7, Meta: []byte("cpu{host=a}")}, {Key: 3, Meta: []byte("mem")}}
	blocks := []Block{
		block(Raw, 7, t0, t0+119_000, 120),
		block(Raw, 7, t0+120_000, t0+239_000, 120),
		block(Raw, 3, t0, t0+59_000, 60),
		block(Minute, 7, t0, t0+59*minute, 60),
		block(Hour, 7, t0, t0, 1),
	}
	require.NoError(t, db.Write(nil, nil), "an empty Write")
	require.Equal(t, 0, countHistogram(t, db), "is no transaction")
	require.NoError(t, db.Write(metas, blocks))
	check := func(db *DB) {
		t.Helper()
		got, err := db.Series()
		require.NoError(t, err)
		require.Equal(t, []SeriesMeta{{Key: 3, Meta: []byte("mem")}, {Key: 7, Meta: []byte("cpu{host=a}")}}, got)
		require.Equal(t, []Block{blocks[0], blocks[1]}, read(t, db, Raw, 7, 0, t0+day))
		require.Equal(t, []Block{blocks[2]}, read(t, db, Raw, 3, 0, t0+day))
		require.Equal(t, []Block{blocks[3]}, read(t, db, Minute, 7, 0, t0+day))
		require.Equal(t, []Block{blocks[4]}, read(t, db, Hour, 7, 0, t0+day))
		st := db.Stats()
		require.Equal(t, int64(300), st[Raw].Points)
		require.Equal(t, int64(3), st[Raw].Blocks)
		require.Equal(t, t0, st[Raw].Oldest)
		var want int64
		for _, b := range blocks[:3] {
			want += 16 + int64(len(encodeBlockValue(&b)))
		}
		require.Equal(t, want, st[Raw].Bytes)
		require.Equal(t, TierStats{Bytes: st[Minute].Bytes, Points: 60, Blocks: 1, Oldest: t0}, st[Minute])
	}
	check(db)
	require.NoError(t, db.Close())
	require.ErrorIs(t, db.Write(nil, blocks), ErrClosed)
	_, err := db.Series()
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, db.Enforce(), ErrClosed)
	require.NoError(t, db.Close(), "a second Close")

	db2 := open(t, Options{Dir: dir})
	require.Empty(t, db2.Recovered())
	check(db2)
}

func TestWriteReplacesSameStart(t *testing.T) {
	db := open(t, Options{Dir: t.TempDir()})
	grow := block(Raw, 1, t0, t0+10_000, 10)
	require.NoError(t, db.Write(nil, []Block{grow}))
	grow.End, grow.Points, grow.Data = t0+20_000, 20, []byte("a longer tail chunk")
	require.NoError(t, db.Write(nil, []Block{grow}))
	require.Equal(t, []Block{grow}, read(t, db, Raw, 1, 0, t0+hour))
	st := db.Stats()[Raw]
	require.Equal(t, TierStats{Bytes: 16 + int64(len(encodeBlockValue(&grow))), Points: 20, Blocks: 1, Oldest: t0}, st)
}

// Write puts in key order (see write); the input's order still decides
// between two blocks of one key in one Write, and keys given in reverse
// and shuffled read back the same.
func TestWriteInAnyOrder(t *testing.T) {
	db := open(t, Options{Dir: t.TempDir()})
	var blocks []Block
	for s := uint64(40); s > 0; s-- {
		for _, start := range []int64{t0 + hour, t0, t0 + 2*hour} {
			blocks = append(blocks, block(Raw, s<<56|s, start, start+10_000, 10))
		}
	}
	first, second := block(Raw, 7, t0, t0+10_000, 10), block(Raw, 7, t0, t0+20_000, 20)
	second.Data = []byte("the later one")
	blocks = append(blocks, first, block(Minute, 7, t0, t0+minute, 1), second)
	require.NoError(t, db.Write(nil, blocks))
	require.Equal(t, []Block{second}, read(t, db, Raw, 7, 0, t0+3*hour), "the later of two with one key")
	for s := uint64(40); s > 0; s-- {
		require.Equal(t, []int64{t0, t0 + hour, t0 + 2*hour}, starts(read(t, db, Raw, s<<56|s, 0, t0+3*hour)))
	}
	require.Len(t, read(t, db, Minute, 7, 0, t0+hour), 1)
	require.Equal(t, int64(3*40+1), db.Stats()[Raw].Blocks)
}

func TestBlocksRangeOrderAndStop(t *testing.T) {
	db := open(t, Options{Dir: t.TempDir()})
	var bs []Block
	// 10-minute raw blocks over three hours (three partitions); the block
	// at t0+55m ends in the next partition.
	for s := t0; s < t0+3*hour; s += 10 * minute {
		bs = append(bs, block(Raw, 5, s+5*minute, s+15*minute-1, 600))
		bs = append(bs, block(Raw, 6, s, s+minute, 60)) // another series, never read
	}
	slices.Reverse(bs) // Write order does not matter
	require.NoError(t, db.Write(nil, bs))

	got := read(t, db, Raw, 5, t0+hour, t0+hour+1)
	require.Equal(t, []int64{t0 + 55*minute}, starts(got), "a block straddling a partition start")
	got = read(t, db, Raw, 5, t0+hour+20*minute, t0+2*hour+5*minute)
	require.Equal(t, []int64{t0 + 75*minute, t0 + 85*minute, t0 + 95*minute, t0 + 105*minute, t0 + 115*minute, t0 + 125*minute}, starts(got))
	require.Len(t, read(t, db, Raw, 5, 0, t0+day), 18)
	require.Empty(t, read(t, db, Raw, 5, t0+day, t0+2*day))
	require.Empty(t, read(t, db, Raw, 5, t0+hour, t0), "from after to")
	require.Empty(t, read(t, db, Raw, 99, 0, t0+day), "unknown series")
	require.Empty(t, read(t, db, Minute, 5, 0, t0+day), "empty tier")

	n := 0
	require.NoError(t, db.Blocks(Raw, 5, 0, t0+day, func(Block) bool { n++; return n < 4 }))
	require.Equal(t, 4, n, "fn returning false stops")
	require.Error(t, db.Blocks(NumTiers, 5, 0, 1, func(Block) bool { return true }))
	require.PanicsWithValue(t, "boom", func() {
		_ = db.Blocks(Raw, 5, 0, t0+day, func(Block) bool { panic("boom") })
	}, "a callback's panic is not turned into ErrCorrupt")
	require.NoError(t, db.Write(nil, []Block{block(Raw, 5, t0, t0, 1)}), "the DB is usable after a callback panicked")
}

// TestBlocksFindTheFirstBlockBySeeking reads from the middle of a
// series' history: the block reaching from is found even when it began
// partitions before from (a long chunk of a rarely sampled series, with
// other series' blocks in between), and the series' earlier blocks are
// not read at all (a damaged one among them is no error).
func TestBlocksFindTheFirstBlockBySeeking(t *testing.T) {
	dir := t.TempDir()
	db := open(t, Options{Dir: dir})
	long := block(Raw, 8, t0+10*minute, t0+2*hour+30*minute, 40)
	bs := []Block{
		block(Raw, 8, t0, t0+5*minute, 5), // damaged below
		long,
		block(Raw, 8, t0+2*hour+40*minute, t0+3*hour+10*minute, 30),
	}
	for s := t0; s < t0+4*hour; s += 10 * minute {
		bs = append(bs, block(Raw, 9, s, s+9*minute, 9))
	}
	require.NoError(t, db.Write(nil, bs))
	require.NoError(t, db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(tierBuckets[Raw]).Bucket(u64Key(uint64(t0))).Put(blockKey(8, t0), []byte{0x80})
	}))

	require.Equal(t, []int64{long.Start, t0 + 2*hour + 40*minute}, starts(read(t, db, Raw, 8, t0+2*hour+10*minute, t0+day)),
		"a block that began two partitions back")
	require.Equal(t, []int64{long.Start}, starts(read(t, db, Raw, 8, long.End, long.End)), "from at a block's end")
	require.Equal(t, []int64{t0 + 2*hour + 40*minute}, starts(read(t, db, Raw, 8, long.End+1, t0+day)), "from between two blocks")
	require.Equal(t, []int64{t0 + 2*hour + 40*minute}, starts(read(t, db, Raw, 8, t0+2*hour+40*minute, t0+2*hour+40*minute)), "from at a block's start")
	require.Empty(t, read(t, db, Raw, 8, t0+3*hour+11*minute, t0+day), "from after the last block")
	require.Len(t, read(t, db, Raw, 9, math.MinInt64, math.MaxInt64), 24, "the widest range")
	err := db.Blocks(Raw, 8, math.MinInt64, t0+day, func(Block) bool { return true })
	require.ErrorIs(t, err, ErrCorrupt, "a range from the start reads the damaged block")
	n := 0
	require.NoError(t, db.Blocks(Raw, 8, t0+2*hour, t0+day, func(Block) bool { n++; return false }))
	require.Equal(t, 1, n, "fn returning false on the block before from stops")
}

func TestWriteRejectsInvalidInput(t *testing.T) {
	db := open(t, Options{Dir: t.TempDir()})
	good := block(Raw, 1, t0, t0+1, 2)
	for name, b := range map[string]Block{
		"unknown tier":   {Tier: NumTiers, Start: t0, End: t0},
		"negative start": {Start: -1, End: 0},
		"end before":     {Start: t0, End: t0 - 1},
		"past max time":  {Start: t0, End: maxTime + 1},
		"points":         {Start: t0, End: t0, Points: -1},
	} {
		err := db.Write([]SeriesMeta{{Key: 1}}, []Block{good, b})
		require.ErrorIs(t, err, ErrInvalidBlock, name)
	}
	ok, detail := db.Health()
	require.True(t, ok, detail)
	s, err := db.Series()
	require.NoError(t, err)
	require.Empty(t, s, "nothing of a rejected Write is stored")
	require.Empty(t, read(t, db, Raw, 1, 0, t0+day))
}

// TestConcurrentUse runs writers, readers and Stats together (meant for
// -race): every Write that returned is visible to a later read.
func TestConcurrentUse(t *testing.T) {
	db := open(t, Options{Dir: t.TempDir()})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				s := uint64(w)
				start := t0 + int64(i)*minute
				if err := db.Write([]SeriesMeta{{Key: s, Meta: []byte{byte(w)}}}, []Block{block(Raw, s, start, start+1, 1)}); err != nil {
					errs <- err
					return
				}
				n := 0
				err := db.Blocks(Raw, s, start, start, func(b Block) bool {
					n++
					if !bytes.Equal(b.Data, fmt.Appendf(nil, "raw/%d/%d", s, start)) {
						errs <- fmt.Errorf("block data %q", b.Data)
					}
					return true
				})
				if err == nil && n != 1 {
					err = fmt.Errorf("series %d: read %d blocks at %d after its Write", s, n, start)
				}
				if err != nil {
					errs <- err
					return
				}
				_ = db.Stats()
				_ = db.Enforce()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	require.Equal(t, int64(80), db.Stats()[Raw].Blocks)
}

func TestOpenNeedsDir(t *testing.T) {
	_, err := Open(Options{})
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrLocked))
}
