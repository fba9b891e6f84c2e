package protocol

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// RangePoint is one point of a range answer: the samples of one step
// (Unix ms T, the step's start) as their mean, min and max, so that a
// chart draws a min–max band around the mean and a spike is never
// averaged away. On the wire it is [t, mean, min, max]; a point whose
// three values are the same number (a raw sample, a step of one value)
// is written [t, v]. A value JSON cannot hold is null and reads back as
// NaN.
//
// A counter's point of a step (not a raw sample sent as it is) also
// carries the step's increase, reset-aware (after a reset the new value
// counts), and N, how many sample-to-sample increases it sums: on the
// wire [t, mean, min, max, inc, n]. A client takes the step's rate as
// inc over the time n of the series' intervals cover, so a step only
// partly covered (the server started or stopped within it) is not its
// increase spread over the whole step. N 0: no increase (a gauge).
type RangePoint struct {
	T              int64
	Mean, Min, Max float64
	Inc            float64
	N              int64
}

func appendRangeValue(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// MarshalJSON writes [t,mean,min,max], or [t,v] when the three agree.
func (p RangePoint) MarshalJSON() ([]byte, error) {
	return p.AppendJSON(make([]byte, 0, 48)), nil
}

// AppendJSON appends the point as MarshalJSON writes it: for encoders that
// write many points without reflection.
func (p RangePoint) AppendJSON(b []byte) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, p.T, 10)
	b = append(b, ',')
	b = appendRangeValue(b, p.Mean)
	same := math.Float64bits(p.Mean) == math.Float64bits(p.Min) && math.Float64bits(p.Mean) == math.Float64bits(p.Max)
	if !same || p.N > 0 {
		b = append(b, ',')
		b = appendRangeValue(b, p.Min)
		b = append(b, ',')
		b = appendRangeValue(b, p.Max)
	}
	if p.N > 0 {
		b = append(b, ',')
		b = appendRangeValue(b, p.Inc)
		b = append(b, ',')
		b = strconv.AppendInt(b, p.N, 10)
	}
	return append(b, ']')
}

// UnmarshalJSON reads [t,v], [t,mean,min,max] or [t,mean,min,max,inc,n].
func (p *RangePoint) UnmarshalJSON(data []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("protocol: a range point is [t, mean, min, max] or [t, v]: %w", err)
	}
	if len(raw) != 2 && len(raw) != 4 && len(raw) != 6 {
		return fmt.Errorf("protocol: a range point is [t, mean, min, max] or [t, v]: got %d elements", len(raw))
	}
	t, err := strconv.ParseInt(string(raw[0]), 10, 64)
	if err != nil {
		return fmt.Errorf("protocol: a range point's t %s is not an integer", raw[0])
	}
	var n int64
	if len(raw) == 6 {
		if n, err = strconv.ParseInt(string(raw[5]), 10, 64); err != nil || n <= 0 {
			return fmt.Errorf("protocol: a range point's n %s is not a positive integer", raw[5])
		}
		raw = raw[:5]
	}
	vals := make([]float64, len(raw)-1)
	for i, r := range raw[1:] {
		vals[i] = math.NaN()
		if string(r) != "null" {
			if err := json.Unmarshal(r, &vals[i]); err != nil {
				return fmt.Errorf("protocol: a range point's value: %w", err)
			}
		}
	}
	*p = RangePoint{T: t, Mean: vals[0], Min: vals[0], Max: vals[0]}
	if len(vals) >= 3 {
		p.Min, p.Max = vals[1], vals[2]
	}
	if n > 0 {
		p.Inc, p.N = vals[3], n
	}
	return nil
}
