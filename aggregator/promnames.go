package aggregator

import (
	"strings"
	"unicode/utf8"

	"github.com/prometheus/common/model"
)

// Series identities are user data: names from YAML or another exporter,
// values from anywhere. These helpers turn them into what the classic
// exposition format and promtool accept.

// validMetricName and validLabelName are Prometheus' classic (legacy)
// rules, which the text exposition format and promtool hold to; a label
// name starting with "__" is reserved as well.
func validMetricName(s string) bool { return model.LegacyValidation.IsValidMetricName(s) }

func validLabelName(s string) bool {
	return model.LegacyValidation.IsValidLabelName(s) && !strings.HasPrefix(s, "__")
}

// sanitizeName replaces every character a legacy name may not hold with
// '_', and prefixes '_' when it starts with a digit. colon says whether ':'
// is allowed (metric names) or not (label names).
func sanitizeName(s string, colon bool) string {
	if s == "" {
		return "_"
	}
	var b strings.Builder
	b.Grow(len(s) + 1)
	if s[0] >= '0' && s[0] <= '9' {
		b.WriteByte('_')
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || colon && c == ':' {
			b.WriteByte(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// ownPrefixes are the namespaces of the families pulseboard's own
// registry exports beside the store: its metrics, and the Go and process
// collectors every Go exporter has too. A scraped node_exporter brings
// go_goroutines and process_cpu_seconds_total with other help texts; left
// as they are, they would collide with ours and fail the whole scrape.
var ownPrefixes = []string{"pulseboard_", "go_", "process_", "promhttp_"}

// promMetricName is the name a series is exposed under. Names in one of
// pulseboard's own namespaces get "exported_" in front, as Prometheus
// does with clashing labels, so that a source scraping any Go exporter
// (or another pulseboard) can never collide with our own families.
func promMetricName(metric string) string {
	name := metric
	if !validMetricName(name) {
		name = sanitizeName(name, true)
	}
	for _, p := range ownPrefixes {
		if strings.HasPrefix(name, p) {
			return "exported_" + name
		}
	}
	return name
}

// promLabelNames returns the exposed label names of a series' labels,
// renamed so that none is invalid, reserved ("__" prefix), equal to one of
// taken, or equal to another: the Prometheus convention of "exported_"
// prefixes.
func promLabelNames(ls Labels, taken ...string) []string {
	out := make([]string, 0, len(ls))
	used := func(n string) bool {
		for _, t := range taken {
			if t == n {
				return true
			}
		}
		for _, t := range out {
			if t == n {
				return true
			}
		}
		return false
	}
	for _, l := range ls {
		n := l.Name
		if !validLabelName(n) {
			n = sanitizeName(n, false)
			if strings.HasPrefix(n, "__") {
				n = "exported_" + n
			}
		}
		for used(n) {
			n = "exported_" + n
		}
		out = append(out, n)
	}
	return out
}

// promLabelValue makes a value valid UTF-8.
func promLabelValue(v string) string {
	if utf8.ValidString(v) {
		return v
	}
	return strings.ToValidUTF8(v, "\uFFFD")
}
