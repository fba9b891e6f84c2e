package configs

import "time"

// TypeConstant is the type of a source that reports one fixed value.
const TypeConstant = "constant"

func init() {
	RegisterSourceType(SourceType{Name: TypeConstant, Interval: Duration(5 * time.Second), New: func() SourceSpec { return NewConstantSpec() }})
}

// ConstantSpec is the config of a constant source.
type ConstantSpec struct {
	Metric string  `yaml:"metric"`
	Value  float64 `yaml:"value"`
}

// NewConstantSpec returns a constant source's config with its defaults.
func NewConstantSpec() *ConstantSpec { return &ConstantSpec{Metric: "constant_value", Value: 1} }

// Validate checks the metric name.
func (s *ConstantSpec) Validate() error {
	var p problems
	if msg := checkMetricName(s.Metric); msg != "" {
		p.addf("metric", "%s", msg)
	}
	return p.err()
}
