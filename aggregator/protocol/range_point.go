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
type RangePoint struct {
	T              int64
	Mean, Min, Max float64
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
	if !same {
		b = append(b, ',')
		b = appendRangeValue(b, p.Min)
		b = append(b, ',')
		b = appendRangeValue(b, p.Max)
	}
	return append(b, ']')
}

// UnmarshalJSON reads [t,v] or [t,mean,min,max].
func (p *RangePoint) UnmarshalJSON(data []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("protocol: a range point is [t, mean, min, max] or [t, v]: %w", err)
	}
	if len(raw) != 2 && len(raw) != 4 {
		return fmt.Errorf("protocol: a range point is [t, mean, min, max] or [t, v]: got %d elements", len(raw))
	}
	t, err := strconv.ParseInt(string(raw[0]), 10, 64)
	if err != nil {
		return fmt.Errorf("protocol: a range point's t %s is not an integer", raw[0])
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
	if len(vals) == 3 {
		p.Min, p.Max = vals[1], vals[2]
	}
	return nil
}
