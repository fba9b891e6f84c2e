package aggregator

import (
	"strings"
	"time"

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
	// TimeMs is when the sample was taken, in Unix milliseconds: the
	// exporter's own timestamp when it sent one (Prometheus'
	// honor_timestamps), else the poll's time. The sample is stored at this
	// time, and counts in a window only while the window covers it.
	TimeMs int64
	// Value may be NaN or ±Inf: they are stored and exported as they are,
	// but windows leave them out of every statistic.
	Value float64
	// NoStaleness exempts the series from staleness (see Batch) while its
	// newest sample says so: missing from a complete batch, or its source
	// failing, it stays live, and ages out with its history instead.
	// Prometheus' rule for a sample that carries the exporter's own
	// timestamp, unless track_timestamps_staleness: the exporter says when
	// the value was true, so its absence from one scrape says nothing. The
	// prometheus source sets it on those samples.
	NoStaleness bool
}

// Batch is what one poll of one source produced. A collector pushes one
// Batch per poll, from its own goroutine, through Aggregator.Push:
//
//   - after a successful poll, Batch{Source, Samples, Complete: true} with
//     every series the target exposed (or the sources of a type that cannot
//     tell, Complete false: then nothing goes stale by absence);
//   - after a failed poll, Batch{Source: name, Failed: true} with no samples.
//
// Staleness follows Prometheus': a series of the source that is missing
// from a complete batch, or every series of a source whose poll failed, is
// stale at once, unless its newest sample was marked NoStaleness. A stale series keeps its history, is left out of /metrics,
// is marked stale in the API and the stream, and is live again with its
// next sample; it is still evicted after History without one.
type Batch struct {
	Source  string
	Samples []Sample
	// Complete says Samples are every series the source has right now.
	Complete bool
	// Failed says the poll failed: Samples must be empty (any are not
	// stored) and the source's every series goes stale.
	Failed bool
	// Interval is how often the source polls: a new series is charged
	// against Options.MemoryLimit with the history it fills at that pace
	// (SeriesMemory). Zero charges it as though it polled every second.
	Interval time.Duration
	// Known says the source's series count is known from its config (a
	// simulated source) and was charged against aggregator.memory_limit
	// when the config was loaded: its new series are charged too, but
	// never refused for memory (Options.MemoryReserved keeps their room).
	Known bool
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
	StateDown     = protocol.StateDown
)
