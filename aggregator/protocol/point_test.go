package protocol

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPointJSON(t *testing.T) {
	for _, c := range []struct {
		p    Point
		json string
	}{
		{Point{1700000000000, 22.37}, `[1700000000000,22.37]`},
		{Point{-5, -0.05}, `[-5,-0.05]`},
		{Point{0, 1e300}, `[0,1e+300]`},
	} {
		b, err := json.Marshal(c.p)
		require.NoError(t, err)
		require.Equal(t, c.json, string(b))
		var back Point
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, c.p, back)
	}
	b, err := json.Marshal(Point{1, math.Inf(1)})
	require.NoError(t, err)
	require.Equal(t, `[1,null]`, string(b))
	var p Point
	require.NoError(t, json.Unmarshal(b, &p))
	require.True(t, math.IsNaN(p.V))

	for _, bad := range []string{`[]`, `[1]`, `[1,2,3]`, `[1.5,2]`, `["1",2]`, `[1,"2"]`, `{"t":1}`, `null,`} {
		require.Error(t, json.Unmarshal([]byte(bad), &p), bad)
	}
}
