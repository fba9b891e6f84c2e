package aggregator

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/aggregator/storage"
)

func TestQueryRangeRefusals(t *testing.T) {
	a, _ := newTestAgg(Options{})
	many := make([]string, protocol.MaxRangeSeries+1)
	for _, tc := range []struct {
		req  protocol.RangeRequest
		want string
	}{
		{protocol.RangeRequest{ID: 7, Series: many, From: 1, To: 2}, "too many series"},
		{protocol.RangeRequest{From: 2, To: 2}, "from must be before to"},
		{protocol.RangeRequest{From: 0, To: 11 * 365 * 24 * hourMs}, "longer than 10 years"},
		{protocol.RangeRequest{From: math.MinInt64, To: math.MaxInt64}, "longer than 10 years"},
	} {
		ans := a.QueryRange(tc.req)
		require.Contains(t, ans.Error, tc.want)
		require.Empty(t, ans.Series)
		require.Equal(t, tc.req.ID, ans.ID)
		require.Equal(t, protocol.TypeRange, ans.Type)
	}
}

func TestQueryRangeMemoryOnly(t *testing.T) {
	a, c := newTestAgg(Options{})
	t0 := c.ms
	feed(a, c, "m", 100, func(i int) float64 { return float64(i) })
	id := a.st.all[0].id
	ans := a.QueryRange(protocol.RangeRequest{Series: []string{id, "nope", "00000000000000ff"}, From: t0 + 10_000, To: t0 + 19_000})
	require.Empty(t, ans.Error)
	require.Equal(t, "raw", ans.Tier)
	require.Zero(t, ans.Step, "raw points as they are")
	require.Len(t, ans.Series[0].Points, 10)
	require.Equal(t, protocol.RangePoint{T: t0 + 10_000, Mean: 10, Min: 10, Max: 10}, ans.Series[0].Points[0])
	require.Equal(t, "unknown series", ans.Series[1].Error)
	require.Equal(t, "unknown series", ans.Series[2].Error)

	// A step: cut to it, mean/min/max.
	ans = a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: t0, To: t0 + 99_000, Step: 10_000})
	require.Equal(t, int64(10_000), ans.Step)
	p := ans.Series[0].Points[1]
	require.Equal(t, protocol.RangePoint{T: floorDiv(t0+10_000, 10_000) * 10_000, Mean: 14.5, Min: 10, Max: 19}, p)

	// Over the budget: cut to the step the budget allows.
	ans = a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: t0, To: t0 + 99_000, Points: 5})
	require.Equal(t, "raw", ans.Tier)
	require.LessOrEqual(t, len(ans.Series[0].Points), 5)
	require.Equal(t, int64(24_750), ans.Step)
}

// minuteFake is a storage holding a day of minute blocks of one counter
// series ending at end, and the aggregator reading it.
func minuteFake(tb testing.TB, end int64) (*Aggregator, *fakeStorage, string) {
	f := newFakeStorage()
	s := &series{source: "s", metric: "m", kind: KindCounter}
	key := uint64(42)
	require.NoError(tb, f.Write([]storage.SeriesMeta{{Key: key, Meta: encodeSeriesMeta(s)}}, nil))
	st := newSeriesTiers()
	for m := end - 24*hourMs; m < end; m += minuteMs {
		v := float64(m/minuteMs%1000) / 4
		st.appendPoint(storage.Minute, key, KindCounter, aggPoint{t: m, count: 60, sum: 60 * v, min: v - 1, max: v + 1, last: v, inc: 7200})
	}
	st.finishBlock(storage.Minute, key)
	require.NoError(tb, f.Write(nil, st.done))
	a := New(Options{Storage: f, Now: func() time.Time { return time.UnixMilli(end) },
		Retention: [storage.NumTiers]time.Duration{12 * time.Hour, 90 * 24 * time.Hour, 0}})
	require.NoError(tb, a.Restore())
	return a, f, formatID(key)
}

