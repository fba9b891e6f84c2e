package cluster

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scrape is one round of n series at time t with values from val.
func scrape(n int, t int64, val func(i int) float64) []Sample {
	out := make([]Sample, n)
	for i := range out {
		out[i] = Sample{Series: fmt.Sprintf(`{"source":"s%d","name":"m"}`, i), Time: t, Value: val(i)}
	}
	return out
}

func decodeAll(t *testing.T, d *Decoder, msgs [][]byte) ([]Sample, DecodeResult) {
	t.Helper()
	var out []Sample
	var sum DecodeResult
	for _, m := range msgs {
		var res DecodeResult
		var err error
		out, res, err = d.Decode(m, out)
		require.NoError(t, err)
		sum.Dropped += res.Dropped
		sum.Resync = sum.Resync || res.Resync
	}
	return out, sum
}

func TestCodecRoundTripsValuesOfEveryKind(t *testing.T) {
	vals := []float64{0, 1, -1, 12.34, -0.001, 1e15, 123456789.123, math.Pi, math.NaN(), math.Inf(1),
		math.Inf(-1), math.Copysign(0, -1), math.MaxFloat64, math.SmallestNonzeroFloat64, 0.1 + 0.2}
	in := scrape(len(vals), 1_700_000_000_000, func(i int) float64 { return vals[i] })
	e, d := NewEncoder(7, 1<<20), NewDecoder()
	for round := range 3 {
		for i := range in {
			in[i].Time += 1000
			if !math.IsNaN(in[i].Value) && !math.IsInf(in[i].Value, 0) && in[i].Value != 0 {
				in[i].Value *= 1 + float64(round)/10
			}
		}
		msgs, skipped := e.Encode(in)
		require.Zero(t, skipped)
		out, res := decodeAll(t, d, msgs)
		require.Zero(t, res.Dropped)
		require.False(t, res.Resync)
		require.Len(t, out, len(in))
		for i := range in {
			assert.Equal(t, in[i].Series, out[i].Series)
			assert.Equal(t, in[i].Time, out[i].Time)
			assert.Equal(t, math.Float64bits(in[i].Value), math.Float64bits(out[i].Value), "value %v", in[i].Value)
		}
	}
}

func TestCodecRandomBatchesRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	e, d := NewEncoder(1, 8<<10), NewDecoder()
	for range 50 {
		var in []Sample
		seen := map[[2]int64]int{}
		for range rng.IntN(400) {
			s, tm := rng.IntN(300), int64(rng.IntN(5))*1000-2000
			v := float64(rng.IntN(200000)-100000) / math.Pow10(rng.IntN(4))
			if k, ok := seen[[2]int64{int64(s), tm}]; ok {
				in[k].Value = v // the codec keeps the last of duplicates
				continue
			}
			seen[[2]int64{int64(s), tm}] = len(in)
			in = append(in, Sample{Series: fmt.Sprintf("series-%d", s), Time: tm, Value: v})
		}
		msgs, _ := e.Encode(in)
		for _, m := range msgs {
			require.LessOrEqual(t, len(m), 8<<10)
		}
		out, res := decodeAll(t, d, msgs)
		require.False(t, res.Resync)
		require.ElementsMatch(t, in, out)
	}
}

func TestCodecSplitsLargeBatchesUnderTheBound(t *testing.T) {
	in := scrape(3000, 5000, func(i int) float64 { return float64(i) / 4 })
	e, d := NewEncoder(1, 10<<10), NewDecoder()
	msgs, _ := e.Encode(in)
	require.Greater(t, len(msgs), 5)
	for _, m := range msgs {
		require.LessOrEqual(t, len(m), 10<<10)
	}
	out, res := decodeAll(t, d, msgs)
	require.False(t, res.Resync)
	require.Equal(t, in, out)
}

