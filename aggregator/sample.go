package aggregator

import (
	"strings"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// Kind says how a series' values behave over time.
type Kind uint8

const (
	// KindGauge is a value that goes up and down.
	KindGauge Kind = iota
	// KindCounter only grows, except when its source restarts (a reset).
	KindCounter
)

// String returns "gauge" or "counter", the names used by the protocol.
func (k Kind) String() string {
	if k == KindCounter {
		return "counter"
	}
	return "gauge"
}

// Label is one name/value pair of a series' identity.
type Label struct {
	Name  string
	Value string
}

// Labels is a set of labels sorted by name, with no duplicate names.
// Producers keep it sorted; the store relies on that for identity.
type Labels []Label

// Get returns the value of the label called name, or "".
func (ls Labels) Get(name string) string {
	for _, l := range ls {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// String renders the set as {a="1",b="2"}, for logs and tests.
func (ls Labels) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Name)
		b.WriteString(`="`)
		b.WriteString(l.Value)
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// Sample is one observation of one series. Together with the source name of
// its Batch, Metric and Labels are the series' identity.
type Sample struct {
	Metric string
	Labels Labels
	Kind   Kind
	// TimeMs is when the sample was taken, in Unix milliseconds.
	TimeMs int64
	Value  float64
}

// Batch is what one poll of one source produced.
type Batch struct {
	Source  string
	Samples []Sample
}

// SourceInfo is the state of one source as the API and the UI show it. The
// collectors produce it; the aggregator only carries it into snapshots,
// deltas and /metrics. It is the protocol's Source.
type SourceInfo = protocol.Source

// Source states, the protocol's.
const (
	StateStarting = protocol.StateStarting
	StateRunning  = protocol.StateRunning
	StateBackoff  = protocol.StateBackoff
	StateFailed   = protocol.StateFailed
	StateStopped  = protocol.StateStopped
)
