package aggregator

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// encodeAll encodes pts as one chunk, as the history does.
func encodeAll(pts []point) bitWriter {
	var w bitWriter
	var s codecState
	for i, p := range pts {
		if i == 0 {
			s.encodeFirst(&w, p.t, p.v)
		} else {
			s.encode(&w, p.t, p.v)
		}
	}
	return w
}

// requireSameBits compares points bit for bit (so -0 differs from +0).
func requireSameBits(t *testing.T, want, got []point) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].t, got[i].t, "t of point %d", i)
		require.Equal(t, math.Float64bits(want[i].v), math.Float64bits(got[i].v),
			"v of point %d: want %v got %v", i, want[i].v, got[i].v)
	}
}

func roundTrip(t *testing.T, pts []point) {
	t.Helper()
	w := encodeAll(pts)
	got, err := decodeChunk(w.b, w.nbits, len(pts), pts[0].t)
	require.NoError(t, err)
	requireSameBits(t, pts, got)
}

var edgeValues = []float64{
	0, math.Copysign(0, -1), 1, -1, 0.1, 0.30000000000000004, 22.37, -22.37,
	math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
	2.2250738585072014e-308, 1e300, 1e-300, 1 << 53, 1<<53 + 2, -(1 << 62), 9007199254740993,
	123456.789012, 1e15 + 0.5, 4503599627370495.5, 0.000001, 1.0000001,
	math.Inf(1), math.Inf(-1), math.NaN(),
	math.Float64frombits(0x7ff0000000000002), // Prometheus' stale marker
	math.Float64frombits(0xfff8000000000001), // a negative NaN with a payload
	math.Float64frombits(0x7ff0000000000001), // a signalling NaN
}

func TestCodecEdgeValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		pts := make([]point, 1+rng.IntN(chunkSamples))
		tm := rng.Int64N(1 << 45)
		for i := range pts {
			pts[i] = point{tm, edgeValues[rng.IntN(len(edgeValues))]}
			switch rng.IntN(4) {
			case 0: // equal timestamps
			case 1:
				tm += rng.Int64N(1 << 40)
			default:
				tm += 1000 + rng.Int64N(5)
			}
		}
		roundTrip(t, pts)
	}
}

func TestCodecRandomBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		pts := make([]point, 1+rng.IntN(chunkSamples))
		tm := rng.Int64() >> 2
		for i := range pts {
			v := math.Float64frombits(rng.Uint64()) // NaN payloads and Inf included
			pts[i] = point{tm, v}
			tm += rng.Int64N(1 << 20)
		}
		roundTrip(t, pts)
	}
}

func TestCodecShapes(t *testing.T) {
	for _, shape := range allShapes {
		t.Run(shape.name, func(t *testing.T) {
			pts := shape.gen(rand.New(rand.NewPCG(5, 6)), 1_700_000_000_000, 1000, 3, chunkSamples)
			roundTrip(t, pts)
		})
	}
}

// TestHistoryMatchesReference appends random data through the history
// (many chunks, drops) and compares with an uncompressed copy.
func TestHistoryMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for round := range 20 {
		h := history{maxSpanMs: 60_000}
		var ref []point
		tm := int64(1_700_000_000_000)
		v := 10.0
		for i := range 2000 {
			switch rng.IntN(5) {
			case 0:
				v = math.Float64frombits(rng.Uint64() &^ (0x7ff << 52)) // finite, any bits
			case 1:
				v = math.Round(rng.NormFloat64()*1000) / 100
			default:
				v += math.Round(rng.NormFloat64()*10) / 100
			}
			tm += int64(rng.IntN(3)) * int64(rng.IntN(1500))
			h.append(tm, v)
			ref = append(ref, point{tm, v})
			if i%250 == 0 {
				cut := tm - int64(rng.IntN(100_000))
				h.dropBefore(cut)
				// Whole chunks only: everything older than cut may go, nothing newer.
				var got []point
				h.each(h.len(), func(p point) { got = append(got, p) })
				require.NotEmpty(t, got)
				tail := ref[len(ref)-len(got):]
				requireSameBits(t, tail, got)
				require.Less(t, got[0].t, max(cut, got[0].t+1), "round %d", round)
				ref = tail
			}
		}
		var got []point
		h.each(h.len(), func(p point) { got = append(got, p) })
		requireSameBits(t, ref, got)
	}
}

func TestDecodeGarbageFails(t *testing.T) {
	w := encodeAll([]point{{0, 1}, {1000, 2}, {2000, 3}})
	_, err := decodeChunk(w.b, w.nbits-3, 3, 0)
	require.ErrorIs(t, err, errCorrupt)
	_, err = decodeChunk(nil, 0, 1, 0)
	require.ErrorIs(t, err, errCorrupt)
}

