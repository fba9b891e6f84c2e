package aggregator

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// countingDB is a storage.DB that notes what each journaled write carried.
type countingDB struct {
	*storage.DB
	rawBlocks, values []int
}

func (c *countingDB) WriteJournaled(series []storage.SeriesMeta, blocks []storage.Block, j storage.Journal) error {
	n := 0
	for _, b := range blocks {
		if b.Tier == storage.Raw {
			n++
		}
	}
	c.rawBlocks, c.values = append(c.rawBlocks, n), append(c.values, len(j.Values))
	return c.DB.WriteJournaled(series, blocks, j)
}

// journalValues is how many values the store's journal holds.
func journalValues(t *testing.T, db *storage.DB) int {
	t.Helper()
	n := 0
	require.NoError(t, db.ReadJournal(func(storage.JournalEntry) bool { n++; return true }))
	return n
}

// heldPoints is what memory holds of the series id, oldest first.
func heldPoints(a *Aggregator, key uint64) []point {
	a.mu.RLock()
	defer a.mu.RUnlock()
	s := a.st.byKey[key]
	if s == nil {
		return nil
	}
	var pts []point
	s.hist.each(s.hist.n, func(p point) { pts = append(pts, p) })
	return pts
}

// A flush writes what is new, not what is open: between seals no raw
// block at all, the tails' growth as one journal value; a chunk is
// written whole once, by the flush after it is sealed.
func TestFlushJournalsTheTails(t *testing.T) {
	db := &countingDB{DB: openDB(t)}
	a, c := newTestAgg(Options{Storage: db, History: time.Hour})
	t0 := c.ms
	for i := range 500 {
		c.ms = t0 + int64(i)*1000
		a.ingest(batch("s", gauge("g", c.ms, float64(i%7)), gauge("h", c.ms, float64(i%5))))
		if i%10 == 9 {
			require.NoError(t, a.Flush())
		}
	}
	// 50 flushes; the chunks of 240 samples are sealed by the samples at
	// 240 s and 480 s, so the flushes after those write two blocks each.
	require.Len(t, db.rawBlocks, 50)
	for i, n := range db.rawBlocks {
		want := 0
		if i == 24 || i == 48 {
			want = 2
		}
		require.Equal(t, want, n, "flush %d: raw blocks", i)
		require.Equal(t, 1, db.values[i], "flush %d: one journal value", i)
	}
	require.LessOrEqual(t, journalValues(t, db.DB), 2, "values no tail needs are dropped")
}

