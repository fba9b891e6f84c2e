// Package configs holds pulseboard's configuration: the schema, its
// defaults, strict YAML loading with file:line:col errors, and validation.
package configs

// Config is the whole configuration file. Build one with Default and
// decode YAML over it, so that every key left out keeps its default.
type Config struct {
	Server     Server     `yaml:"server"`
	Aggregator Aggregator `yaml:"aggregator"`
	Broadcast  Broadcast  `yaml:"broadcast"`
	Supervisor Supervisor `yaml:"supervisor"`
	Sources    []Source   `yaml:"sources"`
}

// Server is the HTTP side: where to listen and who may connect.
type Server struct {
	// Listen is host:port; the default is loopback only.
	Listen string `yaml:"listen"`
	// AllowedOrigins are the origins, beside the page's own, whose pages may
	// open the WebSocket (exact match, e.g. "https://ops.example.com").
	AllowedOrigins []string `yaml:"allowed_origins"`
	Auth           Auth     `yaml:"auth"`
}

// Auth holds the bearer tokens. An empty admin token means one is made at
// start; an empty viewer token means reading needs no token.
type Auth struct {
	ViewerToken string `yaml:"viewer_token"`
	AdminToken  string `yaml:"admin_token"`
}

// Aggregator sizes the series store.
type Aggregator struct {
	// History is how far back each series keeps its points.
	History Duration `yaml:"history"`
	// Windows are the spans over which statistics are kept.
	Windows []Duration `yaml:"windows"`
	// MaxSeries caps the number of series over all sources.
	MaxSeries int `yaml:"max_series"`
	// MaxSeriesPerSource caps the number of series of any one source.
	MaxSeriesPerSource int `yaml:"max_series_per_source"`
	// QueueSize is the capacity, in batches, of the ingest queue.
	QueueSize int `yaml:"queue_size"`
}

// Broadcast paces the deltas pushed to dashboards.
type Broadcast struct {
	// Interval is the shortest time between two deltas.
	Interval Duration `yaml:"interval"`
}

// Supervisor sets restart intensity and backoff for the supervision tree.
type Supervisor struct {
	// MaxRestarts restarts within Period are tolerated; one more and the
	// supervisor gives up (or, for a source, the source is parked as failed).
	MaxRestarts int      `yaml:"max_restarts"`
	Period      Duration `yaml:"period"`
	// Cooldown is how long a failed source stays parked before it is tried again.
	Cooldown Duration `yaml:"cooldown"`
	Backoff  Backoff  `yaml:"backoff"`
}

// Backoff bounds the exponential delay between restarts of one child.
type Backoff struct {
	Initial Duration `yaml:"initial"`
	Max     Duration `yaml:"max"`
}

// Source is one configured source. Keys that only some types use are
// grouped below; Validate rejects a key the source's type does not use.
type Source struct {
	// Common to every type.
	Name     string            `yaml:"name"`
	Type     string            `yaml:"type"`
	Interval Duration          `yaml:"interval"`
	Timeout  Duration          `yaml:"timeout"`
	Labels   map[string]string `yaml:"labels"`

	// simulated
	Seed   *int64      `yaml:"seed"`
	Series []SimSeries `yaml:"series"`
	Faults *Faults     `yaml:"faults"`

	// http, prometheus, json
	URL          string            `yaml:"url"`
	Headers      map[string]string `yaml:"headers"`
	MaxBodyBytes int64             `yaml:"max_body_bytes"`

	// http
	Method          string `yaml:"method"`
	ExpectStatus    []int  `yaml:"expect_status"`
	FollowRedirects *bool  `yaml:"follow_redirects"`

	// prometheus
	Include   []string `yaml:"include"`
	Exclude   []string `yaml:"exclude"`
	MaxSeries int      `yaml:"max_series"`

	// json
	Fields map[string]string `yaml:"fields"`
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

// Source types, as the collectors register them.
const (
	TypeSimulated  = "simulated"
	TypeHost       = "host"
	TypeHTTP       = "http"
	TypePrometheus = "prometheus"
	TypeJSON       = "json"
)

// SourceTypes lists every known source type. The collectors' registry must
// hold exactly these (a test there checks it).
var SourceTypes = []string{TypeSimulated, TypeHost, TypeHTTP, TypePrometheus, TypeJSON}

// Shapes lists the simulated series shapes.
var Shapes = []string{"sine", "square", "sawtooth", "random_walk", "spike", "counter", "constant"}
