package cluster

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"
)

// subscribe sets up every subscription of one Serve. NATS delivers each
// subscription's messages in order on a goroutine of its own, so the
// sample decoders (one per peer) are only ever touched by the samples
// subscription's goroutine, and a flood of samples never delays heartbeats.
// No callback blocks: decoded messages go to the bounded inbound queue,
// requests to bounded responder slots.
func (n *Node) subscribe(ctx context.Context, nc *nats.Conn, resp *responders) error {
	c, self := n.opts.Cluster, n.opts.Node
	decoders := map[string]*Decoder{}
	lastAsk := map[string]time.Time{}
	subs := []struct {
		subj string
		cb   nats.MsgHandler
	}{
		{Subject(c, "*", KindSamples), func(m *nats.Msg) { n.onSamples(nc, m, decoders, lastAsk) }},
		{Subject(c, "*", KindHealth), n.onOpaque},
		{Subject(c, "*", KindTree), n.onOpaque},
		{Subject(c, "*", KindEvents), n.onOpaque},
		{Subject(c, "*", KindHeartbeat), n.onHeartbeat},
		{Subject(c, self, KindDict), func(*nats.Msg) {
			n.stats.resyncIn.Add(1)
			n.askKeyFrame()
		}},
		{Subject(c, self, KindBackfill), func(m *nats.Msg) { n.respond(ctx, resp, m, KindBackfill, n.answerBackfill) }},
		{Subject(c, self, KindControl), func(m *nats.Msg) { n.respond(ctx, resp, m, KindControl, n.answerControl) }},
	}
	for _, s := range subs {
		sub, err := nc.Subscribe(s.subj, s.cb)
		if err != nil {
			return n.redactErr(err)
		}
		// NATS's own queue in front of the callback: beyond it, messages
		// are dropped and counted as a slow consumer.
		if err := sub.SetPendingLimits(4*n.opts.InboundQueue, 64<<20); err != nil {
			return err
		}
	}
	return nil
}

// peerOf returns the sending node of an inbound message, or false for a
// subject outside the cluster or this node's own (NoEcho covers our own
// connection, not a second node of the same name).
func (n *Node) peerOf(m *nats.Msg) (string, Kind, bool) {
	node, k, ok := subjectNode(n.opts.Cluster, m.Subject)
	return node, k, ok && node != n.opts.Node
}

func (n *Node) onSamples(nc *nats.Conn, m *nats.Msg, decoders map[string]*Decoder, lastAsk map[string]time.Time) {
	node, _, ok := n.peerOf(m)
	if !ok {
		return
	}
	n.stats.inMsgs[KindSamples].Add(1)
	n.stats.inBytes[KindSamples].Add(uint64(len(m.Data)))
	d := decoders[node]
	if d == nil {
		d = NewDecoder()
		decoders[node] = d
	}
	samples, res, err := d.Decode(m.Data, nil)
	if err != nil {
		n.stats.decodeErrors.Add(1)
		res.Resync = true
	}
	n.stats.samplesDropped.Add(uint64(res.Dropped))
	if res.Resync {
		// One key-frame request per peer per heartbeat interval at most:
		// the peer's next batch answers all of them.
		if now := time.Now(); now.Sub(lastAsk[node]) >= n.opts.Heartbeat {
			lastAsk[node] = now
			if nc.Publish(Subject(n.opts.Cluster, node, KindDict), []byte(n.opts.Node)) == nil {
				n.stats.resyncOut.Add(1)
			}
		}
	}
	lost := res.Dropped
	if err != nil {
		lost = max(lost, 1) // how many is unknown; some were
	}
	if len(samples) == 0 && lost == 0 {
		return
	}
	n.stats.samplesIn.Add(uint64(len(samples)))
	n.deliver(Inbound{Node: node, Kind: KindSamples, Samples: samples, Undecodable: lost})
}

func (n *Node) onOpaque(m *nats.Msg) {
	node, k, ok := n.peerOf(m)
	if !ok {
		return
	}
	n.stats.inMsgs[k].Add(1)
	n.stats.inBytes[k].Add(uint64(len(m.Data)))
	n.deliver(Inbound{Node: node, Kind: k, Data: m.Data})
}

// deliver queues a message for the dispatcher, or sheds it.
func (n *Node) deliver(in Inbound) {
	select {
	case n.in <- in:
	default:
		n.stats.inShed[in.Kind].Add(1)
		n.stats.samplesShedIn.Add(uint64(len(in.Samples)))
	}
}

// dispatchLoop is the dispatcher goroutine: it calls Handle with each
// inbound message, in arrival order per subject.
func (n *Node) dispatchLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case in := <-n.in:
			if n.opts.Handle != nil {
				n.opts.Handle(in)
			}
		}
	}
}

func (n *Node) onHeartbeat(m *nats.Msg) {
	if node, _, ok := subjectNode(n.opts.Cluster, m.Subject); ok && node == n.opts.Node {
		// NoEcho: never this node's own; another of its name.
		if hb, err := unmarshalHeartbeat(m.Data); err == nil {
			n.sameName(hb)
		}
		return
	}
	node, _, ok := n.peerOf(m)
	if !ok {
		return
	}
	n.stats.inMsgs[KindHeartbeat].Add(1)
	hb, err := unmarshalHeartbeat(m.Data)
	if err != nil {
		n.stats.decodeErrors.Add(1)
		return
	}
	if n.peers.seen(node, time.Now(), hb) {
		select {
		case n.wake <- struct{}{}:
		default:
		}
	}
}

// livenessLoop is the liveness goroutine: it sends this node's heartbeat
// every interval, marks peers Down at their exact deadline (a timer on the
// earliest, not a polling tick, so detection takes two intervals and no
// more), and delivers peer changes. On its way out it says it is leaving.
func (n *Node) livenessLoop(ctx context.Context, nc *nats.Conn) {
	subj := Subject(n.opts.Cluster, n.opts.Node, KindHeartbeat)
	send := func(leaving bool) {
		hb := heartbeat{Interval: n.opts.Heartbeat, Sent: time.Now(), Leaving: leaving, Started: n.started}
		if nc.IsConnected() {
			n.publish(nc, subj, KindHeartbeat, hb.marshal())
		}
	}
	tick := time.NewTicker(n.opts.Heartbeat)
	defer tick.Stop()
	deadline := time.NewTimer(time.Hour)
	defer deadline.Stop()
	send(false)
	for {
		next := n.peers.expire(time.Now())
		n.deliverPeerChanges()
		var expired <-chan time.Time
		if !next.IsZero() {
			deadline.Reset(time.Until(next))
			expired = deadline.C
		}
		select {
		case <-ctx.Done():
			send(true)
			return
		case <-tick.C:
			send(false)
		case <-expired:
		case <-n.wake:
		}
	}
}

func (n *Node) deliverPeerChanges() {
	for _, c := range n.peers.take() {
		if n.opts.PeerChanged != nil {
			n.opts.PeerChanged(c)
		}
	}
}
