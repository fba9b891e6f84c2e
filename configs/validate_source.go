package configs

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// typeKeys lists, for each source type, the keys it uses beside the common
// ones (name, type, interval, timeout, labels). Any other key of Source,
// when given, is an error.
var typeKeys = map[string][]string{
	TypeSimulated:  {"seed", "series", "faults"},
	TypeHost:       {},
	TypeHTTP:       {"url", "headers", "max_body_bytes", "method", "expect_status", "follow_redirects"},
	TypePrometheus: {"url", "headers", "max_body_bytes", "include", "exclude", "max_series"},
	TypeJSON:       {"url", "headers", "max_body_bytes", "fields"},
}

// typeSpecificKeys is every key of Source that only some types use, in the
// order of the struct.
var typeSpecificKeys = []string{
	"seed", "series", "faults", "url", "headers", "max_body_bytes", "method",
	"expect_status", "follow_redirects", "include", "exclude", "max_series", "fields",
}

// httpMethods are the methods an http source may use.
var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// Validate checks one source on its own (Config.Validate also checks that
// names are unique). Call ApplyDefaults first on a Config built in code.
func (s Source) Validate() error { return s.validate(valuesOf(&s)) }

func (s *Source) validate(k keys) error {
	var p problems
	switch {
	case s.Name == "":
		p.addf("name", "is required")
	case !sourceNameRE.MatchString(s.Name):
		p.addf("name", "invalid source name %q: want up to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", s.Name)
	}
	used, known := typeKeys[s.Type]
	switch {
	case s.Type == "":
		p.addf("type", "is required (one of: %s)", strings.Join(SourceTypes, ", "))
	case !known:
		p.addf("type", "unknown source type %q (known: %s)", s.Type, strings.Join(SourceTypes, ", "))
	}
	if known || s.Interval != 0 { // an unknown type has no default interval
		atLeast(&p, "interval", s.Interval, minInterval)
	}
	if s.Interval > 0 {
		atLeast(&p, "timeout", s.Timeout, 1)
		if s.Timeout > s.Interval {
			p.addf("timeout", "%s is longer than the interval (%s)", s.Timeout, s.Interval)
		}
	}
	checkLabels(&p, "labels", s.Labels)
	if !known {
		return p.err()
	}
	for _, key := range typeSpecificKeys {
		if !slices.Contains(used, key) && k.has(key) {
			p.keyf(key, "not used by %s sources (it is for %s)", s.Type, typesUsing(key))
		}
	}
	switch s.Type {
	case TypeSimulated:
		s.validateSimulated(&p)
	case TypeHTTP:
		s.validateHTTP(&p)
	case TypePrometheus:
		s.validatePrometheus(&p)
	case TypeJSON:
		s.validateJSON(&p)
	}
	if usesURL(s.Type) {
		s.validateFetch(&p)
	}
	return p.err()
}

func (s *Source) validateSimulated(p *problems) {
	if len(s.Series) == 0 {
		p.addf("series", "a simulated source needs at least one series")
	}
	seen := map[string]int{}
	for j := range s.Series {
		path := index("series", j)
		p.nest(path, s.Series[j].Validate())
		id := seriesID(s.Series[j])
		if first, dup := seen[id]; dup {
			p.addf(path, "duplicate series: metric %q with the same labels as series[%d]", s.Series[j].Metric, first)
		} else {
			seen[id] = j
		}
	}
	if s.Faults != nil {
		p.nest("faults", s.Faults.Validate())
	}
}

func (s *Source) validateFetch(p *problems) {
	if s.URL == "" {
		p.addf("url", "is required for %s sources", s.Type)
	} else if u, err := url.Parse(s.URL); err != nil {
		p.addf("url", "invalid URL %q: %v", s.URL, unwrapURLError(err))
	} else if u.Scheme != "http" && u.Scheme != "https" {
		p.addf("url", "URL %q: the scheme must be http or https", s.URL)
	} else if u.Host == "" {
		p.addf("url", "URL %q has no host", s.URL)
	}
	for _, name := range sortedKeys(s.Headers) {
		if !headerNameRE.MatchString(name) {
			p.keyf(joinPath("headers", name), "invalid header name %q", name)
		} else if strings.ContainsAny(s.Headers[name], "\r\n\x00") {
			p.addf(joinPath("headers", name), "a header value cannot hold a line break or NUL")
		}
	}
	positive(p, "max_body_bytes", s.MaxBodyBytes)
}

func (s *Source) validateHTTP(p *problems) {
	if !slices.Contains(httpMethods, s.Method) {
		p.addf("method", "unknown method %q (known: %s)", s.Method, strings.Join(httpMethods, ", "))
	}
	for i, code := range s.ExpectStatus {
		if code < 100 || code > 599 {
			p.addf(index("expect_status", i), "%d is not an HTTP status code (100 to 599)", code)
		}
	}
}

