package dashboard

import (
	"encoding/json"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// Feed is what the dashboard reads: *aggregator.Aggregator satisfies it.
// Every []byte it returns is encoded JSON that the dashboard sends as is
// and never modifies.
type Feed interface {
	// SnapshotJSON is the full state as a "snapshot" message; points
	// false leaves the series' history out.
	SnapshotJSON(points bool) []byte
	// SeriesJSON is one series with its history; false if unknown.
	SeriesJSON(id string) ([]byte, bool)
	// SourcesJSON is {"sources":[…]}.
	SourcesJSON() []byte
	// AlertsJSON is the active alerts in Prometheus' /api/v1/alerts shape.
	AlertsJSON() []byte
	// WindowNames and History describe the store, for the WebSocket hello.
	WindowNames() []string
	History() time.Duration
	// Collector exports the store; registered only when the dashboard
	// makes its own registry.
	Collector() prometheus.Collector
	// Subscribe opens a stream of messages: after 0 starts with a
	// snapshot; after N gives the deltas after N if still held, else a
	// snapshot. The caller must Close it.
	Subscribe(after uint64) *aggregator.Subscription
	// Resume is Subscribe(after), after > 0, when the retained deltas
	// serve it as they are; false, and no subscription, when it would
	// take a merge or a snapshot of its own (the caller starts the
	// client from the shared snapshot instead).
	Resume(after uint64) (*aggregator.Subscription, bool)
	// Resumable says whether Resume(after) would subscribe now.
	Resumable(after uint64) bool
}

var _ Feed = (*aggregator.Aggregator)(nil)

// helloMessage is the first message on every WebSocket, built once.
// instance names this server process: sequence numbers start again in a new
// process, so a client that reconnects to another instance must not trust
// a resume that happens to match its last seq. started is when the
// process started: the points before it are an earlier run's.
func helloMessage(version, instance string, names []string, history time.Duration, started time.Time) ([]byte, error) {
	return json.Marshal(protocol.Hello{
		Type: protocol.TypeHello, Version: version, Instance: instance,
		Windows: names, HistorySeconds: int64(history / time.Second),
		Protocol: protocol.Version, Started: started.UnixMilli(),
	})
}
