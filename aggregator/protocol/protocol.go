// Package protocol is pulseboard's wire protocol, defined once: the typed
// messages the WebSocket carries (Hello, Snapshot, Delta) and the shapes
// inside them and the REST API (Source, Series, Stats, Point, Process,
// Event, SourceList), with their JSON names.
//
// The types are the definition; the encoder is elsewhere. The aggregator
// writes snapshots, deltas, series and sources with a hand-written
// append-style encoder (a 100k-series snapshot must not go through
// reflection), checked by its tests to say what encoding/json says of
// these types; the hello is encoding/json of Hello. Every Go reader
// (pulseload, the tests) decodes with Decode, DecodeStrict or ReadHeader.
// docs/protocol.md describes every field, and a test decodes each of its
// examples into these types.
//
// Versioning: Version is sent in the hello. Within a version, fields are
// only ever added, and a field never changes its type, unit or meaning;
// clients ignore fields they do not know (Decode does). Removing or
// renaming a field, changing its meaning, or adding a message a client
// must understand bumps Version.
package protocol

// Version is the protocol version, sent in every hello.
const Version = 1

// Message types: the "type" member of every server message.
const (
	TypeHello    = "hello"
	TypeSnapshot = "snapshot"
	TypeDelta    = "delta"
)

// Series kinds: how a series' values behave over time.
const (
	KindGauge   = "gauge"   // goes up and down
	KindCounter = "counter" // only grows, except on a reset
)

// Source states.
const (
	StateStarting = "starting"
	StateRunning  = "running"
	StateBackoff  = "backoff"
	StateFailed   = "failed"
	StateStopped  = "stopped"
	// StateDown is a remote source (and a peer's tree) whose node is
	// down: silent for two heartbeats. It never describes a local source.
	StateDown = "down"
)

// Message is a decoded server message: *Hello, *Snapshot or *Delta.
type Message interface {
	// MessageType is the message's "type" member.
	MessageType() string
}

// Hello is the first message on every WebSocket, before any snapshot.
type Hello struct {
	Type string `json:"type"` // "hello"
	// Version is the server program's version (not the protocol's).
	Version string `json:"version"`
	// Instance is a random id of the server process. Sequence numbers start
	// again in a new process: a client that sees another instance than the
	// one it resumed from must resync, whatever its seq.
	Instance string `json:"instance"`
	// Windows names the statistics windows, shortest first ("1m", "5m"):
	// the keys of every Windows map.
	Windows []string `json:"windows"`
	// HistorySeconds is how far back the server keeps points, in seconds.
	HistorySeconds int64 `json:"history_seconds"`
	// Protocol is the protocol version, Version.
	Protocol int `json:"protocol"`
	// Started is when the server process started, in Unix milliseconds.
	// Points older than it were kept from an earlier run (the stored
	// history): between them and the newer ones the server was down, so a
	// client breaks its lines there. 0 (absent) from servers before it.
	Started int64 `json:"started,omitempty"`
}

// MessageType returns "hello".
func (*Hello) MessageType() string { return TypeHello }

// Snapshot is the full state at Seq: every source and every published
// series. Deltas with seq > Seq follow it.
type Snapshot struct {
	Type string `json:"type"` // "snapshot"
	// Seq is the seq of the last delta whose changes it holds (0 before
	// the first). It holds none of delta Seq+1's points.
	Seq uint64 `json:"seq"`
	// TS is when it was built, in Unix milliseconds.
	TS      int64    `json:"ts"`
	Sources []Source `json:"sources"` // never null
	// Tree is the program's supervision tree; absent when the program
	// describes none.
	Tree *Process `json:"tree,omitempty"`
	// Series is every published series, never null; without their
	// Points when asked for without history (REST ?points=0).
	Series []Series `json:"series"`
	// Alerts are the active alerts (pending and firing) as of Seq, by
	// ID; absent when there are none.
	Alerts []Alert `json:"alerts,omitempty"`
	// Events are the events the deltas up to Seq carried within the
	// server's history span (at most a few hundred), oldest first: what
	// happened before the client connected. Absent when there are none.
	// A client that already holds some (it resynced) tells them by kind,
	// ts and source.
	Events []Event `json:"events,omitempty"`
}

// MessageType returns "snapshot".
func (*Snapshot) MessageType() string { return TypeSnapshot }

