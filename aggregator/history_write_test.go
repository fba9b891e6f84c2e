package aggregator

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// lateSamples are second i's samples of restoreFeed's two series (a
// gauge with NaNs, a counter that restarts), stamped at ms.
func lateSamples(i int, ms int64) []Sample {
	g := float64((i*37)%101) / 4
	if i%97 == 0 {
		g = math.NaN()
	}
	ctr := float64(i*3) / 4
	if i >= 700 {
		ctr = float64(i-700) / 2
	}
	return []Sample{gauge("g", ms, g, "k", "v"), counterSample("c", ms, ctr)}
}

// feedLate ingests seconds [from, to) from t0, flushing every minute, so
// that nothing ages out of memory unwritten.
func feedLate(t *testing.T, a *Aggregator, c *clock, t0 int64, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		c.ms = t0 + int64(i)*1000
		a.ingest(batch("s", lateSamples(i, c.ms)...))
		if i%60 == 0 {
			a.tick()
			require.NoError(t, a.Flush())
		}
	}
	a.tick()
	require.NoError(t, a.Flush())
}

// stopAgg closes the open periods and flushes, as Serve does at its end.
func stopAgg(t *testing.T, a *Aggregator) {
	t.Helper()
	require.NoError(t, a.flushFinal())
}

func openDB(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(storage.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// A node away for an hour gets the samples it missed late: those older
// than its history are merged into its stored tiers, next to its own
// data that ends where it went away, and the range queries then answer
// exactly what a node that never went away answers, raw and by the
// minute; samples it held already are duplicates and keep their value;
// the recent ones stay for memory.
func TestWriteHistoryFillsStoredTiersLikeLiveIngestion(t *testing.T) {
	const away, back, end = 600, 3000, 3600 // seconds
	ref, rc := newTestAgg(Options{Storage: openDB(t)})
	t0 := rc.ms
	feedLate(t, ref, rc, t0, 0, end)

	db := openDB(t)
	b1, c1 := newTestAgg(Options{Storage: db})
	feedLate(t, b1, c1, t0, 0, away)
	stopAgg(t, b1)

	b, c := newTestAgg(Options{Storage: db})
	c.ms = t0 + back*1000
	require.NoError(t, b.Restore())
	require.Empty(t, b.st.all, "its series are older than its history: on disk only")
	late := map[string][]Sample{}
	for i := away - 10; i < back; i++ {
		smp := lateSamples(i, t0+int64(i)*1000)
		if i < away {
			smp[0].Value = -1 // a different value for a time stored: the stored one stays
		}
		late["s"] = append(late["s"], smp...)
	}
	res, err := b.WriteHistory(late, c.ms-b.opts.History.Milliseconds())
	require.NoError(t, err)
	horizon := back - int(b.opts.History.Seconds())
	require.Equal(t, HistoryWrite{Written: 2 * (horizon - away), Duplicates: 20}, res)
	require.Len(t, late["s"], 2*(back-horizon), "the samples within the history stay for memory")
	b.ingest(batch("s", late["s"]...))
	feedLate(t, b, c, t0, back, end)

	ids := []string{}
	for _, s := range ref.st.sorted() {
		ids = append(ids, s.id)
	}
	byMinute := protocol.RangeRequest{Series: ids, From: t0, To: c.ms, Step: minuteMs, Points: 100}
	want, got := ref.QueryRange(byMinute), b.QueryRange(byMinute)
	require.Equal(t, "1m", got.Tier)
	// One difference, in the counter's increase: the first sample the
	// node takes in live (the minute at its history's horizon) has no
	// sample before it in memory (the series was on disk only), so its
	// increase (one sample's: 0.5) is not known; every other is the same.
	for i, s := range want.Series {
		for j, p := range s.Points {
			if p.N > 0 && p.T == minuteOf(t0+int64(horizon)*1000) {
				require.Equal(t, p.Inc-0.5, got.Series[i].Points[j].Inc)
				got.Series[i].Points[j].Inc = p.Inc
			}
		}
	}
	requireSameRange(t, want, got, "by the minute")
	for from := int64(0); from < end; from += 900 {
		raw := protocol.RangeRequest{Series: ids, From: t0 + from*1000, To: t0 + (from+899)*1000}
		want, got := ref.QueryRange(raw), b.QueryRange(raw)
		require.Equal(t, "raw", got.Tier)
		require.Len(t, got.Series[0].Points, 900)
		requireSameRange(t, want, got, "raw from %d s", from)
	}
	byHour := protocol.RangeRequest{Series: ids, From: t0, To: c.ms, Step: hourMs, Points: 3}
	require.InDeltaSlice(t, rangeMeans(ref.QueryRange(byHour)), rangeMeans(b.QueryRange(byHour)), 1e-9)
	requireNoOverlap(t, db, b.st.all[0].key)
}

// requireSameRange compares two answers point by point, naming the first
// that differs rather than printing both.
func requireSameRange(t *testing.T, want, got protocol.RangeAnswer, msg string, args ...any) {
	t.Helper()
	require.Equal(t, want.Tier, got.Tier)
	require.Len(t, got.Series, len(want.Series))
	for i, ws := range want.Series {
		gs := got.Series[i]
		require.Equal(t, ws.Error, gs.Error)
		for j := range min(len(ws.Points), len(gs.Points)) {
			if fmt.Sprint(ws.Points[j]) != fmt.Sprint(gs.Points[j]) { // NaN is NaN here
				t.Fatalf("%s: series %s point %d: want %+v, got %+v", fmt.Sprintf(msg, args...), ws.ID, j, ws.Points[j], gs.Points[j])
			}
		}
		require.Len(t, gs.Points, len(ws.Points), msg, args)
	}
}

func rangeMeans(a protocol.RangeAnswer) []float64 {
	var out []float64
	for _, s := range a.Series {
		for _, p := range s.Points {
			out = append(out, p.Mean, p.Min, p.Max)
		}
	}
	return out
}

// requireNoOverlap checks that a series' blocks in each tier start after
// the one before ends, as Blocks needs.
func requireNoOverlap(t *testing.T, db *storage.DB, key uint64) {
	t.Helper()
	for tier := storage.Raw; tier < storage.NumTiers; tier++ {
		last := int64(math.MinInt64)
		require.NoError(t, db.Blocks(tier, key, 0, math.MaxInt64, func(b storage.Block) bool {
			require.Greater(t, b.Start, last, "%s blocks overlap", tier)
			last = b.End
			return true
		}))
	}
}

// Late samples between stored ones land between them, in the blocks
// they fall in; a sample given twice counts once.
func TestWriteHistoryInterleavesWithStoredBlock(t *testing.T) {
	db := openDB(t)
	a, c := newTestAgg(Options{Storage: db, History: time.Minute, Windows: []time.Duration{time.Minute}})
	t0 := c.ms
	for i := 0; i < 600; i += 2 {
		c.ms = t0 + int64(i)*1000
		a.ingest(batch("s", gauge("g", c.ms, float64(i))))
		if i%60 == 0 {
			a.tick()
			require.NoError(t, a.Flush())
		}
	}
	stopAgg(t, a)

	b, cb := newTestAgg(Options{Storage: db, History: time.Minute, Windows: []time.Duration{time.Minute}})
	cb.ms = t0 + 3600*1000
	var late []Sample
	for i := 1; i < 600; i += 2 {
		late = append(late, gauge("g", t0+int64(i)*1000, float64(i)))
	}
	late = append(late, late[10], gauge("g", t0+4000, 99)) // given twice; stored at 4 s already
	batches := map[string][]Sample{"s": late}
	res, err := b.WriteHistory(batches, cb.ms-time.Minute.Milliseconds())
	require.NoError(t, err)
	require.Equal(t, HistoryWrite{Written: 300, Duplicates: 2}, res)
	require.Empty(t, batches, "an emptied batch leaves the map")

	id := formatID(identityHash("s", "g", nil))
	ans := b.QueryRange(protocol.RangeRequest{Series: []string{id}, From: t0, To: t0 + 599_000})
	require.Empty(t, ans.Series[0].Error)
	pts := ans.Series[0].Points
	require.Len(t, pts, 600)
	for i, p := range pts {
		require.Equal(t, protocol.RangePoint{T: t0 + int64(i)*1000, Mean: float64(i), Min: float64(i), Max: float64(i)}, p)
	}
	minutes := b.QueryRange(protocol.RangeRequest{Series: []string{id}, From: t0, To: t0 + 599_000, Step: minuteMs, Points: 20})
	require.Equal(t, "1m", minutes.Tier)
	require.NotEmpty(t, minutes.Series[0].Points)
	for _, p := range minutes.Series[0].Points {
		// Values are the seconds since t0: a minute's are a run of them.
		first := max(0, float64(p.T-t0)/1000)
		last := min(599, first+59-float64((max(p.T, t0)-p.T)/1000))
		require.Equal(t, protocol.RangePoint{T: p.T, Mean: (first + last) / 2, Min: first, Max: last}, p, "every second of the minute counted")
	}
	requireNoOverlap(t, db, identityHash("s", "g", nil))
}

// What WriteHistory leaves, refuses and does without Storage, and what a
// failed write leaves behind.
func TestWriteHistoryRefusals(t *testing.T) {
	old := func(c *clock, s ...Sample) map[string][]Sample { return map[string][]Sample{"s": s} }

	plain, pc := newTestAgg(Options{})
	in := old(pc, gauge("g", pc.ms-time.Hour.Milliseconds(), 1))
	res, err := plain.WriteHistory(in, pc.ms)
	require.NoError(t, err)
	require.Equal(t, HistoryWrite{}, res)
	require.Len(t, in["s"], 1, "without Storage memory judges every sample")

	f := newFakeStorage()
	var r [storage.NumTiers]time.Duration
	r[storage.Raw] = 2 * time.Hour
	a, c := newTestAgg(Options{Storage: f, Retention: r})
	a.ingest(batch("s", gauge("held", c.ms, 1)))
	in = old(c,
		gauge("held", c.ms-time.Hour.Milliseconds(), 1), // memory holds its series: memory's
		gauge("g", c.ms-3*time.Hour.Milliseconds(), 1),  // older than the raw tier keeps
		gauge("g", c.ms-time.Hour.Milliseconds(), 1),    // written
		gauge("g", c.ms-time.Minute.Milliseconds(), 2))  // within the history: memory's
	res, err = a.WriteHistory(in, c.ms-a.opts.History.Milliseconds())
	require.NoError(t, err)
	require.Equal(t, HistoryWrite{Written: 1, Refused: 1}, res)
	require.Equal(t, []string{"held", "g"}, []string{in["s"][0].Metric, in["s"][1].Metric})

	f.failWrite = errors.New("disk full")
	before := len(f.blocks)
	res, err = a.WriteHistory(old(c, gauge("g2", c.ms-time.Hour.Milliseconds(), 1), gauge("g2", c.ms-time.Hour.Milliseconds()+1000, 2)), c.ms)
	require.ErrorContains(t, err, "disk full")
	require.Equal(t, HistoryWrite{Refused: 2}, res)
	require.Len(t, f.blocks, before, "nothing written")
	_, known := a.persisted[identityHash("s", "g2", nil)]
	require.False(t, known)

	f.failWrite, f.failRead = nil, errors.New("unreadable")
	res, err = a.WriteHistory(old(c, gauge("g3", c.ms-time.Hour.Milliseconds(), 1)), c.ms)
	require.NoError(t, err, "a series whose blocks do not read is left out, the others written")
	require.Equal(t, HistoryWrite{Refused: 1}, res)
}

// NewestHeld finds the newest sample of the kept sources in memory and,
// for series on disk only, in the raw tier within its retention.
func TestNewestHeld(t *testing.T) {
	var r [storage.NumTiers]time.Duration
	r[storage.Raw] = 2 * time.Hour
	a, c := newTestAgg(Options{Storage: openDB(t), Retention: r})
	peer := func(src string) bool { return src == "p/s" }
	_, ok := a.NewestHeld(peer)
	require.False(t, ok, "nothing held")

	hour := time.Hour.Milliseconds()
	old := map[string][]Sample{"p/s": {gauge("x", c.ms-3*hour, 1), gauge("x", c.ms-hour, 2), gauge("y", c.ms-hour/2, 3)}}
	_, err := a.WriteHistory(old, c.ms)
	require.NoError(t, err)
	ms, ok := a.NewestHeld(peer)
	require.True(t, ok)
	require.Equal(t, c.ms-hour/2, ms, "on disk only")

	a.ingest(batch("p/s", gauge("z", c.ms-1000, 4)))
	a.ingest(batch("own", gauge("z", c.ms, 5)))
	ms, _ = a.NewestHeld(peer)
	require.Equal(t, c.ms-1000, ms, "memory's, another source's left out")
	reach, stored := a.StoredReach()
	require.Equal(t, 2*time.Hour, reach)
	require.True(t, stored)
}

// A series that left memory writes its last blocks before late samples
// are merged into them (else its flush would write them beside the merged
// blocks, overlapping); when that write fails, the late samples are
// refused.
func TestWriteHistoryFlushesRetiredFirst(t *testing.T) {
	retire := func(t *testing.T, st Storage) (*Aggregator, int64, int64) {
		a, c := newTestAgg(Options{Storage: st, History: time.Minute, Windows: []time.Duration{time.Minute}})
		t0 := c.ms
		for i := range 30 {
			c.ms = t0 + int64(i)*1000
			a.ingest(batch("s", gauge("g", c.ms, float64(i))))
		}
		c.ms = t0 + 5*time.Minute.Milliseconds()
		a.tick() // g leaves memory unwritten: retired
		a.mu.RLock()
		require.NotEmpty(t, a.st.retired.blocks)
		a.mu.RUnlock()
		return a, t0, c.ms - time.Minute.Milliseconds()
	}
	late := func(t0 int64) map[string][]Sample { return map[string][]Sample{"s": {gauge("g", t0+500, 0.5)}} }

	db := openDB(t)
	a, t0, cut := retire(t, db)
	res, err := a.WriteHistory(late(t0), cut)
	require.NoError(t, err)
	require.Equal(t, HistoryWrite{Written: 1}, res)
	require.NoError(t, a.Flush())
	requireNoOverlap(t, db, identityHash("s", "g", nil))
	id := formatID(identityHash("s", "g", nil))
	ans := a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: t0, To: t0 + 30_000})
	require.Len(t, ans.Series[0].Points, 31, "the retired samples and the late one")

	f := newFakeStorage()
	a, t0, cut = retire(t, f)
	f.failWrite = errors.New("disk full")
	in := late(t0)
	res, err = a.WriteHistory(in, cut)
	require.ErrorContains(t, err, "disk full")
	require.Equal(t, HistoryWrite{Refused: 1}, res)
	require.Empty(t, in)
}
