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
	Alerting   Alerting   `yaml:"alerting"`
	Storage    Storage    `yaml:"storage"`
	// Cluster joins this pulseboard to others over NATS (cluster.go); nil,
	// the key left out, runs a single node.
	Cluster *Cluster `yaml:"cluster"`
	Sources []Source `yaml:"sources"`
	// Alerts are the alert rules (alerts.go); they change live on reload.
	Alerts []AlertRule `yaml:"alerts"`
}

// Server is the HTTP side: where to listen and who may connect.
type Server struct {
	// Listen is host:port; the default is loopback only.
	Listen string `yaml:"listen"`
	// AllowedOrigins are the origins, beside the page's own, whose pages may
	// open the WebSocket (exact match, e.g. "https://ops.example.com").
	AllowedOrigins []string `yaml:"allowed_origins"`
	// AllowedHosts are Host names the server answers beside loopback
	// names, IP addresses, the listen host and (listening on every
	// interface) the machine's name: "name", "*.domain" or "*".
	AllowedHosts []string `yaml:"allowed_hosts"`
	Auth         Auth     `yaml:"auth"`
	// MaxConnections caps the dashboard's open TCP connections, HTTP and
	// WebSocket together; 0 (left out) derives it from the descriptor
	// limit (server_conns.go).
	MaxConnections int `yaml:"max_connections"`
	// MaxClients caps the WebSocket clients; 0 (left out) is 20,000 or
	// less, to fit under MaxConnections.
	MaxClients int `yaml:"max_clients"`
	// DearRequestRate is the server's budget, in request cost units a
	// second, for each kind of dear request (/metrics, snapshots, range
	// queries, reloads) over every connection together; 0 (left out) is
	// 2,000, -1 turns the budgets off (server_dear.go).
	DearRequestRate int `yaml:"dear_request_rate"`
	// DearRequestBurst is each of those budgets' bucket; 0 (left out) is
	// 4,000.
	DearRequestBurst int `yaml:"dear_request_burst"`
	// SlowCutBudget is how many WebSocket connections from one client
	// address may be cut as slow or stalled a minute (as many at once)
	// before its handshakes are paced; 0 (left out) is 60, -1 turns the
	// budget off (server_slowcuts.go).
	SlowCutBudget int `yaml:"slow_cut_budget"`
	// SessionRate is the server's budget of new WebSocket sessions a
	// second over every client together (five seconds' worth at once);
	// 0 (left out) is 20, -1 turns the session budget off
	// (server_sessions.go).
	SessionRate int `yaml:"session_rate"`
	// SessionSnapshotRate is the session budget's snapshot bytes a
	// second (four seconds' worth at once); 0 (left out) is 16MiB.
	SessionSnapshotRate ByteSize `yaml:"session_snapshot_rate"`
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
	// MaxNewSeriesPerHour is how many new series a scraping or host
	// source may make in an hour (series churn); 0 means twice
	// MaxSeriesPerSource. At least MaxSeriesPerSource when given.
	MaxNewSeriesPerHour int `yaml:"max_new_series_per_hour"`
	// MaxNewSeriesPerHourAllSources is the same for all those sources
	// together, which renaming a source does not renew; 0 means twice
	// MaxSeries. At least MaxSeries when given.
	MaxNewSeriesPerHourAllSources int `yaml:"max_new_series_per_hour_all_sources"`
	// QueueSize is the capacity, in batches, of the ingest queue.
	QueueSize int `yaml:"queue_size"`
	// QueueSamples is the capacity, in samples, of the ingest queue.
	QueueSamples int `yaml:"queue_samples"`
	// MemoryLimit is what the store's estimated memory may come to at its
	// fullest (memory.go): a config past it is refused.
	MemoryLimit ByteSize `yaml:"memory_limit"`
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
	// 0 is a value, not a missing key: no restart at all (see Restarts).
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

// Source is one configured source: the keys every type has, and Spec, the
// keys of its type.
//
// In YAML a source is one flat mapping, its type's keys beside the common
// ones; UnmarshalYAML splits it. A key of another type is reported by
// Validate, at the key ("not used by host sources").
type Source struct {
	Name     string            `yaml:"name"`
	Type     string            `yaml:"type"`
	Interval Duration          `yaml:"interval"`
	Timeout  Duration          `yaml:"timeout"`
	Labels   map[string]string `yaml:"labels"`

	// Spec is the type's own config (what the OpenTelemetry collector
	// calls a component config): a pointer to the struct the type
	// registered, such as *HTTPSpec, whose yaml keys sit in the source's
	// mapping. Parse always sets it for a known type; in code, build it
	// with the type's constructor (NewHTTPSpec) or let ApplyDefaults.
	Spec SourceSpec `yaml:"-"`
}

// Restarts is MaxRestarts as supervisor.Config.MaxRestarts and
// collectors.ManagerOptions.MaxRestarts read it: those take 0 for "use the
// default (5)" and a negative value for "no restart", while the key's 0
// means no restart (a missing key is already 5 here). The program calls it
// when it builds the root supervisor and the collectors' manager.
func (s Supervisor) Restarts() int {
	if s.MaxRestarts == 0 {
		return -1
	}
	return s.MaxRestarts
}