// Delta is what changed since the previous delta. Clients apply, in this
// order: SourcesRemoved, Sources, Removed, Added, Points, Windows; Alerts
// last (an alert may name a series added in the same delta).
type Delta struct {
	Type string `json:"type"` // "delta"
	Seq  uint64 `json:"seq"`
	// From is the first seq a merged delta covers (a slow client's deltas
	// merged into one); absent (0) when the delta is not merged, that is
	// when it covers Seq only.
	From uint64 `json:"from,omitempty"`
	// TS is when it was published, in Unix milliseconds.
	TS int64 `json:"ts"`
	// Points are the new points of known series, by series id, oldest
	// first. Never null.
	Points map[string][]Point `json:"points"`
	// Windows are the changed statistics of known series, by series id.
	// Never null.
	Windows map[string]Windows `json:"windows"`
	// Stale lists the known series whose staleness changed, by series id:
	// the time it went stale in Unix milliseconds, or 0 when it is live
	// again. Absent when none changed. A series in Added carries its own
	// Stale and StaleSince instead.
	Stale map[string]int64 `json:"stale,omitempty"`
	// Sources are the sources whose state changed. Never null.
	Sources []Source `json:"sources"`
	// Added are the series created, whole, with their points. Never null.
	Added []Series `json:"added"`
	// Removed are the ids of the series gone (evicted after History of
	// silence, or their source removed). Never null.
	Removed []string `json:"removed"`
	// SourcesRemoved names the sources that left the configuration; absent
	// when none did.
	SourcesRemoved []string `json:"sources_removed,omitempty"`
	// Tree is the supervision tree, when it changed.
	Tree *Process `json:"tree,omitempty"`
	// Events are what happened since the previous delta, in order; absent
	// when nothing did.
	Events []Event `json:"events,omitempty"`
	// Alerts are the alerts that changed (state, severity, value,
	// annotations), each whole: a client replaces its copy by ID, and
	// removes it when its state is resolved. Absent when none changed.
	Alerts []Alert `json:"alerts,omitempty"`
}

// MessageType returns "delta".
func (*Delta) MessageType() string { return TypeDelta }

// First is the first seq the delta covers: From when merged, else Seq. A
// client that applied seq N applies a delta whose First is N+1.
func (d *Delta) First() uint64 {
	if d.From != 0 {
		return d.From
	}
	return d.Seq
}

// Source is the state of one source. It is comparable: the aggregator
// tells changed sources by ==.
type Source struct {
	Name  string `json:"name"`
	Type  string `json:"type"`  // the config's source type: simulated, http, …
	State string `json:"state"` // starting, running, backoff, failed, stopped
	// Up says whether the latest poll succeeded (Prometheus' up); false
	// before the first poll has finished. State is the collector's life
	// cycle, Up the health of what it polls: running and not up is a
	// collector that works and a target that does not answer.
	Up       bool   `json:"up"`
	Restarts uint64 `json:"restarts"`
	// LastRestartAt is when its collector last restarted, Unix ms; absent
	// (0) when it never did. A page that opens later still tells when.
	LastRestartAt int64  `json:"last_restart_at,omitempty"`
	Polls         uint64 `json:"polls"`
	Failures      uint64 `json:"failures"`
	// LastError is the error of the most recent failed poll or crash, "" if none.
	LastError string `json:"last_error"`
	// LastErrorAt is when LastError happened, Unix ms; 0 if never.
	LastErrorAt int64 `json:"last_error_at"`
	// LastWarning is what went wrong in part in the most recent poll that
	// succeeded in part (series dropped, fields missing, families
	// repeated), "" if none ever did. It never overwrites LastError.
	LastWarning string `json:"last_warning"`
	// LastWarningAt is when LastWarning happened, Unix ms; 0 if never.
	LastWarningAt int64 `json:"last_warning_at"`
	// LastSuccess is the time of the last successful poll in Unix ms, 0 if never.
	LastSuccess int64 `json:"last_success"`
	// PollMs is how long the last poll took, in milliseconds.
	PollMs float64 `json:"poll_ms"`
	// Node is the cluster node the source runs on: this node's name for
	// its own sources, the peer's for a remote one (named "<node>/<source>").
	// Absent without a cluster, so a single node's sources read as before.
	Node string `json:"node,omitempty"`
}

