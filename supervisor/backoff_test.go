package supervisor

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDoubling(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		initial, limit time.Duration
		n              int
		want           time.Duration
	}{
		{s, time.Minute, 0, s},
		{s, time.Minute, -3, s},
		{s, time.Minute, 1, 2 * s},
		{s, time.Minute, 5, 32 * s},
		{s, time.Minute, 6, time.Minute},
		{s, time.Minute, math.MaxInt, time.Minute},
		{s, 3 * s, 2, 3 * s},                          // the cap need not be a power of two
		{time.Minute, s, 4, time.Minute},              // a cap below initial: initial
		{0, time.Minute, math.MaxInt, 0},              // nothing to double
		{-s, time.Minute, 3, 0},                       // nor a negative delay
		{time.Hour, math.MaxInt64, 70, math.MaxInt64}, // no overflow
	} {
		require.Equal(t, tc.want, Doubling(tc.initial, tc.limit, tc.n), "%+v", tc)
	}
}

func TestJitter(t *testing.T) {
	s := time.Second
	require.Equal(t, s, Jitter(s, 0.2, 0.5), "0.5 is the middle")
	require.Equal(t, 800*time.Millisecond, Jitter(s, 0.2, 0))
	require.InDelta(t, 1200*time.Millisecond, Jitter(s, 0.2, 0.999999), float64(time.Microsecond))
	require.Equal(t, s, Jitter(s, 0.2, 1), "an out-of-range source means no jitter")
	require.Equal(t, s, Jitter(s, 0.2, -0.1))
	require.Equal(t, s, Jitter(s, 0, 0.9), "no fraction, no jitter")
	require.Equal(t, time.Duration(math.MaxInt64), Jitter(math.MaxInt64, 0.2, 0.99), "saturates")
}