func TestCodecLateDecoderAsksForAResyncAndLearnsFromTheKeyFrame(t *testing.T) {
	e := NewEncoder(3, 1<<20)
	msgs, _ := e.Encode(scrape(10, 1000, func(i int) float64 { return float64(i) }))
	require.Len(t, msgs, 1)
	late := NewDecoder()
	msgs, _ = e.Encode(scrape(10, 2000, func(i int) float64 { return float64(i) + 0.5 }))
	out, res := decodeAll(t, late, msgs)
	assert.Empty(t, out)
	assert.Equal(t, 10, res.Dropped)
	assert.True(t, res.Resync)

	e.Reset()
	msgs, _ = e.Encode(scrape(10, 3000, func(i int) float64 { return float64(i) + 0.25 }))
	out, res = decodeAll(t, late, msgs)
	assert.False(t, res.Resync)
	require.Len(t, out, 10)
	assert.Equal(t, 9.25, out[9].Value)
}

func TestCodecGapDropsDeltasUntilAKeyFrame(t *testing.T) {
	e, d := NewEncoder(3, 1<<20), NewDecoder()
	one := func(ts int64, v float64) [][]byte {
		msgs, _ := e.Encode([]Sample{{Series: "a", Time: ts, Value: v}})
		return msgs
	}
	out, _ := decodeAll(t, d, one(1, 1.5))
	require.Len(t, out, 1)
	one(2, 1.75) // lost on the way
	out, res := decodeAll(t, d, one(3, 2.25))
	assert.Empty(t, out, "a delta on a stale base must not be read")
	assert.True(t, res.Resync)
	e.Reset()
	out, res = decodeAll(t, d, one(4, 2.5))
	assert.False(t, res.Resync)
	assert.Equal(t, []Sample{{Series: "a", Time: 4, Value: 2.5}}, out)
}

func TestCodecNewEpochForgetsTheOldDictionary(t *testing.T) {
	d := NewDecoder()
	old := NewEncoder(1, 1<<20)
	msgs, _ := old.Encode([]Sample{{Series: "a", Time: 1, Value: 1}, {Series: "b", Time: 1, Value: 2}})
	decodeAll(t, d, msgs)
	restarted := NewEncoder(2, 1<<20) // "b" now gets id 0
	msgs, _ = restarted.Encode([]Sample{{Series: "b", Time: 2, Value: 3}})
	out, res := decodeAll(t, d, msgs)
	assert.False(t, res.Resync)
	assert.Equal(t, []Sample{{Series: "b", Time: 2, Value: 3}}, out)
}

func TestCodecSkipsOverlongIdentities(t *testing.T) {
	e, d := NewEncoder(1, 1<<20), NewDecoder()
	msgs, skipped := e.Encode([]Sample{{Series: strings.Repeat("x", MaxIdentity+1), Time: 1, Value: 1}, {Series: "ok", Time: 1, Value: 2}})
	assert.Equal(t, 1, skipped)
	out, _ := decodeAll(t, d, msgs)
	assert.Equal(t, []Sample{{Series: "ok", Time: 1, Value: 2}}, out)
}

func TestDecodeRefusesEveryTruncationAndCorruption(t *testing.T) {
	e := NewEncoder(9, 1<<20)
	msgs, _ := e.Encode(scrape(20, 1000, func(i int) float64 { return float64(i) * 1.5 }))
	full := msgs[0]
	for n := range len(full) {
		_, _, err := NewDecoder().Decode(full[:n], nil)
		require.ErrorIs(t, err, ErrCorrupt, "truncated at %d", n)
	}
	_, _, err := NewDecoder().Decode(append(append([]byte{}, full...), 0), nil)
	require.ErrorIs(t, err, ErrCorrupt, "trailing byte")
	bad := append([]byte{}, full...)
	bad[0] = 2
	_, _, err = NewDecoder().Decode(bad, nil)
	require.ErrorIs(t, err, ErrUnsupported)

	// An announcement longer than MaxIdentity is refused before it is read.
	b := []byte{batchVersion, 1, 1, 1, 0}
	b = append(b, 0x81, 0x40) // 8193 bytes
	_, _, err = NewDecoder().Decode(b, nil)
	require.True(t, errors.Is(err, ErrTooLarge), "%v", err)
}
