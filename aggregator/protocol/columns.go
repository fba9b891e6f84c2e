package protocol

import (
	"errors"
	"fmt"
	"math"
)

// ErrColumns is wrapped when a series' times and values do not make
// points.
var ErrColumns = errors.New("protocol: malformed columns")

// ColumnPoints reads a series' points sent as columns (?points=columns on
// the WebSocket, docs/protocol.md "Compact points"): Times holds the first
// time (Unix ms), then each later time as its step from the one before
// (≥ 0), or -k for k more times each one step on; Values the values, null
// (nil) for NaN. Nil when the series has no columns; an error wrapping
// ErrColumns when the times do not decode or their count differs from
// the values'.
func (s Series) ColumnPoints() ([]Point, error) {
	if s.Times == nil && s.Values == nil {
		return nil, nil
	}
	times, err := expandTimes(s.Times, len(s.Values))
	if err != nil {
		return nil, err
	}
	pts := make([]Point, len(times))
	for i, t := range times {
		v := math.NaN()
		if s.Values[i] != nil {
			v = *s.Values[i]
		}
		pts[i] = Point{T: t, V: v}
	}
	return pts, nil
}

// expandTimes decodes times, which must give exactly n of them.
func expandTimes(enc []int64, n int) ([]int64, error) {
	if len(enc) == 0 {
		if n != 0 {
			return nil, fmt.Errorf("%w: no times for %d values", ErrColumns, n)
		}
		return []int64{}, nil
	}
	out := make([]int64, 0, n)
	t, step := enc[0], int64(0)
	out = append(out, t)
	for i, e := range enc[1:] {
		k := int64(1)
		switch {
		case e >= 0:
			step = e
		case i == 0:
			return nil, fmt.Errorf("%w: a repeat before any step", ErrColumns)
		default:
			k = -e
		}
		if k > int64(n-len(out)) {
			return nil, fmt.Errorf("%w: more times than the %d values", ErrColumns, n)
		}
		for ; k > 0; k-- {
			t += step
			out = append(out, t)
		}
	}
	if len(out) != n {
		return nil, fmt.Errorf("%w: %d times for %d values", ErrColumns, len(out), n)
	}
	return out, nil
}
