package protocol

// TypeRange is the type of a range request (client) and of its answer
// (server): history reaching back past the stream's window, read from the
// durable tiers (docs/protocol.md, "range").
const TypeRange = "range"

// RangeRequest asks for the history of some series between From and To
// (Unix ms, From < To). ID is the client's own number for the request,
// echoed in the answer so that a client can drop answers it no longer
// wants (an answer may arrive after the stream's deltas sent later).
// Step is the spacing of the answer's points in ms; 0 lets the server
// pick the finest the point budget allows. Points is the most points a
// series may get (0 or more than MaxRangePoints means MaxRangePoints).
// At most MaxRangeSeries ids; the server answers with an error for more.
type RangeRequest struct {
	Type   string   `json:"type"` // "range"
	ID     int64    `json:"id"`
	Series []string `json:"series"`
	From   int64    `json:"from"`
	To     int64    `json:"to"`
	Step   int64    `json:"step,omitempty"`
	Points int      `json:"points,omitempty"`
}

// Limits of a range request.
const (
	MaxRangeSeries = 150
	MaxRangePoints = 2000
)

// RangeAnswer is the server's answer to a RangeRequest, and the body of
// GET /api/v1/series/{id}?from=&to= (with one series). Tier says which
// stored tier the points came from: "raw", "1m" or "1h" (the finest whose
// retention reaches From and whose points fit the budget). Step is the
// spacing the points were cut at (ms; 0 when the raw samples are sent as
// they are). Error is set when the request as a whole was refused (too
// many series, a bad range); the series are then empty.
type RangeAnswer struct {
	Type   string        `json:"type"` // "range"
	ID     int64         `json:"id"`
	From   int64         `json:"from"`
	To     int64         `json:"to"`
	Step   int64         `json:"step"`
	Tier   string        `json:"tier"`
	Series []RangeSeries `json:"series"`
	Error  string        `json:"error,omitempty"`
}

// MessageType is "range".
func (*RangeAnswer) MessageType() string { return TypeRange }

// RangeSeries is one series' part of a RangeAnswer: its points oldest
// first, or Error ("unknown series") and no points.
type RangeSeries struct {
	ID     string       `json:"id"`
	Points []RangePoint `json:"points"`
	Error  string       `json:"error,omitempty"`
}
