package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// threeNodes starts a, b and c, each with its own embedded server on free
// ports, b routed to a and c to both (the routes gossip into a full mesh),
// and waits until each sees the other two Up.
func threeNodes(t *testing.T, hb time.Duration) []*running {
	t.Helper()
	na, ra := embeddedNode(t, "a", hb, nil)
	a := serve(t, na, ra)
	_, routeA := a.EmbeddedURLs()
	nb, rb := embeddedNode(t, "b", hb, nil, routeA)
	b := serve(t, nb, rb)
	_, routeB := b.EmbeddedURLs()
	nc, rc := embeddedNode(t, "c", hb, nil, routeA, routeB)
	c := serve(t, nc, rc)
	nodes := []*running{a, b, c}
	require.Eventually(t, func() bool {
		for _, n := range nodes {
			if len(upPeers(n.Node)) != 2 {
				return false
			}
		}
		return true
	}, 10*time.Second, tick, "every node sees the two others")
	return nodes
}

func TestThreeNodesJoinAndSeeOneAnothersSamplesAndPayloads(t *testing.T) {
	nodes := threeNodes(t, 100*time.Millisecond)
	ts := time.Now().UnixMilli()
	// Each round publishes a scrape of every node; interest in a subject
	// crosses the routes shortly after a subscription, so the first rounds
	// may reach nobody: publish until everyone has heard from everyone.
	require.Eventually(t, func() bool {
		ts += 1000
		for _, n := range nodes {
			name := n.Name()
			n.PublishSamples(scrape(50, ts, func(i int) float64 { return float64(i) + 0.5 }))
			n.Publish(KindHealth, []byte(`{"health":"`+name+`"}`))
			n.Publish(KindTree, []byte("tree of "+name))
			n.Publish(KindEvents, []byte("events of "+name))
		}
		for _, n := range nodes {
			for _, o := range nodes {
				if n != o && (n.rec.sampleCount(o.Name()) == 0 || len(n.rec.opaqueFrom(KindEvents, o.Name())) == 0) {
					return false
				}
			}
		}
		return true
	}, 10*time.Second, 50*time.Millisecond)

	a := nodes[0]
	a.rec.mu.Lock()
	got := a.rec.samples["b"][len(a.rec.samples["b"])-1]
	a.rec.mu.Unlock()
	assert.Equal(t, 49.5, got.Value)
	assert.Contains(t, got.Series, `"source":"s49"`)
	assert.Contains(t, a.rec.opaqueFrom(KindHealth, "c"), `{"health":"c"}`)
	assert.Contains(t, a.rec.opaqueFrom(KindTree, "b"), "tree of b")
	assert.Zero(t, a.rec.sampleCount("a"), "a node does not hear itself")
	assert.Zero(t, a.stats.decodeErrors.Load())
}

func TestStoppedNodeIsDownAtOnceAndUpAfterRestart(t *testing.T) {
	nodes := threeNodes(t, 100*time.Millisecond)
	a, b, c := nodes[0], nodes[1], nodes[2]
	before := c.Peers()
	stopped := time.Now()
	require.NoError(t, c.stop(t))
	for _, n := range []*running{a, b} {
		n.rec.waitChange(t, "c", false, 2*time.Second)
		t.Logf("%s saw c down %v after its stop began", n.Name(), time.Since(stopped))
	}
	for _, p := range c.Peers() {
		assert.False(t, p.Up, "a stopped node sees nobody: %s", p.Name)
	}
	require.Len(t, before, 2)

	// c comes back on new ports with its routes to a and b.
	c2 := serve(t, c.Node, c.rec)
	for _, n := range []*running{a, b} {
		ch, _ := n.rec.waitChange(t, "c", true, 10*time.Second)
		assert.False(t, ch.MissedSince.IsZero(), "the gap to backfill starts at c's last heartbeat")
	}
	require.Eventually(t, func() bool { return len(upPeers(c2.Node)) == 2 }, 10*time.Second, tick)
}

// TestKilledPeerIsDownWithinTwoSeconds loses a peer the way kill -9 does:
// its NATS connection closes under it, with no goodbye. The heartbeat is
// the production default (1 s) and the loss comes at a random point of an
// interval, as a real one would.
func TestKilledPeerIsDownWithinTwoSeconds(t *testing.T) {
	na, ra := embeddedNode(t, "a", time.Second, nil)
	a := serve(t, na, ra)
	client, _ := a.EmbeddedURLs()
	nk, rk := clientNode(t, "k", client, func(o *Options) {
		o.Heartbeat = time.Second
		// k dials again only after the test: killed, it stays silent.
		o.ReconnectMin, o.ReconnectMax = time.Minute, time.Minute
	})
	k := serve(t, nk, rk)
	a.rec.waitChange(t, "k", true, 5*time.Second)

	<-time.After(time.Duration(time.Now().UnixNano()%900) * time.Millisecond) // a random point in the interval
	killed := time.Now()
	k.connection().Close() // the socket goes, nothing else is said
	a.rec.waitChange(t, "k", false, 3*time.Second)
	took := time.Since(killed)
	t.Logf("kill detected after %v", took)
	assert.LessOrEqual(t, took, 2*time.Second)
	assert.GreaterOrEqual(t, took, time.Second, "not before a heartbeat was missed")
	require.Equal(t, ReasonClosed, k.Status().Reason, "a connection closed for good is dialled again, not a restart")
	require.NoError(t, k.stop(t))
}

func TestFloodOfRemoteSamplesIsShedWithoutStallingLiveness(t *testing.T) {
	release := make(chan struct{})
	na, ra := embeddedNode(t, "a", 50*time.Millisecond, func(o *Options) {
		o.InboundQueue = 2
		h := o.Handle
		o.Handle = func(in Inbound) { <-release; h(in) } // a handler that is stuck
	})
	a := serve(t, na, ra)
	defer close(release)
	client, _ := a.EmbeddedURLs()
	nb, rb := clientNode(t, "b", client, nil)
	b := serve(t, nb, rb)
	a.rec.waitChange(t, "b", true, 5*time.Second)
	for i := range 200 {
		for !b.PublishSamples(scrape(20, int64(i)*1000, func(int) float64 { return 1 })) {
			// The outbound queue is full: let the publisher drain it.
			require.Eventually(t, func() bool { return len(b.out) < cap(b.out) }, time.Second, time.Millisecond)
		}
	}
	require.Eventually(t, func() bool { return a.stats.inShed[KindSamples].Load() > 0 }, 5*time.Second, tick)
	// Heartbeats are on their own subscription: b stays Up through the flood.
	<-time.After(200 * time.Millisecond) // four heartbeat intervals of b
	assert.Contains(t, upPeers(a.Node), "b")
	assert.Positive(t, a.stats.samplesShedIn.Load())
}
