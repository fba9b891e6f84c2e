package cluster

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// PublishSamples queues samples of this node for every other node and
// returns at once: false when the outbound queue is full (the batch is
// shed and counted). The node owns samples from then on: the caller must
// not change the slice. Any goroutine may call it, Serve running or not;
// while the node is not connected, queued batches are shed when the
// publisher reaches them (the peers backfill the gap).
func (n *Node) PublishSamples(samples []Sample) bool {
	return n.enqueue(outItem{kind: KindSamples, samples: samples})
}

// Publish queues an opaque payload of kind KindHealth, KindTree or
// KindEvents (any other kind is refused: false) for every other node; like
// PublishSamples it never blocks, and the node owns data from then on.
func (n *Node) Publish(kind Kind, data []byte) bool {
	if kind != KindHealth && kind != KindTree && kind != KindEvents {
		return false
	}
	return n.enqueue(outItem{kind: kind, data: data})
}

func (n *Node) enqueue(it outItem) bool {
	select {
	case n.out <- it:
		return true
	default:
		n.stats.shedOut(it, shedQueueFull)
		return false
	}
}

// askKeyFrame makes the publisher's next batch a key frame; requests that
// arrive before it gets there count as one.
func (n *Node) askKeyFrame() {
	select {
	case n.resync <- struct{}{}:
	default:
	}
}

// publishLoop is the publisher goroutine: it owns the encoder and drains
// the outbound queue. Each Serve starts a new encoder with a new random
// epoch, so peers drop what they knew of the previous one.
//
// For the claim period after each connection (a heartbeat and a half),
// what would be published is held, not sent: a node started under a name
// another node holds hears that one's heartbeat within it and stands
// aside (duplicate.go) before any of its samples, health or tree reach a
// peer and garble that node's series there. Held items are sent when the
// claim ends, at most the queue's size of them (the oldest are shed as
// queue_full).
func (n *Node) publishLoop(ctx context.Context, nc *nats.Conn) {
	enc := NewEncoder(rand.Uint32(), n.opts.MaxMessage)
	subj := [numKinds]string{}
	for k := range numKinds {
		subj[k] = Subject(n.opts.Cluster, n.opts.Node, k)
	}
	endClaim := n.beginClaim()
	defer endClaim()
	claim := time.NewTimer(n.claimPeriod())
	defer claim.Stop()
	var held []outItem
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.resync:
			enc.Reset()
		case <-claim.C:
			endClaim()
			for _, it := range held {
				n.send(nc, enc, &subj, it)
			}
			held = nil
		case it := <-n.out:
			if n.claiming.Load() {
				if len(held) == cap(n.out) {
					n.stats.shedOut(held[0], shedQueueFull)
					held = held[1:]
				}
				held = append(held, it)
				continue
			}
			n.send(nc, enc, &subj, it)
		}
	}
}

// beginClaim starts a claim period: claiming is set and requests wait
// (awaitClaim) until end is called, once or more.
func (n *Node) beginClaim() (end func()) {
	gate := make(chan struct{})
	n.claimMu.Lock()
	n.claimGate = gate
	n.claimMu.Unlock()
	n.claiming.Store(true)
	var once sync.Once
	return func() {
		once.Do(func() {
			n.claiming.Store(false)
			close(gate)
		})
	}
}

// awaitClaim waits for the current claim period to end; false if ctx
// ended first. Called on responder goroutines.
func (n *Node) awaitClaim(ctx context.Context) bool {
	n.claimMu.Lock()
	gate := n.claimGate
	n.claimMu.Unlock()
	if gate == nil {
		return true
	}
	select {
	case <-gate:
		return true
	case <-ctx.Done():
		return false
	}
}

// claimPeriod is how long a new connection holds what it would publish:
// a heartbeat and a half, so that another node's heartbeat on this
// node's name is heard first.
func (n *Node) claimPeriod() time.Duration { return n.opts.Heartbeat + n.opts.Heartbeat/2 }

// send publishes one queued item on the publisher goroutine.
func (n *Node) send(nc *nats.Conn, enc *Encoder, subj *[numKinds]string, it outItem) {
	if !nc.IsConnected() {
		n.stats.shedOut(it, shedDisconnected)
		return
	}
	if it.kind != KindSamples {
		n.publish(nc, subj[it.kind], it.kind, it.data)
		return
	}
	msgs, skipped := enc.Encode(it.samples)
	n.stats.overlong.Add(uint64(skipped))
	n.stats.samplesOut.Add(uint64(len(it.samples) - skipped))
	for _, m := range msgs {
		if !n.publish(nc, subj[KindSamples], KindSamples, m) {
			enc.Reset() // the peers will see a gap: make sure the next batch heals it
		}
	}
}

func (n *Node) publish(nc *nats.Conn, subj string, k Kind, data []byte) bool {
	if n.aside.Load() {
		n.stats.outShed[k][shedAside].Add(1)
		return false
	}
	if err := nc.Publish(subj, data); err != nil {
		n.stats.outErrors[k].Add(1)
		return false
	}
	n.stats.outMsgs[k].Add(1)
	n.stats.outBytes[k].Add(uint64(len(data)))
	return true
}
