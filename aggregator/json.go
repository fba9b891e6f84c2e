package aggregator

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// The protocol's JSON is written by hand with append-style helpers: a
// snapshot of 100k series must not go through reflection.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, so
// label values from anywhere can never break a frame.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' { // valid JSON, but not valid JavaScript source
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendFloat appends v as a JSON number, or null when JSON cannot hold it
// (a sum of huge values may overflow to ±Inf). Values with a few decimals,
// most of what sources report, take a fast path: the integer n with
// float64(n)/10^k == v for the smallest k, with the point put back. That
// string parses back to v (both are the double nearest n/10^k).
func appendFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	if math.Abs(v) < 1e15 && v != 0 {
		for k := uint8(0); k <= maxScale; k++ {
			if n, ok := decimalOf(v, k); ok {
				return appendDecimal(b, n, k)
			}
		}
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendDecimal writes n/10^k in plain decimal notation.
func appendDecimal(b []byte, n int64, k uint8) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	var digits [24]byte
	d := strconv.AppendInt(digits[:0], n, 10)
	if k == 0 {
		return append(b, d...)
	}
	if len(d) <= int(k) { // 0.0…digits
		b = append(b, '0', '.')
		for range int(k) - len(d) {
			b = append(b, '0')
		}
		return append(b, d...)
	}
	b = append(b, d[:len(d)-int(k)]...)
	b = append(b, '.')
	return append(b, d[len(d)-int(k):]...)
}

// appendStat appends a computed statistic (mean, rate, a quantile) with 6
// significant digits: quantiles are only 1% exact anyway, and the shortest
// exact form of a computed float is 17 digits, three times the bytes.
func appendStat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', 6, 64)
}

func appendPoint(b []byte, p point) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, p.t, 10)
	b = append(b, ',')
	b = appendFloat(b, p.v)
	return append(b, ']')
}

func appendLabels(b []byte, ls Labels) []byte {
	b = append(b, '{')
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, l.Name)
		b = append(b, ':')
		b = appendString(b, l.Value)
	}
	return append(b, '}')
}

// appendSourceInfo writes a SourceInfo with the field names of its json tags.
func appendSourceInfo(b []byte, s *SourceInfo) []byte {
	b = append(b, `{"name":`...)
	b = appendString(b, s.Name)
	b = append(b, `,"type":`...)
	b = appendString(b, s.Type)
	b = append(b, `,"state":`...)
	b = appendString(b, s.State)
	b = append(b, `,"up":`...)
	b = strconv.AppendBool(b, s.Up)
	b = append(b, `,"restarts":`...)
	b = strconv.AppendUint(b, s.Restarts, 10)
	if s.LastRestartAt != 0 {
		b = append(b, `,"last_restart_at":`...)
		b = strconv.AppendInt(b, s.LastRestartAt, 10)
	}
	b = append(b, `,"polls":`...)
	b = strconv.AppendUint(b, s.Polls, 10)
	b = append(b, `,"failures":`...)
	b = strconv.AppendUint(b, s.Failures, 10)
	b = append(b, `,"last_error":`...)
	b = appendString(b, s.LastError)
	b = append(b, `,"last_error_at":`...)
	b = strconv.AppendInt(b, s.LastErrorAt, 10)
	b = append(b, `,"last_warning":`...)
	b = appendString(b, s.LastWarning)
	b = append(b, `,"last_warning_at":`...)
	b = strconv.AppendInt(b, s.LastWarningAt, 10)
	b = append(b, `,"last_success":`...)
	b = strconv.AppendInt(b, s.LastSuccess, 10)
	b = append(b, `,"poll_ms":`...)
	b = appendFloat(b, s.PollMs)
	if s.Node != "" {
		b = append(b, `,"node":`...)
		b = appendString(b, s.Node)
	}
	return append(b, '}')
}