func TestQueryRangeTiers(t *testing.T) {
	end := int64(1_700_006_400_000) // on a two-hour boundary
	a, f, id := minuteFake(t, end)
	// 24 hours at one-minute steps: the minute tier, from storage.
	ans := a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: end - 24*hourMs, To: end - 1, Step: minuteMs})
	require.Equal(t, "1m", ans.Tier)
	require.Equal(t, int64(minuteMs), ans.Step)
	require.Len(t, ans.Series[0].Points, 1440)
	p := ans.Series[0].Points[0]
	v := float64((end-24*hourMs)/minuteMs%1000) / 4
	require.Equal(t, protocol.RangePoint{T: end - 24*hourMs, Mean: v, Min: v - 1, Max: v + 1}, p)

	// A step asked: the minutes cut to it, a step's min the min of its minutes.
	ans = a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: end - 24*hourMs, To: end - 1, Step: 15 * minuteMs})
	require.Equal(t, "1m", ans.Tier)
	require.Equal(t, int64(15*minuteMs), ans.Step)
	require.Len(t, ans.Series[0].Points, 96)
	require.Equal(t, v-1, ans.Series[0].Points[0].Min)
	// A step longer than the range: one point, near the range.
	ans = a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: end - 23*hourMs, To: end - 22*hourMs - 1, Step: math.MaxInt64})
	require.Equal(t, "1m", ans.Tier)
	require.Len(t, ans.Series[0].Points, 1)
	require.GreaterOrEqual(t, ans.Series[0].Points[0].T, end-24*hourMs)

	// A budget the minutes fit a few to a point: minutes, cut to whole
	// minutes (a day for a chart 1,000 points wide).
	ans = a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: end - 24*hourMs, To: end - 1, Points: 1000})
	require.Equal(t, "1m", ans.Tier)
	require.Equal(t, int64(2*minuteMs), ans.Step)
	require.Len(t, ans.Series[0].Points, 720)
	// A budget the minutes fit only by more than tierOversample to a
	// point: the hour tier, in whole hours.
	ans = a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: end - 24*hourMs, To: end - 1, Points: 100})
	require.Equal(t, "1h", ans.Tier)
	require.Equal(t, int64(hourMs), ans.Step)

	// Older than the raw retention, fitting at minutes: 1m even for 10 minutes.
	ans = a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: end - 23*hourMs, To: end - 23*hourMs + 10*minuteMs})
	require.Equal(t, "1m", ans.Tier)
	require.Len(t, ans.Series[0].Points, 11)

	// Within the raw retention: raw (nothing there: the fake has no raw).
	ans = a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: end - 10*minuteMs, To: end})
	require.Equal(t, "raw", ans.Tier)
	require.Empty(t, ans.Series[0].Points)
	require.Empty(t, ans.Series[0].Error)

	// A year: more minutes than the budget, the hour tier.
	ans = a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: end - 24*hourMs*60, To: end})
	require.Equal(t, "1h", ans.Tier)
	// Beyond every tier's reach but the hour's: the hour tier too.
	ans = a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: end - 24*hourMs*100, To: end - 24*hourMs*99})
	require.Equal(t, "1h", ans.Tier)

	// A storage that fails: the series says so.
	f.failRead = errors.New("input/output error")
	ans = a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: end - 24*hourMs, To: end - 1, Step: minuteMs})
	require.Contains(t, ans.Series[0].Error, "input/output error")
	f.failRead = nil
	// A block that does not decode: the rest is answered, and the error said.
	for k, b := range f.blocks {
		if k.tier == storage.Minute && b.Start == end-24*hourMs {
			b.Data = []byte{1, 2, 3}
			f.blocks[k] = b
		}
	}
	ans = a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: end - 24*hourMs, To: end - 1, Step: minuteMs})
	require.Contains(t, ans.Series[0].Error, "does not decode")
	require.Len(t, ans.Series[0].Points, 1440-120)
}

