package dashboard

import (
	"bytes"
	"errors"
	"strconv"
)

// The rewrite of a snapshot's points as columns (columns.go): one pass
// over the feed's bytes, copying all but the series' points.

// toColumns rewrites a snapshot message: every member "points" of an
// object in its top-level "series" array becomes "times" and "values";
// everything else is copied as it is (whitespace between tokens dropped).
// An error when data is not such a message or a point is not [t, v] with
// t an integer and times in order.
func toColumns(data []byte) ([]byte, error) {
	r := &columnsRewriter{in: data, out: make([]byte, 0, len(data)/3)}
	if err := r.object(r.topMember); err != nil {
		return nil, err
	}
	if r.skipSpace(); r.i != len(r.in) {
		return nil, r.fail("trailing bytes")
	}
	return r.out, nil
}

// columnsRewriter walks the message once, writing out as it reads.
type columnsRewriter struct {
	in, out      []byte
	i            int
	times, value []byte // the columns of the points being rewritten
}

func (r *columnsRewriter) fail(what string) error {
	return errors.Join(errColumns, errors.New(what+" at byte "+strconv.Itoa(r.i)))
}

func (r *columnsRewriter) skipSpace() {
	for r.i < len(r.in) && (r.in[r.i] == ' ' || r.in[r.i] == '\n' || r.in[r.i] == '\r' || r.in[r.i] == '\t') {
		r.i++
	}
}

// expect consumes byte c (after whitespace) and writes it.
func (r *columnsRewriter) expect(c byte) error {
	r.skipSpace()
	if r.i >= len(r.in) || r.in[r.i] != c {
		return r.fail("expected " + string(c))
	}
	r.out = append(r.out, c)
	r.i++
	return nil
}

// object reads an object, handing each member to member with its key as
// written (quotes included); member writes the member.
func (r *columnsRewriter) object(member func(key []byte) error) error {
	if err := r.expect('{'); err != nil {
		return err
	}
	for first := true; ; first = false {
		r.skipSpace()
		if r.i < len(r.in) && r.in[r.i] == '}' {
			r.out = append(r.out, '}')
			r.i++
			return nil
		}
		if !first {
			if err := r.expect(','); err != nil {
				return err
			}
			r.skipSpace()
		}
		start := r.i
		end, err := skipString(r.in, r.i)
		if err != nil {
			return r.fail("expected a member name")
		}
		r.i = end
		r.skipSpace()
		if r.i >= len(r.in) || r.in[r.i] != ':' {
			return r.fail("expected :")
		}
		r.i++
		if err := member(r.in[start:end]); err != nil {
			return err
		}
	}
}

// topMember writes a member of the message: "series" is rewritten, the
// rest copied.
func (r *columnsRewriter) topMember(key []byte) error {
	r.out = append(r.out, key...)
	r.out = append(r.out, ':')
	if string(key) != `"series"` {
		return r.copyValue()
	}
	if err := r.expect('['); err != nil {
		return err
	}
	for first := true; ; first = false {
		r.skipSpace()
		if r.i < len(r.in) && r.in[r.i] == ']' {
			r.out = append(r.out, ']')
			r.i++
			return nil
		}
		if !first {
			if err := r.expect(','); err != nil {
				return err
			}
		}
		if err := r.object(r.seriesMember); err != nil {
			return err
		}
	}
}

// seriesMember writes a member of a series: "points" as columns, the rest
// copied.
func (r *columnsRewriter) seriesMember(key []byte) error {
	if string(key) == `"points"` {
		return r.points()
	}
	r.out = append(r.out, key...)
	r.out = append(r.out, ':')
	return r.copyValue()
}

// copyValue copies one value as it is.
func (r *columnsRewriter) copyValue() error {
	r.skipSpace()
	end, err := skipValue(r.in, r.i)
	if err != nil {
		return r.fail(err.Error())
	}
	r.out = append(r.out, r.in[r.i:end]...)
	r.i = end
	return nil
}