func appendSources(b []byte, srcs []SourceInfo) []byte {
	b = append(b, '[')
	for i := range srcs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendSourceInfo(b, &srcs[i])
	}
	return append(b, ']')
}

// appendStats writes one window. An empty window is {"count":0} with every
// other field null; rate is also null with fewer than two samples or no
// time between them.
func appendStats(b []byte, st *windowStats) []byte {
	b = append(b, `{"count":`...)
	b = strconv.AppendInt(b, int64(st.Count), 10)
	if !st.Valid {
		return append(b, `,"min":null,"max":null,"mean":null,"last":null,"rate":null,"p50":null,"p90":null,"p99":null}`...)
	}
	b = append(b, `,"min":`...)
	b = appendFloat(b, st.Min)
	b = append(b, `,"max":`...)
	b = appendFloat(b, st.Max)
	b = append(b, `,"mean":`...)
	b = appendStat(b, st.Mean)
	b = append(b, `,"last":`...)
	b = appendFloat(b, st.Last)
	b = append(b, `,"rate":`...)
	if st.HasRate {
		b = appendStat(b, st.Rate)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"p50":`...)
	b = appendStat(b, st.P50)
	b = append(b, `,"p90":`...)
	b = appendStat(b, st.P90)
	b = append(b, `,"p99":`...)
	b = appendStat(b, st.P99)
	return append(b, '}')
}

// appendWindows writes {"1m":{…},"5m":{…},…} for a series.
func appendWindows(b []byte, s *series, names []string) []byte {
	b = append(b, '{')
	for i := range s.wins {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, names[i]...)
		b = append(b, `":`...)
		st := s.wins[i].stats()
		b = appendStats(b, &st)
	}
	return append(b, '}')
}

// appendSeries writes a series object in its published state: the points
// not yet sent in a delta are left out (they will come in the next one), so
// a snapshot at seq N followed by delta N+1 never shows a point twice.
// Points older than fromMs are left out; withPoints false leaves the
// "points" key out altogether.
func appendSeries(b []byte, s *series, names []string, withPoints bool, fromMs int64) []byte {
	b = appendSeriesIdentity(b, s)
	b = appendSeriesState(b, s, names)
	if withPoints {
		b = appendHistoryPoints(b, &s.hist, s.hist.len()-len(s.pending), fromMs)
	}
	return append(b, '}')
}

// appendSeriesIdentity writes the start of a series object: its id,
// source, metric, labels and kind, which never change once the series
// exists, so that it may be written without the store's lock (snapshots
// do, see takeSnapshot: a wide target's labels are most of the bytes).
func appendSeriesIdentity(b []byte, s *series) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, s.id...)
	b = append(b, `","source":`...)
	b = appendString(b, s.source)
	b = append(b, `,"metric":`...)
	b = appendString(b, s.metric)
	b = append(b, `,"labels":`...)
	b = appendLabels(b, s.labels)
	b = append(b, `,"kind":"`...)
	b = append(b, s.kind.String()...)
	return append(b, '"')
}

// appendSeriesState writes what follows a series' identity up to its
// points: its last published point, windows and staleness. The caller
// holds the store's lock.
func appendSeriesState(b []byte, s *series, names []string) []byte {
	b = append(b, `,"last":`...)
	if s.hasPub {
		b = appendPoint(b, s.published)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"windows":`...)
	b = appendWindows(b, s, names)
	if stale, since := s.isStale(); stale {
		b = append(b, `,"stale":true,"stale_since":`...)
		b = strconv.AppendInt(b, since, 10)
	}
	return b
}

// appendHistoryPoints writes `,"points":[…]`: the first n points of h from
// fromMs on.
func appendHistoryPoints(b []byte, h *history, n int, fromMs int64) []byte {
	b = append(b, `,"points":[`...)
	first := true
	h.each(n, func(p point) {
		if p.t < fromMs {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendPoint(b, p)
	})
	return append(b, ']')
}

// appendStrings writes ss as a JSON array of strings.
func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}
