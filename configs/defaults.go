package configs

import (
	"time"
)

// Defaults that are not visible in Default() because they depend on a
// source's type or a series' shape.
const (
	// DefaultMaxBodyBytes bounds the body read from http, prometheus and
	// json sources.
	DefaultMaxBodyBytes int64 = 10 << 20
	// DefaultPromMaxSeries caps the series one prometheus source may create.
	DefaultPromMaxSeries = 10000
	// DefaultMethod is the http source's request method.
	DefaultMethod = "GET"
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
	// maxDefaultTimeout bounds the timeout that is derived from the interval.
	maxDefaultTimeout = Duration(10 * time.Second)
)

// DefaultInterval returns a source type's poll interval when none is
// given, zero for an unknown type.
func DefaultInterval(typ string) Duration { return defaultIntervals[typ] }

var defaultIntervals = map[string]Duration{
	TypeSimulated:  Duration(time.Second),
	TypeHost:       Duration(time.Second),
	TypeHTTP:       Duration(10 * time.Second),
	TypePrometheus: Duration(15 * time.Second),
	TypeJSON:       Duration(10 * time.Second),
}

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
		},
		Broadcast: Broadcast{Interval: Duration(100 * time.Millisecond)},
		Supervisor: Supervisor{
			MaxRestarts: 5,
			Period:      Duration(30 * time.Second),
			Cooldown:    Duration(time.Minute),
			Backoff:     Backoff{Initial: Duration(100 * time.Millisecond), Max: Duration(30 * time.Second)},
		},
	}
}

// ApplyDefaults fills, in every source, the keys whose default depends on
// the source's type or a series' shape. A zero value counts as left out.
// Parse calls it itself (judging from the file which keys were left out, so
// that an explicit "interval: 0s" is reported, not replaced); call it on a
// Config built in code before Validate.
func (c *Config) ApplyDefaults() { c.applyDefaults(valuesOf(c)) }

func (c *Config) applyDefaults(k keys) {
	for i := range c.Sources {
		c.Sources[i].applyDefaults(k.sub(index("sources", i)))
	}
}

func (s *Source) applyDefaults(k keys) {
	if !k.has("interval") {
		s.Interval = defaultIntervals[s.Type] // zero for an unknown type: reported as such
	}
	if !k.has("timeout") && s.Interval > 0 {
		s.Timeout = min(s.Interval, maxDefaultTimeout)
	}
	switch s.Type {
	case TypeHTTP:
		if !k.has("method") {
			s.Method = DefaultMethod
		}
		if !k.has("follow_redirects") {
			follow := true
			s.FollowRedirects = &follow
		}
	case TypePrometheus:
		if !k.has("max_series") {
			s.MaxSeries = DefaultPromMaxSeries
		}
	case TypeSimulated:
		for j := range s.Series {
			s.Series[j].applyDefaults(k.sub(index("series", j)))
		}
	}
	if usesURL(s.Type) && !k.has("max_body_bytes") {
		s.MaxBodyBytes = DefaultMaxBodyBytes
	}
}

func (s *SimSeries) applyDefaults(k keys) {
	if !k.has("shape") {
		s.Shape = DefaultShape
	}
	if !k.has("count") {
		s.Count = 1
	}
	if !k.has("min") && !k.has("max") && ranged(s.Shape) {
		s.Min, s.Max = DefaultMin, DefaultMax
	}
	if !k.has("period") && periodic(s.Shape) {
		s.Period = DefaultPeriod
	}
	if !k.has("rate") {
		switch s.Shape {
		case "counter":
			s.Rate = DefaultCounterRate
		case "spike":
			s.Rate = DefaultSpikeRate
		}
	}
	if !k.has("noise") && s.Shape == "random_walk" {
		// A walk with no step would stand still.
		s.Noise = max(0, (s.Max-s.Min)/50)
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

// usesURL reports whether a source type fetches a URL.
func usesURL(typ string) bool {
	return typ == TypeHTTP || typ == TypePrometheus || typ == TypeJSON
}