// points reads [[t, v], …] and writes "times":[…],"values":[…].
func (r *columnsRewriter) points() error {
	r.times, r.value = r.times[:0], r.value[:0]
	r.skipSpace()
	if r.i >= len(r.in) || r.in[r.i] != '[' {
		return r.fail("points: expected [")
	}
	r.i++
	var n int
	var last, step, run int64
	for ; ; n++ {
		r.skipSpace()
		if r.i < len(r.in) && r.in[r.i] == ']' {
			r.i++
			break
		}
		if n > 0 {
			if r.i >= len(r.in) || r.in[r.i] != ',' {
				return r.fail("points: expected ,")
			}
			r.i++
			r.skipSpace()
		}
		t, v, err := r.point()
		if err != nil {
			return err
		}
		if n > 0 {
			r.value = append(r.value, ',')
		}
		r.value = append(r.value, v...)
		switch d := t - last; {
		case n == 0:
			r.times = strconv.AppendInt(r.times, t, 10)
		case d < 0:
			return r.fail("points: times out of order")
		case n > 1 && d == step:
			run++
		default:
			r.times = appendRun(r.times, run)
			r.times = append(r.times, ',')
			r.times = strconv.AppendInt(r.times, d, 10)
			step, run = d, 0
		}
		last = t
	}
	r.times = appendRun(r.times, run)
	r.out = append(r.out, `"times":[`...)
	r.out = append(r.out, r.times...)
	r.out = append(r.out, `],"values":[`...)
	r.out = append(r.out, r.value...)
	r.out = append(r.out, ']')
	return nil
}

// appendRun writes ",-k" for a run of k repeated steps, nothing for none.
func appendRun(b []byte, k int64) []byte {
	if k == 0 {
		return b
	}
	b = append(b, ",-"...)
	return strconv.AppendInt(b, k, 10)
}

// point reads [t, v]: t an integer, v a JSON number or null (its text is
// returned as it is).
func (r *columnsRewriter) point() (int64, []byte, error) {
	if r.i >= len(r.in) || r.in[r.i] != '[' {
		return 0, nil, r.fail("point: expected [")
	}
	r.i++
	r.skipSpace()
	t, ok := r.integer()
	if !ok {
		return 0, nil, r.fail("point: t is not an integer")
	}
	r.skipSpace()
	if r.i >= len(r.in) || r.in[r.i] != ',' {
		return 0, nil, r.fail("point: expected ,")
	}
	r.i++
	r.skipSpace()
	start := r.i
	for r.i < len(r.in) && isNumberByte(r.in[r.i]) {
		r.i++
	}
	v := r.in[start:r.i]
	if len(v) == 0 && bytes.HasPrefix(r.in[r.i:], []byte("null")) {
		r.i += 4
		v = r.in[start:r.i]
	} else if len(v) == 0 || !isNumber(v) {
		return 0, nil, r.fail("point: v is not a number")
	}
	r.skipSpace()
	if r.i >= len(r.in) || r.in[r.i] != ']' {
		return 0, nil, r.fail("point: expected ]")
	}
	r.i++
	return t, v, nil
}

// integer reads an integer of at most 18 digits (a time in ms has 13).
func (r *columnsRewriter) integer() (int64, bool) {
	neg := r.i < len(r.in) && r.in[r.i] == '-'
	if neg {
		r.i++
	}
	start := r.i
	var n int64
	for r.i < len(r.in) && r.in[r.i] >= '0' && r.in[r.i] <= '9' {
		n = n*10 + int64(r.in[r.i]-'0')
		r.i++
	}
	if digits := r.i - start; digits == 0 || digits > 18 || digits > 1 && r.in[start] == '0' {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// isNumber reports whether b is a JSON number (so that it is copied
// into the output as one).
func isNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - s
	}
	if n := digits(); n == 0 || n > 1 && b[i-n] == '0' {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// skipString returns the end (past the closing quote) of the JSON string
// starting at b[i].
func skipString(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '"' {
		return 0, errors.New("expected a string")
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errors.New("unterminated string")
}

// skipValue returns the end of the JSON value starting at b[i]. Objects
// and arrays are matched by their brackets (strings skipped whole), not
// validated: they are copied, and the feed wrote them.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("expected a value")
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errors.New("unterminated value")
	}
	j := i
	for j < len(b) && (isNumberByte(b[j]) || b[j] >= 'a' && b[j] <= 'z') {
		j++
	}
	if j == i {
		return 0, errors.New("expected a value")
	}
	return j, nil
}
