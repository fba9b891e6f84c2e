package configs

import (
	"strings"
	"time"
)

// TypeJSON is the type of a source that reads numbers out of a JSON
// document.
const TypeJSON = "json"

func init() {
	RegisterSourceType(SourceType{Name: TypeJSON, Interval: Duration(10 * time.Second), New: func() SourceSpec { return NewJSONSpec() }})
}

// JSONSpec is the config of a json source.
type JSONSpec struct {
	HTTPClient  `yaml:",inline"`
	LabelLimits `yaml:",inline"`
	// Fields maps a metric name to a gjson path in the document.
	Fields map[string]string `yaml:"fields"`
}

// NewJSONSpec returns a json source's config with its defaults.
func NewJSONSpec() *JSONSpec {
	return &JSONSpec{HTTPClient: newHTTPClient(), LabelLimits: newLabelLimits()}
}

// Validate checks the URL, headers, body and label limits and the fields.
func (s *JSONSpec) Validate() error {
	var p problems
	s.HTTPClient.validate(&p, TypeJSON)
	s.LabelLimits.validate(&p)
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
	return p.err()
}
