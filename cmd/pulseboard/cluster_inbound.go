package main

import (
	"github.com/pulseboard/pulseboard/aggregator/cluster"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// ingestView takes a peer's health, tree or events (cluster_payload.go)
// into the view and the stream: the aggregator is told the sources or the
// tree changed, and a peer's events are announced to this node's
// dashboards with a "node" member. A payload that cannot be read is
// dropped and counted by kind and reason, and logged at debug level (a
// peer of another version would otherwise fill the log every second).
// Called on the node's dispatcher goroutine.
func (l *clusterLink) ingestView(in cluster.Inbound) {
	var err error
	switch in.Kind {
	case cluster.KindHealth:
		var m healthMsg
		if m, err = decodeHealth(in.Data); err == nil && l.view.setHealth(in.Node, m) {
			l.agg.SourcesChanged()
		}
	case cluster.KindTree:
		var t protocol.Process
		if t, err = decodeTree(in.Data); err == nil && l.view.setTree(in.Node, t) {
			l.agg.TreeChanged()
		}
	case cluster.KindEvents:
		var events []protocol.Event
		if events, err = decodeEvents(in.Node, in.Data); err == nil {
			for _, e := range events {
				if aerr := l.agg.Announce(e); aerr != nil {
					l.log.Debug("cluster: a peer's event not announced", "peer", in.Node, "err", aerr)
				}
			}
		}
	default:
		return
	}
	if err != nil {
		l.payloadsRefused.WithLabelValues(in.Kind.String(), refusal(err)).Inc()
		l.log.Debug("cluster: a peer's payload refused", "peer", in.Node, "kind", in.Kind.String(), "err", err)
	}
}

// publishEvent offers one of this node's events to the peers; it never
// blocks (the node's queue sheds and counts when full). Any goroutine.
func (l *clusterLink) publishEvent(e protocol.Event) {
	data, err := encodeEvents([]protocol.Event{e})
	if err != nil {
		l.log.Warn("cluster: an event not published", "kind", e.Kind, "err", err)
		return
	}
	l.node.Publish(cluster.KindEvents, data)
}