// SourceList is the body of GET /api/v1/sources.
type SourceList struct {
	Sources []Source `json:"sources"` // never null
}

// Series is one series: its identity, its latest point, its window
// statistics and (in snapshots, "added" and GET /api/v1/series/{id}) its
// points.
type Series struct {
	// ID is 16 lowercase hex digits, stable across restarts.
	ID     string `json:"id"`
	Source string `json:"source"`
	Metric string `json:"metric"`
	// Labels are the series' labels (never null; {} when none). Invalid
	// UTF-8 in names and values is sent as U+FFFD.
	Labels map[string]string `json:"labels"`
	Kind   string            `json:"kind"` // "gauge" or "counter"
	// Last is the latest published point, null if none.
	Last    *Point  `json:"last"`
	Windows Windows `json:"windows"`
	// Stale is true when the series' source no longer shows it: it was
	// missing from a complete poll, or the source's poll failed
	// (Prometheus' staleness). A stale series keeps its points and is not
	// exported on /metrics; its next sample makes it live again. Absent
	// (false) while live.
	Stale bool `json:"stale,omitempty"`
	// StaleSince is when it went stale, in Unix milliseconds; absent while
	// live.
	StaleSince int64 `json:"stale_since,omitempty"`
	// Points is the history, oldest first, up to the server's history;
	// absent (nil) when asked for without points, [] when empty.
	Points []Point `json:"points,omitzero"`
	// Times and Values are the history in columns instead of Points, in
	// the snapshots of a WebSocket opened with ?points=columns (see
	// columns.go; ColumnPoints reads them back); absent otherwise.
	Times  []int64    `json:"times,omitzero"`
	Values []*float64 `json:"values,omitzero"`
}

// Windows are a series' statistics by window name ("1m", …), one per
// window the hello names.
type Windows map[string]Stats

// Stats are one window's statistics. An empty window has Count 0 and every
// other field null. Min, Max and Last are exact sample values; Mean, Rate
// and the quantiles are computed and sent with 6 significant digits.
type Stats struct {
	Count int      `json:"count"`
	Min   *float64 `json:"min"`
	Max   *float64 `json:"max"`
	// Mean is null when it overflowed (a sum of huge values).
	Mean *float64 `json:"mean"`
	Last *float64 `json:"last"`
	// Rate is the per-second increase between the window's first and last
	// samples (a counter's reset counts its new value as the increase);
	// null with fewer than two samples or no time between them.
	Rate *float64 `json:"rate"`
	// P50, P90, P99 are within 1% of the exact lower quantile.
	P50 *float64 `json:"p50"`
	P90 *float64 `json:"p90"`
	P99 *float64 `json:"p99"`
}

// Process is one node of the supervision tree.
type Process struct {
	Name     string    `json:"name"`
	Strategy string    `json:"strategy,omitempty"` // supervisors only: one_for_one, rest_for_one, …
	State    string    `json:"state,omitempty"`    // starting, running, backoff, failed, stopped
	Restarts int       `json:"restarts"`
	Children []Process `json:"children,omitempty"`
	// Node names the cluster node whose tree this is, on the root of a
	// clustered node's tree and of each of its peers' trees; absent
	// without a cluster and below a root.
	Node string `json:"node,omitempty"`
	// LastSeen is when a peer that is down was last heard from, Unix ms;
	// absent while it is up (so the tree does not change every heartbeat).
	LastSeen int64 `json:"last_seen,omitempty"`
	// Nodes are the peers' trees, on the root of a clustered node's tree
	// only: each a root with Node set, in the order of GET /api/v1/nodes.
	// A peer that is down has State "down" and keeps the last tree it sent.
	Nodes []Process `json:"nodes,omitempty"`
}

// TypeResume is the type of the one message a client sends.
const TypeResume = "resume"

// Resume is what a client may send: {"type":"resume","seq":N} asks for
// the stream after seq N, as the deltas since N if the server still holds
// them, else a snapshot. Sent first (within the server's resume grace
// after the hello) it replaces the opening snapshot; sent later it
// restarts the stream, which is how a client recovers from a gap without
// reconnecting. Seq 0 asks for a snapshot.
type Resume struct {
	Type string  `json:"type"` // "resume"
	Seq  *uint64 `json:"seq"`  // required
}
