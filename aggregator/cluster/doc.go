// Package cluster is the transport of a pulseboard cluster: it joins the
// nodes over NATS (an embedded nats-server with routes to the other nodes,
// or an existing NATS deployment) and carries what one node tells the
// others — sample batches, source health, the supervision tree, events,
// heartbeats — and the request/reply exchanges of history backfill and
// remote control.
//
// It knows nothing of the aggregator: a series is an opaque identity
// string, health, tree and events are opaque bytes, a backfill chunk and a
// control request are opaque bytes with a status code. The caller maps them.
//
// The subjects and byte layouts are documented in docs/cluster.md.
//
// Goroutines: a [Node] runs nothing until [Node.Serve]. Serve owns, for its
// duration, the embedded server (if any), the NATS connection, one publisher
// goroutine (drains the outbound queue), one dispatcher goroutine (calls the
// caller's handlers with inbound messages, one at a time), one liveness
// goroutine (heartbeats and peer deadlines) and at most
// [Options.MaxResponders] goroutines answering backfill and control
// requests. All of them have ended when Serve returns.
package cluster
