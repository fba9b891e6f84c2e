package aggregator

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAppendFloatRoundTrips: whatever path it takes, the text parses back
// to the same bits (-0 aside, which JSON writes as 0... and which we keep).
func TestAppendFloatRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vals := append([]float64(nil), edgeValues...)
	for range 20000 {
		vals = append(vals,
			math.Round(rng.NormFloat64()*1e6)/math.Pow10(rng.IntN(7)),
			math.Float64frombits(rng.Uint64()),
			float64(rng.Int64N(1<<53)),
		)
	}
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			require.Equal(t, "null", string(appendFloat(nil, v)))
			continue
		}
		s := string(appendFloat(nil, v))
		require.True(t, json.Valid([]byte(s)), s)
		got, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err)
		require.Equal(t, math.Float64bits(v), math.Float64bits(got), "%v written as %s", v, s)
	}
	require.Equal(t, "22.37", string(appendFloat(nil, 22.37)))
	require.Equal(t, "-0.05", string(appendFloat(nil, -0.05)))
	require.Equal(t, "1200", string(appendFloat(nil, 1200)))
}

func TestAppendStringEscapes(t *testing.T) {
	for _, s := range []string{"plain", `q"uote`, `back\slash`, "ctl\x00\x01\x1f\n\r\t", "bad\xff\xfeutf8", "line\u2028sep\u2029", "ünïcödé ✓"} {
		b := appendString(nil, s)
		require.True(t, json.Valid(b), "%q -> %s", s, b)
		var got string
		require.NoError(t, json.Unmarshal(b, &got))
		if s == "bad\xff\xfeutf8" {
			require.Equal(t, "bad\ufffd\ufffdutf8", got)
		} else {
			require.Equal(t, s, got)
		}
	}
}

// TestSourceInfoMatchesStructTags: the hand-written encoder must say what
// encoding/json says of the contract type.
func TestSourceInfoMatchesStructTags(t *testing.T) {
	si := SourceInfo{Name: "n", Type: "http", State: StateBackoff, Up: true, Restarts: 3, Polls: 10, Failures: 2,
		LastError: "dial: refused", LastErrorAt: 1_700_000_000_001, LastWarning: "sample_limit: dropped 2 series",
		LastWarningAt: 1_700_000_000_002, LastSuccess: 1_700_000_000_123, PollMs: 12.25}
	want, err := json.Marshal(si)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(appendSourceInfo(nil, &si)))
}