func (s *Source) validatePrometheus(p *problems) {
	for _, list := range []struct {
		key string
		res []string
	}{{"include", s.Include}, {"exclude", s.Exclude}} {
		for i, re := range list.res {
			if _, err := regexp.Compile(re); err != nil {
				p.addf(index(list.key, i), "invalid regular expression %q: %v", re, regexpReason(err))
			}
		}
	}
	positive(p, "max_series", s.MaxSeries)
}

func (s *Source) validateJSON(p *problems) {
	if len(s.Fields) == 0 {
		p.addf("fields", "a json source needs at least one field (metric name: JSON path)")
	}
	for _, metric := range sortedKeys(s.Fields) {
		path := joinPath("fields", metric)
		if msg := checkMetricName(metric); msg != "" {
			p.keyf(path, "%s", msg)
		}
		if strings.TrimSpace(s.Fields[metric]) == "" {
			p.addf(path, "the JSON path is empty")
		}
	}
}

// seriesCount is how many series a simulated source makes.
func (s *Source) seriesCount() int {
	n := 0
	for _, ss := range s.Series {
		n += max(ss.Count, 1)
	}
	return n
}

// Validate checks one simulated series on its own. Call ApplyDefaults first
// on a Config built in code.
func (ss SimSeries) Validate() error {
	var p problems
	if ss.Metric == "" {
		p.addf("metric", "is required")
	} else if msg := checkMetricName(ss.Metric); msg != "" {
		p.addf("metric", "%s", msg)
	}
	if !slices.Contains(Shapes, ss.Shape) {
		p.addf("shape", "unknown shape %q (known: %s)", ss.Shape, strings.Join(Shapes, ", "))
	}
	for _, f := range []struct {
		key string
		v   float64
	}{{"min", ss.Min}, {"max", ss.Max}, {"noise", ss.Noise}, {"rate", ss.Rate}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			p.addf(f.key, "must be a finite number, got %v", f.v)
		}
	}
	switch {
	case ranged(ss.Shape) && ss.Min > ss.Max:
		p.addf("min", "min %v is greater than max %v", ss.Min, ss.Max)
	case ss.Shape == "counter" && ss.Min < 0:
		p.addf("min", "a counter cannot start below 0, got %v", ss.Min)
	}
	if ss.Period < 0 || (periodic(ss.Shape) && ss.Period == 0) {
		p.addf("period", "must be positive, got %s", ss.Period)
	}
	if ss.Noise < 0 {
		p.addf("noise", "must not be negative, got %v", ss.Noise)
	}
	if ss.Rate < 0 {
		p.addf("rate", "must not be negative, got %v", ss.Rate)
	}
	if ss.Count < 1 {
		p.addf("count", "must be at least 1, got %d", ss.Count)
	}
	checkLabels(&p, "labels", ss.Labels)
	if _, ok := ss.Labels[LabelInstance]; ok && ss.Count > 1 {
		p.keyf(joinPath("labels", LabelInstance), "label %q is set by count > 1 itself", LabelInstance)
	}
	return p.err()
}

// Validate checks that the rates are probabilities and the latency is not
// negative.
func (f Faults) Validate() error {
	var p problems
	for _, r := range []struct {
		key string
		v   float64
	}{{"error_rate", f.ErrorRate}, {"panic_rate", f.PanicRate}, {"hang_rate", f.HangRate}} {
		if !(r.v >= 0 && r.v <= 1) { // also catches NaN
			p.addf(r.key, "must be a probability from 0 to 1, got %v", r.v)
		}
	}
	if f.Latency < 0 {
		p.addf("latency", "must not be negative, got %s", f.Latency)
	}
	return p.err()
}

// seriesID identifies a simulated series within its source.
func seriesID(ss SimSeries) string {
	var b strings.Builder
	b.WriteString(ss.Metric)
	for _, k := range sortedKeys(ss.Labels) {
		fmt.Fprintf(&b, "\x00%s\x00%s", k, ss.Labels[k])
	}
	return b.String()
}

// typesUsing lists the source types that use key, for error messages.
func typesUsing(key string) string {
	var types []string
	for _, t := range SourceTypes {
		if slices.Contains(typeKeys[t], key) {
			types = append(types, t)
		}
	}
	return strings.Join(types, ", ")
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// regexpReason drops the pattern from a regexp error, which the message
// already quotes.
func regexpReason(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": `"); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimPrefix(msg, "error parsing regexp: ")
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	return slices.Sorted(maps.Keys(m))
}
