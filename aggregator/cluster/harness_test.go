package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recorder collects what a node hands its caller.
type recorder struct {
	mu      sync.Mutex
	samples map[string][]Sample // by sending node
	opaque  map[Kind][]Inbound
	changes chan PeerChange
}

func newRecorder() *recorder {
	return &recorder{samples: map[string][]Sample{}, opaque: map[Kind][]Inbound{}, changes: make(chan PeerChange, 1024)}
}

func (r *recorder) handle(in Inbound) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if in.Kind == KindSamples {
		r.samples[in.Node] = append(r.samples[in.Node], in.Samples...)
		return
	}
	r.opaque[in.Kind] = append(r.opaque[in.Kind], in)
}

func (r *recorder) sampleCount(node string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.samples[node])
}

func (r *recorder) opaqueFrom(k Kind, node string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, in := range r.opaque[k] {
		if in.Node == node {
			out = append(out, string(in.Data))
		}
	}
	return out
}

// waitChange returns the next change of peer (skipping others' changes)
// and how long it took, failing after limit.
func (r *recorder) waitChange(t *testing.T, peer string, up bool, limit time.Duration) (PeerChange, time.Duration) {
	t.Helper()
	start := time.Now()
	timeout := time.After(limit)
	for {
		select {
		case c := <-r.changes:
			if c.Name == peer && c.Up == up {
				return c, time.Since(start)
			}
		case <-timeout:
			t.Fatalf("%s not %v within %v", peer, map[bool]string{true: "up", false: "down"}[up], limit)
		}
	}
}

// running is a node under Serve in a test.
type running struct {
	*Node
	rec    *recorder
	cancel context.CancelFunc
	done   chan error
}

// serve starts n.Serve and registers its stop; it waits for the NATS
// connection.
func serve(t *testing.T, n *Node, rec *recorder) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Node: n, rec: rec, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- n.Serve(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	require.NoError(t, n.WaitConnected(wctx))
	return r
}

// stop ends Serve and returns its error; stopping twice is harmless.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after its context ended")
		return nil
	}
}

// embeddedNode builds a node with its own embedded server on free
// loopback ports, routes to routes, and a short heartbeat unless hb says
// otherwise.
func embeddedNode(t *testing.T, name string, hb time.Duration, mut func(*Options), routes ...string) (*Node, *recorder) {
	t.Helper()
	rec := newRecorder()
	o := Options{
		Cluster:      "lab",
		Node:         name,
		Embedded:     &Embedded{Listen: "127.0.0.1:0", ClusterListen: "127.0.0.1:0", Routes: routes},
		Heartbeat:    hb,
		ReconnectMin: 20 * time.Millisecond,
		ReconnectMax: 200 * time.Millisecond,
		Handle:       rec.handle,
		PeerChanged:  func(c PeerChange) { rec.changes <- c },
		Logger:       newLogBuffer().logger(),
	}
	if mut != nil {
		mut(&o)
	}
	n, err := New(o)
	require.NoError(t, err)
	return n, rec
}

// clientNode builds a node that joins an existing NATS at url.
func clientNode(t *testing.T, name, url string, mut func(*Options)) (*Node, *recorder) {
	t.Helper()
	return embeddedNode(t, name, 100*time.Millisecond, func(o *Options) {
		o.Embedded, o.NATS = nil, &NATS{URLs: []string{url}}
		if mut != nil {
			mut(o)
		}
	})
}

// upPeers returns the names of the peers n sees Up.
func upPeers(n *Node) []string {
	var out []string
	for _, p := range n.Peers() {
		if p.Up {
			out = append(out, p.Name)
		}
	}
	return out
}

const tick = 10 * time.Millisecond
