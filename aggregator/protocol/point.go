package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Point is one sample on the wire: the array [t, v], t in Unix
// milliseconds, v a number. The store refuses NaN and ±Inf, so v is
// always a number in practice; a non-finite V would be written as null,
// and null reads back as NaN.
type Point struct {
	T int64
	V float64
}

// errPoint is wrapped by every malformed point.
var errPoint = errors.New("protocol: a point is [t, v]")

// MarshalJSON writes [t,v].
func (p Point) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 32)
	b = append(b, '[')
	b = strconv.AppendInt(b, p.T, 10)
	b = append(b, ',')
	if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
		b = append(b, "null"...)
	} else {
		v, err := json.Marshal(p.V)
		if err != nil {
			return nil, err
		}
		b = append(b, v...)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads [t,v]: exactly two elements, t an integer.
func (p *Point) UnmarshalJSON(data []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("%w: %w", errPoint, err)
	}
	if len(raw) != 2 {
		return fmt.Errorf("%w: got %d elements", errPoint, len(raw))
	}
	t, err := strconv.ParseInt(string(raw[0]), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: t %s is not an integer", errPoint, raw[0])
	}
	v := math.NaN()
	if !bytes.Equal(raw[1], []byte("null")) {
		if err := json.Unmarshal(raw[1], &v); err != nil {
			return fmt.Errorf("%w: v: %w", errPoint, err)
		}
	}
	*p = Point{T: t, V: v}
	return nil
}