func TestQueryRangeJoinsStorageAndMemory(t *testing.T) {
	f := newFakeStorage()
	a, c := newTestAgg(Options{Storage: f, History: 15 * time.Minute})
	t0 := c.ms
	feed(a, c, "m", 3600, func(i int) float64 { return float64(i) })
	require.NoError(t, a.Flush())
	feed(a, c, "m", 30, func(i int) float64 { return float64(3600 + i) }) // not flushed
	id := a.st.all[0].id
	// Raw over the hour, at 1 s: more than memory holds.
	ans := a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: t0, To: c.ms, Points: protocol.MaxRangePoints})
	require.Equal(t, "raw", ans.Tier, "3630 raw points fit 2000 two to a point")
	require.Equal(t, int64(1816), ans.Step)
	var n float64
	for _, p := range ans.Series[0].Points {
		n += 1
		require.LessOrEqual(t, p.Min, p.Mean)
		require.LessOrEqual(t, p.Mean, p.Max)
	}
	require.Equal(t, float64(3629), ans.Series[0].Points[len(ans.Series[0].Points)-1].Max, "reaches the newest sample")
	ans = a.QueryRange(protocol.RangeRequest{Series: []string{id}, From: t0, To: t0 + 1800_000, Points: 1900})
	require.Equal(t, "raw", ans.Tier)
	require.Len(t, ans.Series[0].Points, 1801, "older than memory: from storage")
	for i, p := range ans.Series[0].Points {
		require.Equal(t, float64(i), p.Mean)
	}
	require.True(t, slices.IsSortedFunc(ans.Series[0].Points, func(x, y protocol.RangePoint) int { return int(x.T - y.T) }))
}

// BenchmarkQueryRange24h reads 24 hours of one series at one-minute steps
// from a storage holding a day of minute blocks. The p50 is ns/op.
func BenchmarkQueryRange24h(b *testing.B) {
	end := int64(1_700_006_400_000)
	a, _, id := minuteFake(b, end)
	req := protocol.RangeRequest{Series: []string{id}, From: end - 24*hourMs, To: end - 1, Step: minuteMs}
	var d []time.Duration
	for b.Loop() {
		t := time.Now()
		ans := a.QueryRange(req)
		d = append(d, time.Since(t))
		if len(ans.Series[0].Points) != 1440 {
			b.Fatal(len(ans.Series[0].Points))
		}
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
}

// BenchmarkIngestWithStorage is BenchmarkIngest with a (fake) storage
// attached: aggregates built on every sample, and a flush of every series
// every tenth batch (ten seconds of samples at one a second). Run with -cpu 1.
// discardStorage takes every write and keeps nothing: what the benchmark
// below times is the aggregator's side of storing (the aggregates, the
// flushes' collection and encoding), not a fake's copying (the store's own
// write cost: storage.BenchmarkWrite, on the flusher's goroutine).
type discardStorage struct{ fakeStorage }

func (*discardStorage) Write([]storage.SeriesMeta, []storage.Block) error { return nil }
func (*discardStorage) Enforce() error                                    { return nil }

// It keeps a journal as storage.DB does, so that the flushes collect what
// the binary's do (journal.go).
func (*discardStorage) WriteJournaled([]storage.SeriesMeta, []storage.Block, storage.Journal) error {
	return nil
}
func (*discardStorage) ReadJournal(func(storage.JournalEntry) bool) error { return nil }

func BenchmarkIngestWithStorage(b *testing.B) {
	a, c, batches := benchStore(b, Options{Storage: &discardStorage{*newFakeStorage()}}, 10000, ingestFill)
	rng := rand.New(rand.NewPCG(3, 4))
	samples, round := 0, 0
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		c.ms += 1000
		stepBatches(batches, c.ms, rng)
		t := startCPU()
		b.StartTimer()
		a.ingest(batches[0])
		a.st.settle(c.ms, len(a.st.dirty))
		b.StopTimer()
		cpu += processCPU() - t.start
		samples += len(batches[0].Samples)
		a.st.collect(&delta{}, len(a.st.dirty))
		t = startCPU()
		b.StartTimer()
		if round++; round%10 == 0 { // the flusher's work, every 10 s as by default
			if err := a.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		cpu += processCPU() - t.start
		b.StartTimer()
	}
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(samples)/cpu.Seconds(), "samples/cpu-s")
	b.ReportMetric(0, "ns/op")
}

