package cluster

import (
	"context"
	"math/rand/v2"

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
func (n *Node) publishLoop(ctx context.Context, nc *nats.Conn) {
	enc := NewEncoder(rand.Uint32(), n.opts.MaxMessage)
	subj := [numKinds]string{}
	for k := range numKinds {
		subj[k] = Subject(n.opts.Cluster, n.opts.Node, k)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.resync:
			enc.Reset()
		case it := <-n.out:
			if !nc.IsConnected() {
				n.stats.shedOut(it, shedDisconnected)
				continue
			}
			if it.kind != KindSamples {
				n.publish(nc, subj[it.kind], it.kind, it.data)
				continue
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
