package cluster

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Reasons an outbound publication is shed.
const (
	shedQueueFull    = 0 // the outbound queue was full
	shedDisconnected = 1 // the node was not connected when the publisher got to it
	shedAside        = 2 // another node of this name came first (duplicate.go)
)

var shedReasons = [...]string{"queue_full", "disconnected", "duplicate_name"}

// stats are the node's counters, written with atomics by whichever
// goroutine counts and read at scrape time.
type stats struct {
	outMsgs, outBytes, outErrors, inMsgs, inBytes, inShed, busy [numKinds]atomic.Uint64
	outShed                                                     [numKinds][len(shedReasons)]atomic.Uint64

	samplesOut, samplesShedOut, samplesIn, samplesShedIn, samplesDropped, overlong atomic.Uint64
	decodeErrors, resyncIn, resyncOut, reconnects, slowConsumer, backfillBytes     atomic.Uint64
}

func (s *stats) shedOut(it outItem, reason int) {
	s.outShed[it.kind][reason].Add(1)
	s.samplesShedOut.Add(uint64(len(it.samples)))
}

// Collector returns the Prometheus view of the node's counters and state
// (pulseboard_cluster_…), built at scrape time. Register it once.
func (n *Node) Collector() prometheus.Collector { return collector{n} }

type collector struct{ n *Node }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("pulseboard_cluster_"+name, help, labels, nil)
}

var (
	dMessagesOut = desc("messages_published_total", "Messages this node published, by kind.", "kind")
	dBytesOut    = desc("bytes_published_total", "Payload bytes this node published, by kind.", "kind")
	dErrorsOut   = desc("publish_errors_total", "Publications NATS refused (connection lost under them), by kind.", "kind")
	dShedOut     = desc("publications_shed_total", "Publications shed before NATS, by kind and reason (queue_full, disconnected, duplicate_name).", "kind", "reason")
	dMessagesIn  = desc("messages_received_total", "Messages received from peers, by kind.", "kind")
	dBytesIn     = desc("bytes_received_total", "Payload bytes received from peers, by kind.", "kind")
	dShedIn      = desc("messages_shed_total", "Inbound messages shed because the inbound queue was full, by kind.", "kind")
	dBusy        = desc("requests_busy_total", "Peer requests answered busy (every responder slot taken), by kind.", "kind")
	dSamples     = desc("samples_total", "Samples by direction (published, received) and fate (sent, decoded, shed, undecodable, overlong).", "direction", "fate")
	dDecodeErr   = desc("decode_errors_total", "Inbound messages refused as corrupt.")
	dResync      = desc("key_frame_requests_total", "Requests for a key frame (dictionary and absolute values), sent to peers or received.", "direction")
	dReconnects  = desc("reconnects_total", "Reconnections to NATS.")
	dSlow        = desc("slow_consumer_total", "Times NATS dropped messages in front of a subscription that could not keep up.")
	dBackfill    = desc("backfill_bytes_total", "History bytes received from peers by backfill.")
	dConnFail    = desc("connect_failures_total", "Failed attempts to connect to NATS, by reason (auth, tls, unreachable, closed, embedded, duplicate_name, other).", "reason")
	dConnected   = desc("connected", "1 while the node is connected to NATS.")
	dPeers       = desc("peers", "Peers by state (up, down).", "state")
)

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dMessagesOut, dBytesOut, dErrorsOut, dShedOut, dMessagesIn, dBytesIn, dShedIn,
		dBusy, dSamples, dDecodeErr, dResync, dReconnects, dSlow, dBackfill, dConnFail, dConnected, dPeers} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := &c.n.stats
	counter := func(d *prometheus.Desc, v *atomic.Uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v.Load()), labels...)
	}
	for k := range numKinds {
		kind := k.String()
		counter(dMessagesOut, &s.outMsgs[k], kind)
		counter(dBytesOut, &s.outBytes[k], kind)
		counter(dErrorsOut, &s.outErrors[k], kind)
		counter(dMessagesIn, &s.inMsgs[k], kind)
		counter(dBytesIn, &s.inBytes[k], kind)
		counter(dShedIn, &s.inShed[k], kind)
		counter(dBusy, &s.busy[k], kind)
		for r, reason := range shedReasons {
			counter(dShedOut, &s.outShed[k][r], kind, reason)
		}
	}
	counter(dSamples, &s.samplesOut, "published", "sent")
	counter(dSamples, &s.samplesShedOut, "published", "shed")
	counter(dSamples, &s.overlong, "published", "overlong")
	counter(dSamples, &s.samplesIn, "received", "decoded")
	counter(dSamples, &s.samplesShedIn, "received", "shed")
	counter(dSamples, &s.samplesDropped, "received", "undecodable")
	counter(dDecodeErr, &s.decodeErrors)
	counter(dResync, &s.resyncOut, "sent")
	counter(dResync, &s.resyncIn, "received")
	counter(dReconnects, &s.reconnects)
	counter(dSlow, &s.slowConsumer)
	counter(dBackfill, &s.backfillBytes)
	for i, r := range reasons {
		counter(dConnFail, &c.n.link.failures[i], r)
	}
	conn := 0.0
	if c.n.Connected() {
		conn = 1
	}
	ch <- prometheus.MustNewConstMetric(dConnected, prometheus.GaugeValue, conn)
	up, down := 0, 0
	for _, p := range c.n.Peers() {
		if p.Up {
			up++
		} else {
			down++
		}
	}
	ch <- prometheus.MustNewConstMetric(dPeers, prometheus.GaugeValue, float64(up), "up")
	ch <- prometheus.MustNewConstMetric(dPeers, prometheus.GaugeValue, float64(down), "down")
}
