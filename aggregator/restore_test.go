package aggregator

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// restoreFeed ingests one gauge and one counter (with a reset and a NaN)
// for n seconds from c.ms. The values are multiples of 1/4, so that sums
// are exact in any order and windows compare bit for bit.
func restoreFeed(a *Aggregator, c *clock, from, n int) {
	for i := from; i < from+n; i++ {
		g := float64((i*37)%101) / 4
		if i%97 == 0 {
			g = math.NaN()
		}
		ctr := float64(i*3) / 4
		if i >= 700 {
			ctr = float64(i-700) / 2 // the counter restarted
		}
		a.ingest(batch("s", gauge("g", c.ms, g, "k", "v"), counterSample("c", c.ms, ctr)))
		c.ms += 1000
		if i%10 == 0 {
			a.tick()
		}
	}
	a.tick()
}

func TestRestoreRebuildsHistoryWindowsAndAggregates(t *testing.T) {
	f := newFakeStorage()
	a, c := newTestAgg(Options{Storage: f})
	restoreFeed(a, c, 0, 1500) // 25 minutes: the oldest chunks left memory
	require.NoError(t, a.Flush())

	b, cb := newTestAgg(Options{Storage: f})
	cb.ms = c.ms
	require.NoError(t, b.Restore())
	b.tick()
	require.Len(t, b.st.all, 2)
	for _, s := range a.st.all {
		want, ok := a.SeriesJSON(s.id)
		require.True(t, ok)
		got, ok := b.SeriesJSON(s.id)
		require.True(t, ok, s.metric)
		require.Equal(t, string(want), string(got), "%s: points and windows as before the restart", s.metric)
	}

	// Both go on alike: the tail chunk and the open periods continue.
	restoreFeed(a, c, 1500, 200)
	cb.ms = c.ms - 200*1000
	restoreFeed(b, cb, 1500, 200)
	for _, s := range a.st.all {
		want, _ := a.SeriesJSON(s.id)
		got, _ := b.SeriesJSON(s.id)
		require.Equal(t, string(want), string(got), s.metric)
		for _, tier := range []storage.Tier{storage.Minute, storage.Hour} {
			require.Equal(t, s.openPoints(tier), b.st.byKey[s.key].openPoints(tier))
		}
		sb := b.st.byKey[s.key]
		require.Equal(t, s.hist.encodedBytes(), sb.hist.encodedBytes(), "the same chunks")
		require.Equal(t, s.hist.tail.w.b, sb.hist.tail.w.b)
	}
	req := protocol.RangeRequest{Series: []string{a.st.all[0].id, a.st.all[1].id}, From: c.ms - 3*hourMs, To: c.ms, Step: minuteMs}
	require.Equal(t, a.QueryRange(req), b.QueryRange(req))
	require.NoError(t, b.Flush())
	require.Equal(t, a.QueryRange(req), b.QueryRange(req))
}

func TestRestoreAfterCleanStopDoesNotCountTwice(t *testing.T) {
	f := newFakeStorage()
	a, c := newTestAgg(Options{Storage: f})
	restoreFeed(a, c, 0, 150)
	a.startFlusher(t.Context())() // what Serve does as it stops
	b, cb := newTestAgg(Options{Storage: f})
	cb.ms = c.ms + 5000
	require.NoError(t, b.Restore())
	restoreFeed(b, cb, 155, 100)
	require.NoError(t, b.Flush())
	key := b.st.byKey[a.st.all[0].key].key
	var n float64
	for _, p := range storedAgg(t, f, storage.Minute, key) {
		n += p.count
	}
	for _, p := range b.st.byKey[key].openPoints(storage.Minute) {
		n += p.count
	}
	finite := 0
	for i := range 255 {
		if i < 150 || i >= 155 {
			if !(i%97 == 0 && a.st.all[0].metric == "g") {
				finite++
			}
		}
	}
	require.Equal(t, float64(finite), n, "every sample counted once in the minutes")
}

func TestRestoreOldSeriesStaysOnDisk(t *testing.T) {
	f := newFakeStorage()
	a, c := newTestAgg(Options{Storage: f})
	restoreFeed(a, c, 0, 100)
	require.NoError(t, a.Flush())
	b, cb := newTestAgg(Options{Storage: f})
	cb.ms = c.ms + 2*hourMs
	require.NoError(t, b.Restore())
	require.Empty(t, b.st.all, "nothing within the history")
	ans := b.QueryRange(protocol.RangeRequest{Series: []string{a.st.all[0].id}, From: c.ms - hourMs, To: cb.ms})
	require.Empty(t, ans.Series[0].Error)
	require.NotEmpty(t, ans.Series[0].Points)
}

func TestRestoreFailures(t *testing.T) {
	f := newFakeStorage()
	a, c := newTestAgg(Options{Storage: f})
	restoreFeed(a, c, 0, 300)
	require.NoError(t, a.Flush())

	f.failRead = errors.New("input/output error")
	b, cb := newTestAgg(Options{Storage: f})
	cb.ms = c.ms
	require.ErrorContains(t, b.Restore(), "input/output error")
	// Damage the store meets as it is read is told as such, for the
	// program to move the file aside and start a fresh one.
	f.failRead = fmt.Errorf("%w: a page out of place", storage.ErrCorrupt)
	b, cb = newTestAgg(Options{Storage: f})
	cb.ms = c.ms
	require.ErrorIs(t, b.Restore(), storage.ErrCorrupt)
	f.failRead = nil

	// Garbage is skipped: a meta, the newest raw block, an aggregate block.
	f.metas[12345] = []byte{0xff}
	key := a.st.all[0].key
	raw := f.tierBlocks(storage.Raw, key)
	last := raw[len(raw)-1]
	last.Data = []byte{rawBlockVersion, 5, 1, 0}
	f.blocks[blockKey{storage.Raw, key, last.Start}] = last
	for k, bl := range f.blocks {
		if k.tier == storage.Minute && k.series == key {
			bl.Data = []byte{aggBlockVersion}
			f.blocks[k] = bl
		}
	}
	b, cb = newTestAgg(Options{Storage: f})
	cb.ms = c.ms
	require.NoError(t, b.Restore())
	s := b.st.byKey[key]
	require.NotNil(t, s)
	require.Equal(t, raw[len(raw)-2].End, s.last.t, "history up to the block before the bad one")
	b.ingest(batch("s", Sample{Metric: s.metric, Labels: s.labels, Kind: s.kind, TimeMs: cb.ms, Value: 1}))
	require.Equal(t, point{cb.ms, 1}, s.last)
}
