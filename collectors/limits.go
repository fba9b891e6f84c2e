package collectors

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// Reasons a series breaks a label limit; keys of Partial.Dropped and
// values of pulseboard_source_series_dropped_total's reason label, named
// after the config keys.
const (
	dropLabelLimit       = "label_limit"
	dropLabelNameLength  = "label_name_length_limit"
	dropLabelValueLength = "label_value_length_limit"
)

// ErrSampleLimit fails a scrape with more series than its sample_limit,
// as Prometheus fails it: nothing of it is kept.
var ErrSampleLimit = errors.New("sample_limit")

// ErrDroppedSeriesLimit fails a scrape that drops more series as it reads
// them (past a label limit, invalid) than its dropped_series_limit:
// nothing of it is kept, as with ErrSampleLimit.
var ErrDroppedSeriesLimit = errors.New("dropped_series_limit")

// labelLimits bounds the labels of one series (see configs.LabelLimits);
// a zero field sets no bound (a spec built in code without defaults).
type labelLimits struct {
	count, nameLen, valueLen int
}

func labelLimitsOf(l configs.LabelLimits) labelLimits {
	return labelLimits{count: l.LabelLimit, nameLen: l.LabelNameLengthLimit, valueLen: l.LabelValueLengthLimit}
}

// check returns the reason a series (metric, its labels with the
// configured ones applied, "source" not among them) breaks a limit, or "".
// The metric name counts as a value, as Prometheus' __name__ does. It reads
// lengths only: no allocation, whatever the series.
func (l labelLimits) check(metric string, ls aggregator.Labels) string {
	if l.count > 0 && len(ls) > l.count {
		return dropLabelLimit
	}
	if l.valueLen > 0 && len(metric) > l.valueLen {
		return dropLabelValueLength
	}
	for _, lb := range ls {
		if l.nameLen > 0 && len(lb.Name) > l.nameLen {
			return dropLabelNameLength
		}
		if l.valueLen > 0 && len(lb.Value) > l.valueLen {
			return dropLabelValueLength
		}
	}
	return ""
}

// why says what the series dropped for a label limit have in common.
func (l labelLimits) why(reason string) string {
	switch reason {
	case dropLabelLimit:
		return fmt.Sprintf("with more than %d labels", l.count)
	case dropLabelNameLength:
		return fmt.Sprintf("with a label name longer than %d bytes", l.nameLen)
	case dropLabelValueLength:
		return fmt.Sprintf("with a label value or metric name longer than %d bytes", l.valueLen)
	}
	return ""
}

// seriesText renders a series for a warning as Labels.String does,
// bounded whatever it holds:
// names and values past clipLen bytes are cut (at a character boundary)
// and their length given, and past clipLabels labels the rest are
// counted, so that one warning stays one short line.
func seriesText(redact *configs.Redactor, metric string, ls aggregator.Labels) string {
	const clipLabels = 8
	var b strings.Builder
	b.WriteString(clipBytes(redact, metric))
	b.WriteByte('{')
	for i, l := range ls {
		if i == clipLabels {
			fmt.Fprintf(&b, ",…%d more", len(ls)-clipLabels)
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(clipBytes(redact, l.Name))
		b.WriteString(`="`)
		b.WriteString(clipBytes(redact, l.Value))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// clipLen is how much of one name or value a warning quotes.
const clipLen = 64

// clipBytes keeps the first clipLen bytes of s, ending on a character
// boundary, and says how long s was. Its secrets are masked by redact
// before the cut, so that no part of one is left at it (see
// configs.Redactor.Clip); a nil redact masks URLs only. Control
// characters are escaped as Go quotes them (\n, \x00): a scraped name or
// value may hold a line break, and a warning is one line.
func clipBytes[T string | []byte](redact *configs.Redactor, s T) string {
	text, cut := redact.Clip(string(s), clipLen)
	text = escapeControl(text)
	if !cut {
		return text
	}
	return fmt.Sprintf("%s…(%d bytes)", text, len(s))
}

// escapeControl writes each control character of s as Go quotes it (\n,
// \t, \x00, \u0085) and keeps every other byte, invalid UTF-8 included.
func escapeControl(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteString(s[:size])
		}
		s = s[size:]
	}
	return b.String()
}

// clipErrLen is how much of a parser's error a poll's error keeps.
const clipErrLen = 256

// clippedError is an error whose text is cut to clipErrLen bytes, the
// error itself still reachable with errors.Is and errors.As.
type clippedError struct {
	err error
	msg string
}

func (e clippedError) Error() string { return e.msg }
func (e clippedError) Unwrap() error { return e.err }

// clipError bounds the text of err: Prometheus' parser quotes the token
// it stopped at, and a hostile body makes that token as long as itself
// (a quoted string running to the end of 10 MiB), which would become the
// source's last_error on every page.
// Its secrets are masked by redact before the cut (see clipBytes).
func clipError(redact *configs.Redactor, err error) error {
	msg := err.Error()
	if len(msg) <= clipErrLen {
		return err
	}
	text, _ := redact.Clip(msg, clipErrLen)
	return clippedError{err: err, msg: fmt.Sprintf("%s…(%d bytes)", text, len(msg))}
}

// checkSent is check on a series' labels as the target sent them (the
// metric name among them, empty values not counted, before the source's
// labels are applied and its secrets masked), so that a series over a
// limit is refused before anything is built of it. Applying the source's
// labels only adds labels and lengthens names (exported_…), so what
// checkSent refuses check would refuse too; lengths are those sent, as
// Prometheus, which masks nothing, measures them. No allocation.
func (l labelLimits) checkSent(lset labels.Labels) string {
	n := 0
	reason := ""
	lset.Range(func(lb labels.Label) {
		switch {
		case lb.Name == model.MetricNameLabel:
			if l.valueLen > 0 && len(lb.Value) > l.valueLen && reason == "" {
				reason = dropLabelValueLength
			}
			return
		case lb.Value == "":
			return
		}
		n++
		switch {
		case reason != "":
		case l.nameLen > 0 && len(lb.Name) > l.nameLen:
			reason = dropLabelNameLength
		case l.valueLen > 0 && len(lb.Value) > l.valueLen:
			reason = dropLabelValueLength
		}
	})
	if l.count > 0 && n > l.count {
		return dropLabelLimit
	}
	return reason
}

// sentLabels is lset without its metric name and empty values, to name a
// series dropped by checkSent in a warning.
func sentLabels(lset labels.Labels) aggregator.Labels {
	out := make(aggregator.Labels, 0, lset.Len())
	lset.Range(func(lb labels.Label) {
		if lb.Name != model.MetricNameLabel && lb.Value != "" {
			out = append(out, aggregator.Label{Name: lb.Name, Value: lb.Value})
		}
	})
	return out
}
