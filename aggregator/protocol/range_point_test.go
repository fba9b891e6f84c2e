package protocol

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRangePointRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		p    RangePoint
		wire string
	}{
		{RangePoint{T: 1000, Mean: 2.5, Min: 1, Max: 4}, `[1000,2.5,1,4]`},
		{RangePoint{T: 2000, Mean: 3, Min: 3, Max: 3}, `[2000,3]`},
		{RangePoint{T: 3000, Mean: math.NaN(), Min: 1, Max: math.Inf(1)}, `[3000,null,1,null]`},
	} {
		b, err := json.Marshal(tc.p)
		require.NoError(t, err)
		require.Equal(t, tc.wire, string(b))
		var back RangePoint
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, tc.p.T, back.T)
		require.Equal(t, tc.p.Min == tc.p.Min, back.Min == back.Min, "NaN stays NaN")
	}
	var p RangePoint
	for _, bad := range []string{`[1]`, `[1,2,3]`, `["x",1]`, `[1,"y"]`, `{}`, `[1.5,2]`} {
		require.Error(t, json.Unmarshal([]byte(bad), &p), bad)
	}
}
