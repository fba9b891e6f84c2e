package main

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
)

// remoteView is what this node knows of its peers beside their series:
// each one's sources as its last health said, its supervision tree, and
// whether it is up. The aggregator's Options.Sources and Options.Tree read
// it (sources, trees) on the aggregator's and the scrapers' goroutines;
// the node's dispatcher goroutine writes health and trees, its liveness
// goroutine up and down. mu guards everything; no call holds it for more
// than a copy.
type remoteView struct {
	mu    sync.Mutex
	peers map[string]*peerView
}

// peerView is one peer.
type peerView struct {
	// down is set when the node says the peer went Down, cleared when it
	// is Up again: a peer heard of only through its health is up.
	down     bool
	lastSeen time.Time // its last heartbeat before it went down
	// sources are its sources as its last complete health said, named
	// "<node>/<source>" with their node set.
	sources []aggregator.SourceInfo
	// pending gathers the parts of a generation of health sent in parts.
	pending     [][]aggregator.SourceInfo
	pendingGen  uint64
	pendingGot  int
	tree        *aggregator.Process // nil until its first tree
	healthKnown bool
}

func newRemoteView() *remoteView { return &remoteView{peers: map[string]*peerView{}} }

func (v *remoteView) peer(name string) *peerView {
	p := v.peers[name]
	if p == nil {
		p = &peerView{}
		v.peers[name] = p
	}
	return p
}

// setHealth takes one decoded health message of node; it returns true
// when the node's sources as shown changed (a generation completed with a
// different list). A generation in parts is applied when its last part
// arrives; a part of a newer generation drops an unfinished one.
func (v *remoteView) setHealth(node string, m healthMsg) bool {
	srcs := make([]aggregator.SourceInfo, len(m.Sources))
	for i, s := range m.Sources {
		s.Name = remoteSource(node, s.Name)
		s.Node = node
		srcs[i] = s
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	p := v.peer(node)
	if m.Parts == 1 {
		return p.apply(srcs)
	}
	if p.pending == nil || p.pendingGen != m.Gen || len(p.pending) != m.Parts {
		p.pending, p.pendingGen, p.pendingGot = make([][]aggregator.SourceInfo, m.Parts), m.Gen, 0
	}
	if p.pending[m.Part] == nil {
		p.pendingGot++
	}
	p.pending[m.Part] = srcs
	if p.pendingGot < m.Parts {
		return false
	}
	all := slices.Concat(p.pending...)
	p.pending = nil
	return p.apply(all)
}

// apply replaces the peer's sources, keeping at most maxNodeSources, in
// name order. A name twice across parts keeps its first.
func (p *peerView) apply(srcs []aggregator.SourceInfo) bool {
	slices.SortStableFunc(srcs, func(a, b aggregator.SourceInfo) int { return strings.Compare(a.Name, b.Name) })
	srcs = slices.CompactFunc(srcs, func(a, b aggregator.SourceInfo) bool { return a.Name == b.Name })
	if len(srcs) > maxNodeSources {
		srcs = srcs[:maxNodeSources]
	}
	changed := !p.healthKnown || !slices.Equal(p.sources, srcs)
	p.sources, p.healthKnown = srcs, true
	return changed
}

// setTree takes node's tree; true when it changed.
func (v *remoteView) setTree(node string, t aggregator.Process) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	p := v.peer(node)
	if p.tree != nil && sameProcess(*p.tree, t) {
		return false
	}
	p.tree = &t
	return true
}

func sameProcess(a, b aggregator.Process) bool {
	if a.Name != b.Name || a.Strategy != b.Strategy || a.State != b.State || a.Restarts != b.Restarts || len(a.Children) != len(b.Children) {
		return false
	}
	for i := range a.Children {
		if !sameProcess(a.Children[i], b.Children[i]) {
			return false
		}
	}
	return true
}

// setUp records a peer's change of state: a peer down shows its sources
// and tree "down" until it is up again (and then as its last health said
// until its next one, within a heartbeat).
func (v *remoteView) setUp(node string, up bool, lastSeen time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	p := v.peer(node)
	p.down = !up
	if !up {
		p.lastSeen = lastSeen
	}
}

// names are the peers, sorted.
func (v *remoteView) names() []string {
	names := make([]string, 0, len(v.peers))
	for n := range v.peers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// sources appends every peer's sources to dst, peer by peer in name
// order: a down peer's with state "down" and not up.
func (v *remoteView) sources(dst []aggregator.SourceInfo) []aggregator.SourceInfo {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, name := range v.names() {
		p := v.peers[name]
		for _, s := range p.sources {
			if p.down {
				s.State, s.Up = aggregator.StateDown, false
			}
			dst = append(dst, s)
		}
	}
	return dst
}

// count is how many sources node has as its last health said.
func (v *remoteView) count(node string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	if p := v.peers[node]; p != nil {
		return len(p.sources)
	}
	return 0
}

// trees are the peers' trees in name order, each a root with its node
// set: "down" with when it was last seen while it is down, a bare root
// before its first tree.
func (v *remoteView) trees() []aggregator.Process {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []aggregator.Process
	for _, name := range v.names() {
		p := v.peers[name]
		t := aggregator.Process{Name: "root", State: aggregator.StateRunning}
		if p.tree != nil {
			t = *p.tree // the children are shared, never modified
		}
		t.Node = name
		if p.down {
			t.State = aggregator.StateDown
			t.LastSeen = unixMs(p.lastSeen)
		}
		out = append(out, t)
	}
	return out
}
