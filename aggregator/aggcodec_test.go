package aggregator

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// aggRoundTrip encodes pts as one block and requires them back bit for bit.
func aggRoundTrip(t *testing.T, pts []aggPoint, counter bool) []byte {
	t.Helper()
	b := reopenAggBlock(pts, counter)
	data := b.data()
	got, err := decodeAggBlock(data, pts[0].t)
	require.NoError(t, err)
	require.Len(t, got, len(pts))
	for i := range pts {
		require.Equal(t, pts[i].t, got[i].t, "t of point %d", i)
		w, g := colValues(pts[i]), colValues(got[i])
		if !counter {
			w[colInc] = 0
		}
		for c := range w {
			require.Equal(t, math.Float64bits(w[c]), math.Float64bits(g[c]),
				"point %d column %d: want %v got %v", i, c, w[c], g[c])
		}
	}
	return data
}

// shapeMinutes aggregates a shape's samples (one a second) into minute
// points, as the tiers do.
func shapeMinutes(sh shape, counter bool, minutes int, jitter int64) []aggPoint {
	rng := rand.New(rand.NewPCG(7, 8))
	t0 := int64(1_700_000_000_000) / minuteBlockMs * minuteBlockMs
	samples := sh.gen(rng, t0, 1000, jitter, minutes*60)
	kind := KindGauge
	if counter {
		kind = KindCounter
	}
	var out []aggPoint
	var acc aggAcc
	acc.reset(t0)
	prev, hasPrev := 0.0, false
	for _, s := range samples {
		if start := floorDiv(s.t, minuteMs) * minuteMs; start != acc.start {
			if p, ok := acc.point(); ok {
				out = append(out, p)
			}
			acc.reset(start)
		}
		inc := 0.0
		if hasPrev {
			inc = increase(kind, prev, s.v)
		}
		acc.add(s.v, inc)
		prev, hasPrev = s.v, true
	}
	return out
}

func TestAggCodecShapes(t *testing.T) {
	for _, sh := range append(append([]shape(nil), allShapes...), unroundedWalk) {
		for _, counter := range []bool{false, true} {
			for _, jitter := range []int64{0, 400} {
				pts := shapeMinutes(sh, counter, 120, jitter)
				aggRoundTrip(t, pts, counter)
				aggRoundTrip(t, pts[:1], counter)
				aggRoundTrip(t, pts[:2], counter)
			}
		}
	}
}

// TestAggCodecEdgeValues: any column may hold any float (NaN payloads,
// ±Inf, −0, huge, subnormal) and times may repeat or jump; every mode
// switch and prediction overflow guard is crossed.
func TestAggCodecEdgeValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() float64 {
		switch rng.IntN(4) {
		case 0:
			return edgeValues[rng.IntN(len(edgeValues))]
		case 1:
			return math.Float64frombits(rng.Uint64())
		default:
			return math.Round(rng.NormFloat64()*1000) / 100
		}
	}
	for range 300 {
		pts := make([]aggPoint, 1+rng.IntN(150))
		tm := rng.Int64N(1 << 45)
		for i := range pts {
			pts[i] = aggPoint{t: tm, count: pick(), sum: pick(), min: pick(), max: pick(), last: pick(), inc: pick()}
			if rng.IntN(3) == 0 {
				pts[i].count = 60
			}
			switch rng.IntN(4) {
			case 0:
			case 1:
				tm += rng.Int64N(1 << 40)
			default:
				tm += minuteMs
			}
		}
		aggRoundTrip(t, pts, rng.IntN(2) == 0)
	}
}

func TestAggCodecConstantColumnsAndRegularTimes(t *testing.T) {
	pts := make([]aggPoint, 120)
	for i := range pts {
		pts[i] = aggPoint{t: int64(i) * minuteMs, count: 60, sum: 60, min: 1, max: 1, last: 1}
	}
	data := aggRoundTrip(t, pts, false)
	require.Less(t, len(data), 40, "a constant block is its header and first values")
	// A constant column that claims more bits than its first value is garbage.
	b := reopenAggBlock(pts, false)
	c := &b.cols[colLast]
	c.firstBits++
	_, err := decodeAggBlock(b.data(), 0)
	require.ErrorIs(t, err, errCorrupt)
}

func TestDecodeAggBlockBadTimes(t *testing.T) {
	huge := []byte{aggBlockVersion, 5, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0}
	_, err := decodeAggBlock(huge, 0)
	require.ErrorIs(t, err, errCorrupt, "a period no block can span")
	stream := func(b ...byte) aggStream { return aggStream{r: bitReader{b: b, nbits: uint32(8 * len(b))}} }
	for name, c := range map[string]struct {
		d    aggDecoder
		prev int64
	}{
		"escape":    {aggDecoder{period: 1, times: stream(0xff, 0xff, 0xff, 0x00)}, 0},
		"backwards": {aggDecoder{period: 0, times: stream(0b10000000)}, 5},
		"overflow":  {aggDecoder{period: minuteMs}, math.MaxInt64 - 10},
		"truncated": {aggDecoder{period: 1, times: stream(0xff)}, 0},
	} {
		_, err := c.d.nextTime(2, c.prev)
		require.ErrorIs(t, err, errCorrupt, name)
	}
	d := aggDecoder{period: minuteMs, times: stream(0b01000000)}
	tm, err := d.nextTime(2, 0)
	require.NoError(t, err)
	require.Equal(t, int64(minuteMs), tm, "a zero residual is the period")
}

// fuzzAggPoints reads points from fuzz bytes: a time step (2 bytes), then
// each column as a byte choosing a small decimal or 8 bytes of any float.
func fuzzAggPoints(data []byte, start int64) []aggPoint {
	var out []aggPoint
	tm := start & (1<<50 - 1)
	for len(data) >= 2+numAggCols && len(out) < chunkSamples {
		tm += int64(data[0])<<8 | int64(data[1])
		data = data[2:]
		var v [numAggCols]float64
		for c := range v {
			if len(data) == 0 {
				return out
			}
			b := data[0]
			data = data[1:]
			if b < 0xf0 || len(data) < 8 {
				v[c] = float64(int(b)-100) / 10
				continue
			}
			v[c] = math.Float64frombits(binary.LittleEndian.Uint64(data))
			data = data[8:]
		}
		out = append(out, aggPoint{t: tm, count: v[colCount], sum: v[colSum], min: v[colMin], max: v[colMax], last: v[colLast], inc: v[colInc]})
	}
	return out
}
