package configs

import (
	"reflect"
	"time"
)

// maxDefaultTimeout bounds the timeout that is derived from the interval.
const maxDefaultTimeout = Duration(10 * time.Second)

// Default returns the configuration used for every key a file leaves out.
// It has no sources.
func Default() *Config {
	return &Config{
		Server: Server{Listen: "127.0.0.1:8080"},
		Aggregator: Aggregator{
			History:            Duration(15 * time.Minute),
			Windows:            []Duration{Duration(time.Minute), Duration(5 * time.Minute), Duration(15 * time.Minute)},
			MaxSeries:          100000,
			MaxSeriesPerSource: 10000,
			QueueSize:          1024,
			QueueSamples:       1_000_000,
			MemoryLimit:        DefaultMemoryLimit,
		},
		Broadcast: Broadcast{Interval: Duration(100 * time.Millisecond)},
		Supervisor: Supervisor{
			MaxRestarts: 5,
			Period:      Duration(30 * time.Second),
			Cooldown:    Duration(time.Minute),
			Backoff:     Backoff{Initial: Duration(100 * time.Millisecond), Max: Duration(30 * time.Second)},
		},
		Alerting: defaultAlerting(),
		Storage:  defaultStorage(),
	}
}

// ApplyDefaults fills, in every source, the keys whose default depends on
// the source's type or a series' shape. A zero value counts as left out.
// Parse calls it itself (judging from the file which keys were left out, so
// that an explicit "interval: 0s" is reported, not replaced); call it on a
// Config built in code before Validate.
func (c *Config) ApplyDefaults() { c.applyDefaults(valuesOf(c)) }

func (c *Config) applyDefaults(k keys) {
	c.Storage.applyDefaults(k.sub("storage"))
	if c.Cluster != nil {
		c.Cluster.applyDefaults()
	}
	for i := range c.Sources {
		c.Sources[i].applyDefaults(k.sub(index("sources", i)))
	}
	for i := range c.Alerts {
		c.Alerts[i].applyDefaults(k.sub(index("alerts", i)), c.Aggregator.Windows)
	}
}

// applyDefaults fills the source's interval (by type), its timeout (the
// interval, at most maxDefaultTimeout), and every key of its spec that k
// does not hold with the value its type's New gives it; a spec with
// defaults that depend on other keys (a series' shape) fills those itself.
// A source without a spec gets its type's defaults whole.
func (s *Source) applyDefaults(k keys) {
	st, known := lookupSourceType(s.Type)
	if !k.has("interval") {
		s.Interval = st.Interval // zero for an unknown type: reported as such
	}
	if !k.has("timeout") && s.Interval > 0 {
		s.Timeout = min(s.Interval, maxDefaultTimeout)
	}
	if !known {
		return
	}
	def := st.New()
	if s.Spec == nil {
		s.Spec = def
		def = st.New()
	}
	if reflect.TypeOf(s.Spec) != reflect.TypeOf(def) {
		return // Validate says so
	}
	spec, defaults := reflect.ValueOf(s.Spec).Elem(), reflect.ValueOf(def).Elem()
	for _, f := range specFields(spec.Type()) {
		if !k.has(f.key) {
			spec.FieldByIndex(f.index).Set(defaults.FieldByIndex(f.index))
		}
	}
	if d, ok := s.Spec.(keyDefaulter); ok {
		d.applyDefaults(k)
	}
}

// keyDefaulter is implemented by specs whose defaults depend on what else
// was given, such as a simulated series' range on its shape.
type keyDefaulter interface {
	applyDefaults(k keys)
}
