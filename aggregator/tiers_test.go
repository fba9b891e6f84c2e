package aggregator

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

func counterSample(metric string, tms int64, v float64) Sample {
	return Sample{Metric: metric, Kind: KindCounter, TimeMs: tms, Value: v}
}

// storedAgg decodes every stored block of a tier of a series.
func storedAgg(t *testing.T, f *fakeStorage, tier storage.Tier, key uint64) []aggPoint {
	t.Helper()
	var out []aggPoint
	for _, b := range f.tierBlocks(tier, key) {
		pts, err := decodeAggBlock(b.Data, b.Start)
		require.NoError(t, err)
		require.Equal(t, b.Points, len(pts))
		require.Equal(t, b.End, pts[len(pts)-1].t)
		out = append(out, pts...)
	}
	return out
}

func TestMinuteAndHourAggregates(t *testing.T) {
	f := newFakeStorage()
	a, c := newTestAgg(Options{Storage: f, History: time.Hour})
	c.ms = 1_700_000_040_000 // 40 s into a minute (and into an hour: 1_699_999_200_000)
	base := floorDiv(c.ms, minuteMs) * minuteMs
	// Minute 0: 1, NaN, 3; minute 1: a counter reset; minute 2 opens.
	vals := []struct {
		t int64
		v float64
	}{{base + 1000, 10}, {base + 2000, math.NaN()}, {base + 3000, 30}, {base + minuteMs, 40}, {base + minuteMs + 1000, 5}, {base + 2*minuteMs, 7}}
	for _, x := range vals {
		a.ingest(batch("s", counterSample("c", x.t, x.v)))
	}
	require.NoError(t, a.Flush())
	key := a.st.all[0].key
	got := storedAgg(t, f, storage.Minute, key)
	require.Equal(t, []aggPoint{
		{t: base, count: 2, sum: 40, min: 10, max: 30, last: 30, inc: 20},
		{t: base + minuteMs, count: 2, sum: 45, min: 5, max: 40, last: 5, inc: 10 + 5}, // 30→40, reset to 5
	}, got)
	require.Empty(t, storedAgg(t, f, storage.Hour, key), "the hour is still open")
	// The open minute and hour are in the answer all the same.
	s := a.st.all[0]
	require.Equal(t, []aggPoint{{t: base + 2*minuteMs, count: 1, sum: 7, min: 7, max: 7, last: 7, inc: 2}}, s.openPoints(storage.Minute))
	hour := floorDiv(base, hourMs) * hourMs
	require.Equal(t, []aggPoint{{t: hour, count: 5, sum: 92, min: 5, max: 40, last: 7, inc: 37}}, s.openPoints(storage.Hour))
	// A minute of the next hour closes the hour once it closes itself.
	a.ingest(batch("s", counterSample("c", hour+hourMs+5, 9)))
	require.NoError(t, a.Flush())
	require.Empty(t, storedAgg(t, f, storage.Hour, key))
	a.ingest(batch("s", counterSample("c", hour+hourMs+minuteMs, 10)))
	require.NoError(t, a.Flush())
	require.Equal(t, []aggPoint{{t: hour, count: 5, sum: 92, min: 5, max: 40, last: 7, inc: 37}}, storedAgg(t, f, storage.Hour, key))
}

func TestGaugeBlocksHaveNoIncreaseColumn(t *testing.T) {
	var b aggBlock
	b.append(aggPoint{t: 0, count: 1, sum: 1, min: 1, max: 1, last: 1}, false)
	require.Len(t, b.cols, numAggCols-1)
	b = aggBlock{}
	b.append(aggPoint{t: 0, count: 1, sum: 1, min: 1, max: 1, last: 1}, true)
	require.Len(t, b.cols, numAggCols)
}

func TestSnapSum(t *testing.T) {
	s := 0.0
	for range 10 {
		s += 0.1
	}
	require.NotEqual(t, 1.0, s)
	require.Equal(t, 1.0, snapSum(s, 10, 0.1))
	// Within no error bound of a decimal: left alone.
	require.Equal(t, math.Pi, snapSum(math.Pi, 3, 2))
	require.True(t, math.IsNaN(snapSum(math.NaN(), 2, 1)))
	require.Equal(t, 1e300, snapSum(1e300, 2, 1e300), "beyond 2^53: as it is")
}