// kill -9 loses at most what came after the last flush: a new process
// on the same store restores every sample flushed, the journaled tails
// included, and its first flush writes those tails whole and empties the
// journal of the old run.
func TestJournalReplayRestoresTheTails(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: dir})
	require.NoError(t, err)
	a, c := newTestAgg(Options{Storage: db, History: time.Hour})
	t0 := c.ms
	g, ctr := identityHash("s", "g", nil), identityHash("s", "c", nil)
	for i := range 305 {
		c.ms = t0 + int64(i)*1000
		a.ingest(batch("s", gauge("g", c.ms, float64(i%13)/10), counterSample("c", c.ms, float64(3*i))))
		if i%10 == 9 {
			require.NoError(t, a.Flush())
		}
	}
	flushed := heldPoints(a, g)[:300] // the last flush took 299 s; 300–304 s are lost
	require.Equal(t, t0+299_000, flushed[len(flushed)-1].t)
	require.Positive(t, journalValues(t, db))
	require.NoError(t, db.Close()) // no last flush: as kill -9

	db, err = storage.Open(storage.Options{Dir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	b, cb := newTestAgg(Options{Storage: db, History: time.Hour})
	cb.ms = c.ms + 1000
	require.NoError(t, b.Restore())
	require.Equal(t, flushed, heldPoints(b, g), "every flushed sample, the journaled tail's included")
	require.Len(t, heldPoints(b, ctr), 300)

	// The restored tail goes on where it stopped; the first flush writes
	// it whole with the rebuilt one and drops the old run's values.
	cb.ms = t0 + 310_000
	b.ingest(batch("s", gauge("g", cb.ms, 1), counterSample("c", cb.ms, 930)))
	require.NoError(t, b.Flush())
	var stored []point
	require.NoError(t, db.Blocks(storage.Raw, g, 0, math.MaxInt64, func(blk storage.Block) bool {
		pts, err := decodeRawBlock(blk.Data, blk.Start)
		require.NoError(t, err)
		stored = append(stored, pts...)
		return true
	}))
	require.Equal(t, flushed, stored[:300], "the blocks alone hold the tail once written whole")
	require.Equal(t, 1, journalValues(t, db), "only the new run's value")
	b2, cb2 := newTestAgg(Options{Storage: db, History: time.Hour})
	cb2.ms = cb.ms
	require.NoError(t, b2.Restore())
	require.Equal(t, append(flushed, point{t0 + 310_000, 1}), heldPoints(b2, g), "and a second restart reads both")
}

// A tail that stops growing is written whole once it has been pinned for
// journalSpan flushes, so the journal never holds more than that; a
// clean stop empties it.
func TestJournalIsBounded(t *testing.T) {
	db := openDB(t)
	a, c := newTestAgg(Options{Storage: db, History: time.Hour})
	t0 := c.ms
	for i := range 3 * journalSpan {
		c.ms = t0 + int64(i)*1000
		a.ingest(batch("s", gauge("live", c.ms, float64(i))))
		if i < 5 {
			a.ingest(batch("t", gauge("stopped", c.ms, float64(i))))
		}
		require.NoError(t, a.Flush())
		require.LessOrEqual(t, journalValues(t, db), journalSpan+1, "after flush %d", i)
	}
	a.mu.RLock()
	require.Zero(t, a.st.byKey[identityHash("t", "stopped", nil)].tiers.pin, "written whole: unpinned")
	a.mu.RUnlock()
	require.NoError(t, a.flushFinal())
	require.Zero(t, journalValues(t, db))
}

// A replayed entry is taken only if it grows the chunk and starts within
// its whole bytes: one older than the stored block (written whole since)
// is skipped, so is one whose start the stream does not reach.
func TestTailStateApply(t *testing.T) {
	st := tailState{n: 10, nbits: 100, stream: make([]byte, 13), stored: true}
	require.False(t, st.apply(journalEntry{n: 8, nbits: 80, off: 8, data: make([]byte, 2)}), "older than the stored block")
	require.False(t, st.apply(journalEntry{n: 20, nbits: 200, off: 13, data: make([]byte, 12)}), "starts past the stored whole bytes")
	require.True(t, st.apply(journalEntry{n: 20, nbits: 200, off: 12, data: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}}))
	require.Equal(t, uint16(20), st.n)
	require.Len(t, st.stream, 25)
	require.False(t, st.stored)
}

// A series that leaves memory with its tail in the journal (flushed, then
// silent) has the tail written whole: no pin holds the journal for it
// once it is gone, and the next flush drops the values it was in.
func TestRetiredTailLeavesTheJournalWhole(t *testing.T) {
	db := openDB(t)
	a, c := newTestAgg(Options{Storage: db, History: time.Minute, Windows: []time.Duration{time.Minute}})
	t0 := c.ms
	for i := range 30 {
		c.ms = t0 + int64(i)*1000
		a.ingest(batch("s", gauge("g", c.ms, float64(i))))
	}
	require.NoError(t, a.Flush())
	require.Equal(t, 1, journalValues(t, db), "the tail journaled")
	c.ms = t0 + 5*time.Minute.Milliseconds()
	a.tick() // g leaves memory
	require.NoError(t, a.Flush())
	require.Zero(t, journalValues(t, db), "no tail needs it")
	var n int
	require.NoError(t, db.Blocks(storage.Raw, identityHash("s", "g", nil), 0, math.MaxInt64, func(b storage.Block) bool {
		n += b.Points
		return true
	}))
	require.Equal(t, 30, n, "the blocks hold every sample")
}