// A counter's steps carry their increase and how many sample-to-sample
// increases it sums, so that a client's rate of a step only partly covered
// (the server restarted within it) is over the time its samples cover.
func TestQueryRangeCounterIncrease(t *testing.T) {
	// Raw samples, one a second at 120/s, the counter reset to 0 by a
	// restart 20 s down in the second 10 s step.
	var raw []aggPoint
	v := 0.0
	for ts := int64(0); ts < 30_000; ts += 1000 {
		switch {
		case ts > 12_000 && ts < 17_000:
			continue // down
		case ts == 17_000:
			v = 120
		case ts > 0:
			v += 120
		}
		raw = append(raw, aggPoint{t: ts, count: 1, sum: v, min: v, max: v, last: v})
	}
	pts := bucket(raw, 10_000, true, true)
	require.Len(t, pts, 3)
	require.Equal(t, protocol.RangePoint{T: 0, Mean: 540, Min: 0, Max: 1080, Inc: 1080, N: 9}, pts[0], "the first sample's increase is not known")
	require.Equal(t, protocol.RangePoint{T: 10_000, Mean: pts[1].Mean, Min: 120, Max: 1440, Inc: 120*3 + 120 + 120*2, N: 6}, pts[1],
		"the restart's step: 6 increases over its 6 samples, the reset's new value counted")
	require.Equal(t, 120.0*10, pts[2].Inc)
	require.Equal(t, int64(10), pts[2].N)

	// Aggregates: their increases, as many as their samples.
	mins := []aggPoint{
		{t: 0, count: 60, sum: 60, min: 0, max: 7080, last: 7080, inc: 7200},
		{t: minuteMs, count: 20, sum: 20, min: 100, max: 9000, last: 2400, inc: 2400},
	}
	pts = bucket(mins, 2*minuteMs, false, true)
	require.Equal(t, 9600.0, pts[0].Inc)
	require.Equal(t, int64(80), pts[0].N)
	// A gauge's steps carry none.
	require.Zero(t, bucket(mins, minuteMs, false, false)[0].N)

	b, err := json.Marshal(pts[0])
	require.NoError(t, err)
	require.Equal(t, `[0,1,0,9000,9600,80]`, string(b))
	var back protocol.RangePoint
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, pts[0], back)
	require.Error(t, json.Unmarshal([]byte(`[0,1,0,2,3,0]`), &back), "n must be positive")
	require.Error(t, json.Unmarshal([]byte(`[0,1,0,2,3]`), &back))
}

// binaryShapeBatches are the ten sources' batches of n series in all, as
// scripts/ingest-bench.sh's binary polls them (see
// BenchmarkIngestBinaryShape), their first values drawn from rng.
func binaryShapeBatches(n int, rng *rand.Rand) []Batch {
	var batches []Batch
	for i := range 10 {
		ss := make([]Sample, n/10)
		for j := range ss {
			ss[j] = Sample{Metric: "load_" + strconv.Itoa(i), Labels: Labels{{"instance", strconv.Itoa(j)}}, Value: math.Round(rng.Float64()*10000) / 10}
		}
		batches = append(batches, Batch{Source: "sim" + strconv.Itoa(i), Samples: ss, Complete: true, Interval: time.Second})
	}
	return batches
}