// FuzzDecodeChunk feeds garbage to the decoder: it must fail cleanly, in
// time and memory linear in what it decodes (a sample after the first
// costs at least one bit, so n is bounded by the stream), and a stream the
// encoder wrote must round-trip.
func FuzzDecodeChunk(f *testing.F) {
	w := encodeAll(allShapes[0].gen(rand.New(rand.NewPCG(1, 1)), 0, 1000, 2, 20))
	f.Add(w.b, uint16(20))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, uint16(5))
	f.Add([]byte{}, uint16(1))
	f.Fuzz(func(t *testing.T, data []byte, n uint16) {
		var pts []point
		var err error
		c := testtool.CostOf(func() { pts, err = decodeChunk(data, uint32(len(data))*8, int(n%(2*chunkSamples)), 0) })
		// Generous for -race on a loaded machine; a blow-up is far above.
		require.Less(t, c.CPU, 100*time.Millisecond, "decoding %d bytes", len(data))
		require.Less(t, c.Bytes, uint64(1<<20+64*len(data)+16*int(n)), "decoding %d bytes", len(data))
		if err == nil {
			require.Len(t, pts, int(n%(2*chunkSamples)))
		}
		// Interpret the bytes as samples too: encode, decode, compare.
		var in []point
		tm := int64(0)
		for len(data) >= 10 {
			v := math.Float64frombits(binary.LittleEndian.Uint64(data))
			tm += int64(binary.LittleEndian.Uint16(data[8:]))
			data = data[10:]
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				in = append(in, point{tm, v})
			}
		}
		if len(in) > 0 {
			roundTrip(t, in)
		}
	})
}

// TestCodecNaNRuns: NaN and Inf among decimals, in every mode a chunk can
// be in, come back bit for bit (a NaN is a value: the chart's gap).
func TestCodecNaNRuns(t *testing.T) {
	stale := math.Float64frombits(0x7ff0000000000002)
	for _, vals := range [][]float64{
		{math.NaN(), 1, 2, math.NaN(), math.NaN(), 3.5},
		{1.25, math.NaN(), 1.25, math.Inf(1), 1.5, math.Inf(-1), stale, 0.1},
		{math.Pi, math.NaN(), math.E, stale, math.NaN(), math.Pi},
		{math.NaN(), math.NaN(), math.NaN()},
	} {
		pts := make([]point, len(vals))
		for i, v := range vals {
			pts[i] = point{1_700_000_000_000 + int64(i)*1000, v}
		}
		roundTrip(t, pts)
	}
}

// TestCodecRegularTimeRuns: after tsRunAt regular times a time costs no
// bit, and an irregular one is announced inside the value's code, in
// every value mode (decimal with and without the zero flag, XOR, NaN).
func TestCodecRegularTimeRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for round := range 100 {
		pts := make([]point, chunkSamples)
		tm := int64(1_700_000_000_000)
		mode := rng.IntN(4)
		for i := range pts {
			var v float64
			switch mode {
			case 0: // decimals that mostly stay: the zero flag is on
				v = float64(rng.IntN(3)/2) + 0.5
			case 1:
				v = math.Round(rng.NormFloat64()*1000) / 100
			case 2:
				v = rng.NormFloat64() // XOR mode
			default:
				v = edgeValues[rng.IntN(len(edgeValues))]
			}
			if rng.IntN(50) == 0 {
				mode = rng.IntN(4)
			}
			pts[i] = point{tm, v}
			tm += 1000
			if rng.IntN(40) == 0 {
				tm += rng.Int64N(7) - 3
			}
		}
		roundTrip(t, pts)
		if round == 0 {
			// A regular constant series: no bits for time once in the run.
			for i := range pts {
				pts[i] = point{int64(i) * 1000, 1}
			}
			w := encodeAll(pts)
			require.Less(t, int(w.nbits), chunkSamples+120, "one bit a sample, for the value")
		}
	}
}

// TestCodecBinaryUnit: byte counts in pages are coded in pages, and a
// value off the unit (an odd byte count, a scale change) comes back too.
func TestCodecBinaryUnit(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	pages := func(odd bool) []point {
		pts := make([]point, chunkSamples)
		v := 8.0e9
		for i := range pts {
			v += float64(4096 * (rng.IntN(200) - 100))
			pts[i] = point{int64(i) * 1000, v}
			if odd && rng.IntN(20) == 0 {
				pts[i].v += float64(rng.IntN(4096)) + []float64{0, 0.5}[rng.IntN(2)]
			}
		}
		return pts
	}
	for range 50 {
		roundTrip(t, pages(true))
	}
	pts := pages(false)
	roundTrip(t, pts)
	w := encodeAll(pts)
	require.Less(t, int(w.nbits), 10*chunkSamples, "about 9 bits a sample: 200 pages a step")
}
