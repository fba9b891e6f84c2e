package main

import (
	"strings"
	"sync"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/dashboard"
)

// seriesCounter counts the store's series by node for GET /api/v1/nodes:
// one Selection of every series, read under its own lock (a Selection
// belongs to one reader at a time; requests come on many goroutines).
type seriesCounter struct {
	mu  sync.Mutex
	sel aggregator.Selection
}

// byNode returns how many series the store holds of each node, local ones
// under "" (remote sources are "<node>/<source>", cluster_series.go).
func (c *seriesCounter) byNode(agg *aggregator.Aggregator) map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	agg.Select(&c.sel, 0, func(v aggregator.SeriesView) {
		node, _, remote := strings.Cut(v.Source(), "/")
		if !remote {
			node = ""
		}
		out[node]++
	})
	return out
}

// nodeName is this node's name: the cluster's, else the host's.
func (p *program) nodeName() string {
	if p.cfg.Cluster != nil {
		return p.cfg.Cluster.Node
	}
	return configs.DefaultNodeName()
}

// nodes is the dashboard's node list: this node first, then its peers by
// name, each with its sources and series held here. Without a cluster it
// is this node alone, named after the host. Called on a request's
// goroutine.
func (p *program) nodes() []dashboard.Node {
	series := p.seriesCount.byNode(p.aggregator)
	out := []dashboard.Node{{
		Name:     p.nodeName(),
		Up:       true,
		LastSeen: time.Now().UnixMilli(),
		Sources:  len(p.collectors.Statuses()),
		Series:   series[""],
	}}
	if p.cluster == nil {
		return out
	}
	for _, peer := range p.cluster.node.Peers() {
		n := dashboard.Node{
			Name: peer.Name,
			Up:   peer.Up,
			// Sources seen in its samples, or listed by its health.
			Sources: max(len(p.cluster.peerSources(peer.Name)), p.cluster.view.count(peer.Name)),
			Series:  series[peer.Name],
		}
		if !peer.LastSeen.IsZero() {
			n.LastSeen = peer.LastSeen.UnixMilli()
		}
		out = append(out, n)
	}
	return out
}

// warning is what /readyz says of the node's standing with NATS: "" when
// it is connected (or has not tried yet), else why not, secrets masked.
func (l *clusterLink) warning() string {
	st := l.node.Status()
	if st.Reason == "" {
		return ""
	}
	if st.Connected {
		return "cluster: " + st.Reason + ": " + st.Err
	}
	return "cluster: not connected to NATS (" + st.Reason + "): " + st.Err
}
