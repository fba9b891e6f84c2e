package aggregator

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// feed ingests n gauge samples of metric m, one a second from c.ms on, and
// moves the clock along.
func feed(a *Aggregator, c *clock, m string, n int, v func(i int) float64) {
	for i := range n {
		a.ingest(batch("s", gauge(m, c.ms, v(i))))
		c.ms += 1000
	}
}

func rawOf(f *fakeStorage, key uint64) []storage.Block { return f.tierBlocks(storage.Raw, key) }

func TestFlushWritesOnlyWhatIsNew(t *testing.T) {
	f := newFakeStorage()
	a, c := newTestAgg(Options{Storage: f})
	feed(a, c, "m", 500, func(i int) float64 { return float64(i % 7) })
	require.NoError(t, a.Flush())
	s := a.st.all[0]
	require.Len(t, f.metas, 1)
	id, err := decodeSeriesMeta(f.metas[s.key])
	require.NoError(t, err)
	require.Equal(t, Identity{Source: "s", Metric: "m", Kind: KindGauge}, id)
	raw := rawOf(f, s.key)
	require.Len(t, raw, 3, "two sealed chunks (a quarter of the history each) and the tail")
	for c, i := s.hist.head, 0; c != nil; c, i = c.next, i+1 {
		require.Equal(t, c.firstT, raw[i].Start)
		require.Equal(t, c.lastT, raw[i].End)
		require.Equal(t, int(c.n), raw[i].Points)
		pts, err := decodeRawBlock(raw[i].Data, raw[i].Start)
		require.NoError(t, err)
		require.Len(t, pts, int(c.n))
	}
	require.Equal(t, 1, f.enforces)

	writes := f.writes
	require.NoError(t, a.Flush())
	require.Equal(t, writes, f.writes, "nothing new: nothing written")

	feed(a, c, "m", 5, func(int) float64 { return 1 })
	require.NoError(t, a.Flush())
	require.Len(t, f.lastWrite, 1, "only the tail chunk again")
	require.Equal(t, s.hist.tail.firstT, f.lastWrite[0].Start)
	require.Equal(t, 55, f.lastWrite[0].Points)
	require.Len(t, f.metas, 1)
}

func TestFlushFailureKeepsEverything(t *testing.T) {
	f := newFakeStorage()
	a, c := newTestAgg(Options{Storage: f})
	feed(a, c, "m", 300, func(i int) float64 { return float64(i) })
	f.failWrite = errors.New("no space left on device")
	require.ErrorContains(t, a.Flush(), "no space left on device")
	require.ErrorContains(t, a.Flush(), "no space left on device")
	require.Equal(t, uint64(2), a.stats.flushFailures.Load())
	feed(a, c, "m", 200, func(i int) float64 { return float64(i) }) // ingestion goes on
	require.Equal(t, uint64(500), a.stats.ingested.Load())
	f.failWrite = nil
	require.NoError(t, a.Flush())
	n := 0
	for _, b := range rawOf(f, a.st.all[0].key) {
		n += b.Points
	}
	require.Equal(t, 500, n, "every sample reached the storage once it worked again")
	require.Len(t, storedAgg(t, f, storage.Minute, a.st.all[0].key), 8)
}

func TestEvictedSeriesIsWrittenWhole(t *testing.T) {
	f := newFakeStorage()
	a, c := newTestAgg(Options{Storage: f, History: 15 * time.Minute})
	feed(a, c, "gone", 90, func(i int) float64 { return float64(i) })
	key := a.st.all[0].key
	c.ms += a.opts.History.Milliseconds() + 1000
	a.tick() // evicts it, before any flush
	require.Empty(t, a.st.all)
	require.NoError(t, a.Flush())
	require.Contains(t, f.metas, key)
	require.Equal(t, 90, rawOf(f, key)[0].Points)
	require.Len(t, storedAgg(t, f, storage.Minute, key), 2, "its open minute closed as it left")
	require.NoError(t, a.Flush())
	require.Empty(t, a.st.retired.blocks)
}

