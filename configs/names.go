package configs

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/prometheus/common/model"
)

// Naming rules. Metric and label names follow Prometheus' classic (legacy)
// rules, checked by prometheus/common/model, so that every series can be
// exported on /metrics as it is.
var (
	// A source name appears in URLs (/api/v1/sources/{name}/crash) and as a
	// label value; keep it to characters that need no escaping.
	sourceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	hostnameRE   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)
	// RFC 9110 token characters.
	headerNameRE = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$")
)

// Label names pulseboard sets itself: "source" on every exported series,
// "instance" on the series a simulated entry with count > 1 expands into.
const (
	LabelSource   = "source"
	LabelInstance = "instance"
)

// reservedMetricPrefix belongs to pulseboard's own metrics on /metrics.
const reservedMetricPrefix = "pulseboard_"

// checkMetricName returns why name is not a usable metric name, or "".
func checkMetricName(name string) string {
	switch {
	case name == "":
		return "metric name is empty"
	case !model.LegacyValidation.IsValidMetricName(name):
		return fmt.Sprintf("invalid metric name %q: want letters, digits, '_' and ':', not starting with a digit", name)
	case strings.HasPrefix(name, reservedMetricPrefix):
		return fmt.Sprintf("metric name %q: the prefix %q is reserved for pulseboard's own metrics", name, reservedMetricPrefix)
	}
	return ""
}

// checkLabelName returns why name is not a usable label name, or "".
func checkLabelName(name string) string {
	switch {
	case !model.LegacyValidation.IsValidLabelName(name):
		return fmt.Sprintf("invalid label name %q: want letters, digits and '_', not starting with a digit", name)
	case strings.HasPrefix(name, "__"):
		return fmt.Sprintf("label name %q: names starting with \"__\" are reserved", name)
	case name == LabelSource:
		return fmt.Sprintf("label name %q is reserved: pulseboard sets it to the source's name", name)
	}
	return ""
}

// checkLabels reports every bad label name of a labels mapping at path.
func checkLabels(p *problems, path string, labels map[string]string) {
	for _, name := range sortedKeys(labels) {
		if msg := checkLabelName(name); msg != "" {
			p.keyf(joinPath(path, name), "%s", msg)
		}
	}
}

func validHostname(h string) bool { return len(h) <= 253 && hostnameRE.MatchString(h) }
