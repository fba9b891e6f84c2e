package protocol

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestColumnPoints(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	s := Series{Times: []int64{1000, 1000, -2, 500, 0}, Values: []*float64{f(1), f(2), nil, f(4), f(5), f(6)}}
	pts, err := s.ColumnPoints()
	require.NoError(t, err)
	require.Len(t, pts, 6)
	var times []int64
	for _, p := range pts {
		times = append(times, p.T)
	}
	require.Equal(t, []int64{1000, 2000, 3000, 4000, 4500, 4500}, times)
	require.True(t, math.IsNaN(pts[2].V), "null is NaN")
	require.Equal(t, 6.0, pts[5].V)

	none, err := Series{}.ColumnPoints()
	require.NoError(t, err)
	require.Nil(t, none, "no columns: the points, if any, are in Points")
	empty, err := Series{Times: []int64{}, Values: []*float64{}}.ColumnPoints()
	require.NoError(t, err)
	require.Empty(t, empty)
}

func TestColumnPointsRefuseWhatDoesNotMatch(t *testing.T) {
	one := []*float64{nil}
	three := []*float64{nil, nil, nil}
	for name, s := range map[string]Series{
		"no times":             {Values: one},
		"too few times":        {Times: []int64{1, 1}, Values: three},
		"too many times":       {Times: []int64{1, 1, -5}, Values: three},
		"a run before a step":  {Times: []int64{1, -2}, Values: three},
		"a huge run":           {Times: []int64{1, 1, math.MinInt64}, Values: three},
		"times without values": {Times: []int64{1}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.ColumnPoints()
			require.ErrorIs(t, err, ErrColumns)
		})
	}
}
