package main

import (
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/cluster"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// The program's side of the one view: what the aggregator shows of the
// sources and the tree is this node's and, in a cluster, its peers'; what
// this node tells its peers is its own. Without a cluster every function
// here gives what the program gave before.

// healthEvery is how often a node sends its whole health and tree: the
// cluster's heartbeat (the node's default interval).
const healthEvery = time.Second

// localSources are this node's sources as the API shows them, each with
// its node when clustered. Any goroutine (the aggregator's, a scrape's,
// the health publisher's).
func (p *program) localSources() []aggregator.SourceInfo {
	srcs := sourceInfos(p.collectors.Statuses())
	if p.cfg.Cluster != nil {
		for i := range srcs {
			srcs[i].Node = p.cfg.Cluster.Node
		}
	}
	return srcs
}

// sourceList is the aggregator's Options.Sources: this node's sources,
// then its peers' (named "<node>/<source>", a down peer's "down").
func (p *program) sourceList() []aggregator.SourceInfo {
	srcs := p.localSources()
	if p.cluster != nil {
		srcs = p.cluster.view.sources(srcs)
	}
	return srcs
}

// tree is the aggregator's Options.Tree: this node's tree and, clustered,
// its node's name and its peers' trees.
func (p *program) tree() aggregator.Process {
	root := p.localTree()
	if p.cluster != nil {
		root.Node = p.cfg.Cluster.Node
		root.Nodes = p.cluster.view.trees()
	}
	return root
}

// sourcesChanged is the collectors' Changed hook: the aggregator reads
// the sources again, and the peers hear of a change worth telling.
func (p *program) sourcesChanged() {
	p.aggregator.SourcesChanged()
	if p.cluster != nil && p.cluster.health != nil {
		p.cluster.health.changed()
	}
}

// treeChanged is the supervisors' Changed hook, likewise.
func (p *program) treeChanged() {
	p.aggregator.TreeChanged()
	if p.cluster != nil && p.cluster.health != nil {
		p.cluster.health.changed()
	}
}

// sendEvent sends one of this node's events to its dashboards and, in a
// cluster, to its peers' (a peer's events are announced by the link, not
// here, so none travels back). Never blocks.
func (p *program) sendEvent(e protocol.Event) error {
	if e.TS == 0 {
		e.TS = time.Now().UnixMilli()
	}
	if err := p.aggregator.Announce(e); err != nil {
		return err
	}
	if p.cluster != nil {
		p.cluster.publishEvent(e)
	}
	return nil
}

// startHealth gives the link its publisher of this node's health and tree.
func (p *program) startHealth(l *clusterLink) {
	l.health = newHealthPublisher(func(k cluster.Kind, data []byte) bool { return l.node.Publish(k, data) },
		p.localSources, p.localTree, healthEvery)
}