func TestServeFlushesOnItsTimerAndWhenStopped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeStorage()
		a := New(Options{Storage: f, FlushInterval: 5 * time.Second})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- a.Serve(ctx) }()
		now := time.Now().UnixMilli()
		require.True(t, a.Push(ctx, batch("s", gauge("m", now, 1))))
		time.Sleep(6 * time.Second) // fake time: the flusher's tick
		synctest.Wait()
		f.mu.Lock()
		require.Equal(t, 1, f.writes)
		f.mu.Unlock()
		require.True(t, a.Push(ctx, batch("s", gauge("m", now+6000, 2))))
		synctest.Wait()
		cancel()
		require.NoError(t, <-done)
		f.mu.Lock()
		require.Equal(t, 2, f.writes, "a last flush when Serve stops")
		f.mu.Unlock()
		key := a.st.all[0].key
		require.Equal(t, 2, rawOf(f, key)[0].Points)
		require.Len(t, storedAgg(t, f, storage.Minute, key), 1, "the open minute was closed and written")
	})
}

func TestNoStorageNoTiers(t *testing.T) {
	a, c := newTestAgg(Options{})
	feed(a, c, "m", 3, func(int) float64 { return 1 })
	require.Nil(t, a.st.all[0].tiers)
	require.NoError(t, a.Flush())
	require.NoError(t, a.Restore())
}

func TestSeriesMetaRoundTripAndGarbage(t *testing.T) {
	s := &series{source: "src", metric: "m", labels: Labels{{"a", "1"}, {"b", ""}}, kind: KindCounter}
	id, err := decodeSeriesMeta(encodeSeriesMeta(s))
	require.NoError(t, err)
	require.Equal(t, Identity{"src", "m", s.labels, KindCounter}, id)
	good := encodeSeriesMeta(s)
	for _, b := range [][]byte{nil, {9, 0}, {metaVersion, 7}, good[:len(good)-1], append(good[:len(good):len(good)], 0),
		{metaVersion, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}} {
		_, err := decodeSeriesMeta(b)
		require.Error(t, err, "%x", b)
	}
}

func TestRawBlockGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, {9, 1, 1, 0}, {rawBlockVersion, 0, 1, 0}, {rawBlockVersion, 200, 8, 0}, {rawBlockVersion, 1, 80, 0}} {
		_, err := decodeRawBlock(b, 0)
		require.Error(t, err, "%x", b)
	}
}

// TestLongFailureIsBounded: while writes fail for days, what waits for the
// disk stops growing: the oldest finished aggregate blocks are given up
// and counted, and the newest reach the storage once it works again.
func TestLongFailureIsBounded(t *testing.T) {
	f := newFakeStorage()
	a, c := newTestAgg(Options{Storage: f, History: 15 * time.Minute})
	f.failWrite = errors.New("no space left on device")
	first := c.ms
	// A sample a minute for two days.
	for i := range 48 * 60 {
		a.ingest(batch("s", gauge("m", c.ms, float64(i%10))))
		c.ms += 60_000
		if i%600 == 0 {
			require.Error(t, a.Flush())
		}
	}
	require.Error(t, a.Flush())
	s := a.st.all[0]
	require.Len(t, s.tiers.done, maxUnwrittenBlocks)
	shed := a.stats.tierShed.Load()
	require.Positive(t, shed)

	f.failWrite = nil
	require.NoError(t, a.Flush())
	minutes := f.tierBlocks(storage.Minute, s.key)
	hours := f.tierBlocks(storage.Hour, s.key)
	last := c.ms - 60_000
	// The last minute and hour are still open (not in a block); every
	// block they span besides is either written or counted as shed.
	spans := func(width, lastClosed int64) uint64 {
		return uint64(floorDiv(lastClosed, width) - floorDiv(first, width) + 1)
	}
	want := spans(minuteBlockMs, last-minuteMs) + spans(hourBlockMs, floorDiv(last, hourMs)*hourMs-hourMs)
	require.Equal(t, want, uint64(len(minutes)+len(hours))+shed)
	require.Equal(t, minutes[len(minutes)-1].End, s.tiers.blocks[storage.Minute].block(storage.Minute, s.key).End, "the newest are kept")
}