// BenchmarkIngestBinaryShape is BenchmarkIngestWithStorage in the shape
// scripts/ingest-bench.sh runs the binary in: ten sources of 10,000
// random-walk gauges each (in [0, 1000], a step of σ 10, rounded to 0.1 as
// the simulated source rounds them), 100,000 series in all, every series
// a sample a second, fifteen minutes filled first. One op is one second:
// every source's batch ingested, the windows settled, a publish collected;
// a flush every ten. At 100,000 series the store is ten times larger than
// the caches, as in the binary; at 10,000 most of it stays in the last
// level, and the benchmark said half again what the binary's aggregator
// goroutine did. Filling takes a few minutes: run it on its own.
func BenchmarkIngestBinaryShape(b *testing.B) {
	const n = 100_000
	a, c := newTestAgg(Options{MaxSeries: n, Storage: &discardStorage{*newFakeStorage()}})
	rng := rand.New(rand.NewPCG(7, 8))
	batches := binaryShapeBatches(n, rng)
	step := func() {
		c.ms += 1000
		for _, bt := range batches {
			walkBatch(bt, c.ms, rng)
		}
	}
	second := func() {
		for _, bt := range batches {
			a.ingest(bt)
		}
		a.st.settle(c.ms, len(a.st.dirty))
	}
	for range ingestFill {
		step()
		second()
		a.st.collect(&delta{}, len(a.st.dirty))
	}
	samples, round := 0, 0
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		step()
		b.StartTimer()
		t := startCPU()
		second()
		a.st.collect(&delta{}, len(a.st.dirty))
		if round++; round%10 == 0 {
			if err := a.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		cpu += processCPU() - t.start
		samples += n
	}
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(samples)/cpu.Seconds(), "samples/cpu-s")
	b.ReportMetric(0, "ns/op")
}

// walkBatch moves every sample of bt one step of a random walk of σ 10,
// reflected into [0, 1000] and rounded to 0.1, at time ms.
func walkBatch(bt Batch, ms int64, rng *rand.Rand) {
	for i := range bt.Samples {
		s := &bt.Samples[i]
		v := s.Value + 10*rng.NormFloat64()
		if v < 0 {
			v = -v
		}
		if v > 1000 {
			v = 2000 - v
		}
		s.TimeMs, s.Value = ms, math.Round(v*10)/10
	}
}

// A range query gives the processor away between series and every
// rangeYieldPoints points a series decodes from Storage, so that on one
// core the stream's writers do not wait behind a whole request
// (yieldRange). The answer is the same as without yields.
func TestQueryRangeYieldsAsItReads(t *testing.T) {
	defer func(old func()) { yieldRange = old }(yieldRange)
	yields := 0
	yieldRange = func() { yields++ }

	end := int64(1_700_006_400_000)
	a, _, id := minuteFake(t, end)
	req := protocol.RangeRequest{Series: []string{id}, From: end - 24*hourMs, To: end - 1, Step: minuteMs}
	one := a.QueryRange(req)
	require.Len(t, one.Series[0].Points, 1440)
	require.Zero(t, yields, "a day of minutes is less than rangeYieldPoints: no yield")
	// Three series (the same one asked three times: each id named is
	// answered): a yield before the second and the third.
	req.Series = []string{id, id, id}
	three := a.QueryRange(req)
	require.Len(t, three.Series, 3)
	for _, s := range three.Series {
		require.Equal(t, one.Series[0].Points, s.Points)
	}
	require.Equal(t, 2, yields)

	// One series of 3.5 hours of raw samples at 1 s, all but the last 15
	// minutes from Storage (flushed every minute, as the flusher would): 11,475
	// points decoded, two yields.
	f := newFakeStorage()
	b, c := newTestAgg(Options{Storage: f, History: 15 * time.Minute})
	t0 := c.ms
	for i := range 12_600 {
		b.ingest(batch("s", gauge("m", c.ms, float64(i))))
		tickSecond(b, c) // the history keeps its 15 minutes
		if i%60 == 0 {
			require.NoError(t, b.Flush())
		}
	}
	require.NoError(t, b.Flush())
	yields = 0
	ans := b.QueryRange(protocol.RangeRequest{Series: []string{b.st.all[0].id}, From: t0, To: c.ms})
	require.Empty(t, ans.Series[0].Error)
	require.Equal(t, float64(12_599), ans.Series[0].Points[len(ans.Series[0].Points)-1].Max, "reaches the newest sample")
	require.Equal(t, 2, yields)
}
