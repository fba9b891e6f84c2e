package configs

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// TypeSimulated is the type of a source that makes up series of known
// shapes, and can misbehave on purpose.
const TypeSimulated = "simulated"

func init() {
	RegisterSourceType(SourceType{Name: TypeSimulated, Interval: Duration(time.Second), New: func() SourceSpec { return NewSimulatedSpec() }})
}

// Shapes lists the simulated series shapes.
var Shapes = []string{"sine", "square", "sawtooth", "random_walk", "spike", "counter", "constant"}

// Defaults of a simulated series that depend on its shape, filled by
// ApplyDefaults (and Parse) for the keys left out.
const (
	// DefaultShape is a simulated series' shape when none is given.
	DefaultShape = "sine"
	// DefaultPeriod is the period of the sine, square and sawtooth shapes.
	DefaultPeriod = Duration(time.Minute)
	// DefaultMin and DefaultMax are a simulated series' range when neither
	// bound is given.
	DefaultMin, DefaultMax = 0.0, 100.0
	// DefaultCounterRate is the counter shape's increase per second.
	DefaultCounterRate = 1.0
	// DefaultSpikeRate is the spike shape's spikes per minute.
	DefaultSpikeRate = 6.0
)

// SimulatedSpec is the config of a simulated source.
type SimulatedSpec struct {
	// Seed fixes the random numbers (noise, walks, spikes, faults); nil
	// means a random seed.
	Seed        *int64 `yaml:"seed"`
	LabelLimits `yaml:",inline"`
	Series      []SimSeries `yaml:"series"`
	Faults      *Faults     `yaml:"faults"`
}

// NewSimulatedSpec returns a simulated source's config: no series yet (one
// is required), a random seed, no faults.
func NewSimulatedSpec() *SimulatedSpec { return &SimulatedSpec{LabelLimits: newLabelLimits()} }

// labelSets lists each series' labels: series without labels of their own
// carry the source's ("labels"), and one with count > 1 an "instance" too.
func (s *SimulatedSpec) labelSets() []labelSet {
	out := make([]labelSet, len(s.Series))
	for i, ss := range s.Series {
		out[i] = labelSet{path: index("series", i) + ".labels", labels: ss.Labels}
		if len(ss.Labels) == 0 {
			out[i].path = "labels"
		}
		if ss.Count > 1 {
			out[i].implicit = 1
		}
	}
	return out
}

// SimSeries is one simulated series (or, with Count, several alike).
type SimSeries struct {
	Metric string            `yaml:"metric"`
	Shape  string            `yaml:"shape"`
	Labels map[string]string `yaml:"labels"`
	Min    float64           `yaml:"min"`
	Max    float64           `yaml:"max"`
	Period Duration          `yaml:"period"`
	Noise  float64           `yaml:"noise"`
	// Rate is the counter shape's increase per second, and the spike
	// shape's spikes per minute.
	Rate float64 `yaml:"rate"`
	// Count > 1 expands the entry into Count series told apart by an
	// "instance" label ("0", "1", …).
	Count int `yaml:"count"`
}

// Faults injects failures into a simulated source, for watching supervision.
type Faults struct {
	// ErrorRate is the probability that a poll fails with an error.
	ErrorRate float64 `yaml:"error_rate"`
	// PanicRate is the probability that a poll panics.
	PanicRate float64 `yaml:"panic_rate"`
	// HangRate is the probability that a poll never returns on its own.
	HangRate float64 `yaml:"hang_rate"`
	// Latency is added to every poll, with up to half of it again as jitter.
	Latency Duration `yaml:"latency"`
}

// applyDefaults fills each series' keys whose default depends on its
// shape; k says which keys of the source were given.
func (s *SimulatedSpec) applyDefaults(k keys) {
	for j := range s.Series {
		s.Series[j].applyDefaults(k.sub(index("series", j)))
	}
}

func (ss *SimSeries) applyDefaults(k keys) {
	if !k.has("shape") {
		ss.Shape = DefaultShape
	}
	if !k.has("count") {
		ss.Count = 1
	}
	if !k.has("min") && !k.has("max") && ranged(ss.Shape) {
		ss.Min, ss.Max = DefaultMin, DefaultMax
	}
	if !k.has("period") && periodic(ss.Shape) {
		ss.Period = DefaultPeriod
	}
	if !k.has("rate") {
		switch ss.Shape {
		case "counter":
			ss.Rate = DefaultCounterRate
		case "spike":
			ss.Rate = DefaultSpikeRate
		}
	}
	if !k.has("noise") && ss.Shape == "random_walk" {
		// A walk with no step would stand still.
		ss.Noise = max(0, (ss.Max-ss.Min)/50)
	}
}

// ranged reports whether a shape moves between Min and Max. The counter
// starts at Min and only rises; the constant stays at Min.
func ranged(shape string) bool {
	return shape != "counter" && shape != "constant"
}

// periodic reports whether a shape repeats over Period.
func periodic(shape string) bool {
	return shape == "sine" || shape == "square" || shape == "sawtooth"
}

// seriesBound is how many series the source makes, held by Config.Validate
// against aggregator.max_series_per_source, and the key to point at.
func (s *SimulatedSpec) seriesBound() (int, string) {
	n := 0
	for _, ss := range s.Series {
		n += max(ss.Count, 1)
	}
	return n, "series"
}

// Validate checks every series, that no two are alike, and the faults.
func (s *SimulatedSpec) Validate() error {
	var p problems
	s.LabelLimits.validate(&p)
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
	return p.err()
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

// Validate checks that the rates are probabilities that add up to 1 at
// most (one number is drawn per poll) and the latency is not negative.
func (f Faults) Validate() error {
	var p problems
	valid := true
	for _, r := range []struct {
		key string
		v   float64
	}{{"error_rate", f.ErrorRate}, {"panic_rate", f.PanicRate}, {"hang_rate", f.HangRate}} {
		if !(r.v >= 0 && r.v <= 1) { // also catches NaN
			p.addf(r.key, "must be a probability from 0 to 1, got %v", r.v)
			valid = false
		}
	}
	if sum := f.ErrorRate + f.PanicRate + f.HangRate; valid && sum > 1+1e-9 { // 0.1+0.2+0.7 is a hair above 1 in floating point
		p.addf("", "error_rate + panic_rate + hang_rate is %v: they cannot add up to more than 1", sum)
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
