package cluster

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Peer is another node as this one sees it.
type Peer struct {
	Name string
	// Up is true while its heartbeats arrive: it turns false when the peer
	// has been silent for two of its own heartbeat intervals, says it is
	// leaving, or this node stops serving (it can no longer tell).
	Up bool
	// LastSeen is when its last heartbeat arrived (this node's clock).
	LastSeen time.Time
	// Since is when Up last changed.
	Since time.Time
	// Heartbeat is the interval the peer declares.
	Heartbeat time.Duration
}

// PeerChange is one change of a peer's state.
type PeerChange struct {
	Peer
	// MissedSince, on a change to Up, is the LastSeen of the peer before
	// it went Down: the start of the gap to backfill from it. Zero for a
	// peer seen for the first time (backfill everything it has).
	MissedSince time.Time
}

// peerTable holds the peers' states. The heartbeat callback (NATS's
// goroutine) records sightings, the liveness goroutine expires the silent;
// both queue changes that only the liveness goroutine delivers, so the
// caller's PeerChanged sees them in order on one goroutine. The lock
// guards the map and the queue, never a call out.
type peerTable struct {
	mu      sync.Mutex
	peers   map[string]*Peer
	pending []PeerChange
}

func newPeerTable() *peerTable { return &peerTable{peers: map[string]*Peer{}} }

// seen records a heartbeat from name at now; it returns true when that
// queued a change.
func (t *peerTable) seen(name string, now time.Time, hb heartbeat) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.peers[name]
	if p == nil {
		p = &Peer{Name: name}
		t.peers[name] = p
	}
	prev := p.LastSeen
	p.LastSeen, p.Heartbeat = now, hb.Interval
	switch {
	case hb.Leaving && p.Up:
		p.Up, p.Since = false, now
		t.pending = append(t.pending, PeerChange{Peer: *p})
		return true
	case !hb.Leaving && !p.Up:
		p.Up, p.Since = true, now
		t.pending = append(t.pending, PeerChange{Peer: *p, MissedSince: prev})
		return true
	}
	return false
}

// downAfter is how long after its last heartbeat arrived a peer with
// heartbeat interval iv is Down: two intervals less a twentieth. A peer
// killed right after sending a heartbeat is then Down within two
// intervals of its death, not two intervals plus the heartbeat's travel
// and the timer's lateness; one whose heartbeats come up to 0.95 of an
// interval late is still Up.
func downAfter(iv time.Duration) time.Duration { return 2*iv - iv/20 }

// expire marks Down every Up peer silent for two of its intervals at now,
// and returns the next instant at which one may expire (zero: none Up).
func (t *peerTable) expire(now time.Time) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	var next time.Time
	for _, p := range t.peers {
		if !p.Up {
			continue
		}
		deadline := p.LastSeen.Add(downAfter(p.Heartbeat))
		if !now.Before(deadline) {
			p.Up, p.Since = false, now
			t.pending = append(t.pending, PeerChange{Peer: *p})
			continue
		}
		if next.IsZero() || deadline.Before(next) {
			next = deadline
		}
	}
	return next
}

// allDown marks every peer Down: this node stops hearing anyone.
func (t *peerTable) allDown(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.peers {
		if p.Up {
			p.Up, p.Since = false, now
			t.pending = append(t.pending, PeerChange{Peer: *p})
		}
	}
}

// take returns and forgets the queued changes.
func (t *peerTable) take() []PeerChange {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.pending
	t.pending = nil
	return out
}

func (t *peerTable) list() []Peer {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Peer, 0, len(t.peers))
	for _, p := range t.peers {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Peer) int { return strings.Compare(a.Name, b.Name) })
	return out
}
