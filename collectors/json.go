package collectors

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

func init() { Register(configs.TypeJSON, newJSONSource) }

// jsonSource reads numbers out of a JSON document: each configured field
// maps a metric name to a gjson path.
type jsonSource struct {
	f       *fetcher
	fields  []jsonField // sorted by metric, so errors come in a stable order
	now     func() time.Time
	redact  *configs.Redactor // masks secrets in excerpts before they are cut
	partial Partial
}

type jsonField struct{ metric, path string }

func newJSONSource(cfg configs.Source, env Env) (Source, error) {
	spec, err := specOf[*configs.JSONSpec](cfg)
	if err != nil {
		return nil, err
	}
	fields := make([]jsonField, 0, len(spec.Fields))
	for metric, path := range spec.Fields {
		fields = append(fields, jsonField{metric: metric, path: path})
	}
	slices.SortFunc(fields, func(a, b jsonField) int { return strings.Compare(a.metric, b.metric) })
	f, err := newFetcher(spec.HTTPClient, env, http.MethodGet, "application/json", true)
	if err != nil {
		return nil, err
	}
	return &jsonSource{f: f, fields: fields, now: env.now, redact: cfg.Redactor()}, nil
}

func (j *jsonSource) Describe() string     { return j.f.Describe() }
func (j *jsonSource) Close() error         { return j.f.Close() }
func (j *jsonSource) LastPartial() Partial { return j.partial }

// Poll fetches the document and extracts every field. A field that is
// missing or not numeric is a per-field error: the poll fails only when no
// field at all gave a value.
func (j *jsonSource) Poll(ctx context.Context) ([]aggregator.Sample, error) {
	j.partial = Partial{}
	ts := j.now().UnixMilli()
	r, err := j.f.fetchOK(ctx)
	if err != nil {
		return nil, err
	}
	samples, fieldErrs, err := extractJSON(r.Body, j.fields, ts, j.redact)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", j.f.Describe(), err)
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("%s: %w: %w", j.f.Describe(), ErrNoValues, errors.Join(fieldErrs...))
	}
	j.partial.Errors = fieldErrs
	return samples, nil
}

// extractJSON does the parsing half of a poll, apart from I/O. Excerpts
// of bad values in its errors are masked by redact before they are cut.
func extractJSON(body []byte, fields []jsonField, ts int64, redact *configs.Redactor) ([]aggregator.Sample, []error, error) {
	if !gjson.ValidBytes(body) {
		return nil, nil, errors.New("body is not valid JSON")
	}
	out := make([]aggregator.Sample, 0, len(fields))
	var errs []error
	for _, f := range fields {
		v, err := jsonNumber(gjson.GetBytes(body, f.path), redact)
		if err != nil {
			errs = append(errs, fmt.Errorf("field %s (path %q): %w", f.metric, f.path, err))
			continue
		}
		out = append(out, aggregator.Sample{Metric: f.metric, Kind: aggregator.KindGauge, TimeMs: ts, Value: v})
	}
	return out, errs, nil
}

// jsonNumber accepts numbers, booleans (1/0) and strings holding a number,
// "NaN" included (a NaN is a value); anything else, and an infinity, is an
// error that says what was found.
func jsonNumber(r gjson.Result, redact *configs.Redactor) (float64, error) {
	var v float64
	switch r.Type {
	case gjson.Number:
		v = r.Num
	case gjson.True:
		return 1, nil
	case gjson.False:
		return 0, nil
	case gjson.String:
		f, err := strconv.ParseFloat(strings.TrimSpace(r.Str), 64)
		if err != nil {
			return 0, fmt.Errorf("not numeric: string %q", clip(redact, r.Str, 40))
		}
		v = f
	case gjson.Null:
		if !r.Exists() {
			return 0, errors.New("not found")
		}
		return 0, errors.New("not numeric: null")
	default: // object or array
		// Raw is the document's own text: its line breaks would make the
		// warning several lines.
		return 0, fmt.Errorf("not numeric: %s", strings.Join(strings.Fields(clip(redact, r.Raw, 40)), " "))
	}
	if math.IsInf(v, 0) {
		return 0, fmt.Errorf("not finite: %v", v)
	}
	return v, nil
}

// clip keeps the first n bytes of s, ending on a character boundary, its
// secrets masked by redact first (a cut must not leave part of one behind;
// see configs.Redactor.Clip). A nil redact masks URLs only.
func clip(redact *configs.Redactor, s string, n int) string {
	s, cut := redact.Clip(s, n)
	if cut {
		s += "…"
	}
	return s
}