func TestAggBlockRoundTripAndBlocksAligned(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	st := newSeriesTiers()
	t0 := int64(1_700_000_000_000)
	var want []aggPoint
	for i := range 400 { // more than three two-hour blocks
		p := aggPoint{t: t0 + int64(i)*minuteMs, count: 60, sum: round2(rng.Float64() * 1000), min: 1, max: edgeValues[i%len(edgeValues)], last: 2, inc: float64(i)}
		st.appendPoint(storage.Minute, 1, KindCounter, p)
		want = append(want, p)
	}
	var got []aggPoint
	for _, b := range st.done {
		require.Equal(t, floorDiv(b.Start, minuteBlockMs), floorDiv(b.End, minuteBlockMs), "a block stays in its span")
		pts, err := decodeAggBlock(b.Data, b.Start)
		require.NoError(t, err)
		got = append(got, pts...)
	}
	open := st.blocks[storage.Minute]
	pts, err := decodeAggBlock(open.data(), open.start)
	require.NoError(t, err)
	got = append(got, pts...)
	require.Len(t, got, len(want))
	for i := range want {
		w, g := colValues(want[i]), colValues(got[i])
		require.Equal(t, want[i].t, got[i].t)
		for c := range w {
			require.Equal(t, math.Float64bits(w[c]), math.Float64bits(g[c]), "point %d column %d", i, c)
		}
	}
}

func TestDecodeAggBlockGarbage(t *testing.T) {
	var b aggBlock
	for i := range 10 {
		b.append(aggPoint{t: int64(i) * minuteMs, count: 2, sum: 3, min: 1, max: 2, last: 2}, false)
	}
	good := b.data()
	cases := map[string][]byte{
		"empty":          nil,
		"version":        append([]byte{9}, good[1:]...),
		"columns":        append([]byte{good[0], 3}, good[2:]...),
		"zero points":    {aggBlockVersion, 5, 0},
		"too many":       {aggBlockVersion, 5, 0xff, 0xff, 0xff, 0x7f},
		"truncated":      good[:len(good)-3],
		"trailing bytes": append(good[:len(good):len(good)], 0),
	}
	for name, data := range cases {
		_, err := decodeAggBlock(data, 0)
		require.Error(t, err, name)
	}
}

func FuzzDecodeAggBlock(f *testing.F) {
	var b aggBlock
	for i := range 30 {
		b.append(aggPoint{t: int64(i) * minuteMs, count: 120, sum: float64(i) * 2.5, min: -1, max: 1e9, last: 0.25, inc: 4}, true)
	}
	f.Add(b.data(), int64(0))
	f.Add([]byte{aggBlockVersion, 6, 1, 70, 0, 0, 0, 0, 0, 0, 0, 0, 0}, int64(-5))
	f.Fuzz(func(t *testing.T, data []byte, start int64) {
		pts, err := decodeAggBlock(data, start)
		if err != nil {
			pts = nil
		}
		// Bounded memory: constant columns and regular times cost no bits
		// a point, so the bound is the decoder's, not the data's size.
		require.LessOrEqual(t, len(pts), maxAggBlockPoints)
		for i := 1; i < len(pts); i++ {
			require.GreaterOrEqual(t, pts[i].t, pts[i-1].t)
		}
		// The bytes as points too: what the encoder writes comes back.
		if in := fuzzAggPoints(data, start); len(in) > 0 {
			aggRoundTrip(t, in, start%2 == 0)
		}
	})
}

// TestAggBytesPerMinutePoint measures the aggregate codec on the demo's
// series shapes (allShapes, sampled every second): a full two-hour block of
// minute points each, Block.Data bytes over points. Run with -v for the
// figure per shape. The target is 6 B on the mean (held here); the noisy high-resolution shapes
// (bytes of memory and of network counters) cost more, as a lossless sum of
// noise must: the bound here catches a regression.
func TestAggBytesPerMinutePoint(t *testing.T) {
	total, points := 0, 0
	for _, sh := range allShapes {
		rng := rand.New(rand.NewPCG(7, 8))
		f := newFakeStorage()
		a, c := newTestAgg(Options{Storage: f, History: 3 * time.Hour})
		c.ms = floorDiv(c.ms, minuteBlockMs) * minuteBlockMs
		kind := KindGauge
		if strings.HasSuffix(sh.name, "total") || sh.name == "counter" {
			kind = KindCounter
		}
		pts := sh.gen(rng, c.ms, 1000, 0, 2*3600+61)
		for _, p := range pts {
			c.ms = p.t
			a.ingest(batch("s", Sample{Metric: "m", Kind: kind, TimeMs: p.t, Value: p.v}))
		}
		require.NoError(t, a.Flush())
		bs := f.tierBlocks(storage.Minute, a.st.all[0].key)
		require.NotEmpty(t, bs)
		b := bs[0]
		require.Equal(t, 120, b.Points, sh.name)
		t.Logf("%-26s %5.2f B a minute point", sh.name, float64(len(b.Data))/float64(b.Points))
		total += len(b.Data)
		points += b.Points
	}
	perPoint := float64(total) / float64(points)
	t.Logf("mean over the shapes: %.2f B a minute point", perPoint)
	require.LessOrEqual(t, perPoint, 6.0)
}
