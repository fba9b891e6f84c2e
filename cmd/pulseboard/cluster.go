package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/cluster"
	pbcollectors "github.com/pulseboard/pulseboard/collectors"
	"github.com/pulseboard/pulseboard/configs"
)

// clusterLink is the program's member of a cluster (configs.Cluster): the
// cluster.Node, which runs as the root's "cluster" child, and the glue
// between it and the aggregator. Local batches reach the node through
// clusterSink; remote batches come back through ingest, on the node's
// dispatcher goroutine, into the aggregator's ordinary ingest queue; a
// peer that goes Down has its sources' series made stale by peerChanged,
// on the node's liveness goroutine.
//
// A peer's history is backfilled when it comes Up (cluster_backfill.go),
// and control requests are forwarded to the node that owns the source
// (cluster_control.go). Peers' health, trees and events arrive on the
// dispatcher too (ingestView, cluster_inbound.go) into view; this node's
// go out through health, which runs beside the node.
type clusterLink struct {
	node *cluster.Node
	agg  *aggregator.Aggregator
	log  *slog.Logger

	view   *remoteView
	health *healthPublisher // set by joinCluster; nil publishes nothing
	// payloadsRefused counts peers' health, tree and events payloads
	// refused, by kind and reason.
	payloadsRefused *prometheus.CounterVec

	// series caches the decoded identities of remote series, by node
	// (two nodes send the same identity for their sources of the same
	// name): the dispatcher goroutine's alone, so it needs no lock. A
	// node's is cleared when it outgrows maxCached (the identities are
	// decoded again as they come).
	series    map[string]map[string]remoteSeries
	maxCached int
	// batches groups one inbound message's samples by source; reused.
	batches map[string][]aggregator.Sample
	// bf backfills peers' history and holds their live samples meanwhile.
	bf *backfiller
	// control is this node's side of remote crash requests.
	control clusterControl

	// refused counts remote samples whose series identity did not parse
	// (a peer of another version, a bug): they are dropped.
	refused prometheus.Counter

	mu sync.Mutex
	// sources are each peer's sources seen, as named here ("b/host"): the
	// ones made stale when the peer goes Down.
	sources map[string]map[string]struct{}
}

// newClusterLink builds the node the config asks for; it does nothing
// until its Serve runs. The node's own errors and log lines mask the NATS
// credentials (the cluster package redacts); this one's errors are the
// node's.
func newClusterLink(cfg *configs.Cluster, agg *aggregator.Aggregator, maxSeries int, log *slog.Logger) (*clusterLink, error) {
	l := &clusterLink{
		agg:       agg,
		log:       log,
		series:    map[string]map[string]remoteSeries{},
		maxCached: 2 * maxSeries,
		batches:   map[string][]aggregator.Sample{},
		sources:   map[string]map[string]struct{}{},
		view:      newRemoteView(),
		payloadsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_cluster_payloads_refused_total",
			Help: "Peers' health, tree and events payloads refused, by kind and reason (too_large, version, malformed).",
		}, []string{"kind", "reason"}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_cluster_series_refused_total",
			Help: "Remote samples dropped because their series identity could not be read.",
		}),
	}
	o := cluster.Options{
		Cluster:     cfg.Name,
		Node:        cfg.Node,
		Handle:      l.ingest,
		PeerChanged: l.peerChanged,
		Backfill:    l.answerBackfill,
		Control:     l.answerControl,
		Logger:      log,
	}
	if e := cfg.Embedded; e != nil {
		o.Embedded = &cluster.Embedded{Listen: e.Listen, ClusterListen: e.ClusterListen, Routes: e.Routes}
	}
	if n := cfg.NATS; n != nil {
		o.NATS = &cluster.NATS{URLs: n.URLs, User: n.User, Password: n.Password, Token: n.Token}
		if t := n.TLS; t != nil {
			o.NATS.TLS = &cluster.TLS{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
				ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify}
		}
	}
	node, err := cluster.New(o)
	if err != nil {
		// The cluster package never quotes a secret; the Redactor is the
		// belt to its braces.
		return nil, fmt.Errorf("cluster: %s", cfg.Redactor().Redact(err.Error()))
	}
	l.node = node
	l.bf = newBackfiller(l, node.Backfill)
	return l, nil
}

// Collectors are the cluster's metrics: the node's and the link's.
func (l *clusterLink) Collectors() []prometheus.Collector {
	return append([]prometheus.Collector{l.node.Collector(), l.refused, l.payloadsRefused}, l.bf.metrics.collectors()...)
}

// Serve runs the node, the backfills it asks for and, beside the node, the
// publisher of this node's health and tree: the root's "cluster" child.
// It returns when all have ended.
func (l *clusterLink) Serve(ctx context.Context) error { return l.bf.serve(ctx, l.serveNode) }

// serveNode runs the node and the health publisher until ctx ends.
func (l *clusterLink) serveNode(ctx context.Context) error {
	if l.health == nil {
		return l.node.Serve(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.health.Serve(ctx)
	}()
	err := l.node.Serve(ctx)
	cancel()
	<-done
	return err
}

// ingest stores a peer's sample batch in the aggregator, one Batch per
// remote source, or holds it while the peer is being backfilled
// (backfiller.gate). Called by the node's dispatcher goroutine, one
// message at a time; Push may wait up to the aggregator's PushWait on a
// full queue (then the batch is shed and counted there), during which
// further remote messages wait in the node's bounded inbound queue.
func (l *clusterLink) ingest(in cluster.Inbound) {
	if in.Kind != cluster.KindSamples {
		l.ingestView(in)
		return
	}
	if in.Undecodable > 0 {
		l.bf.lostLive(in.Node)
	}
	if len(in.Samples) == 0 {
		return
	}
	l.bf.gate(in.Node, in.Samples, func(samples []cluster.Sample) {
		cache := l.series[in.Node]
		if cache == nil || len(cache) > l.maxCached {
			cache = map[string]remoteSeries{}
			l.series[in.Node] = cache
		}
		l.refused.Add(float64(groupRemote(in.Node, samples, cache, l.batches)))
		l.deliver(in.Node, l.batches)
	})
}

// deliver pushes node's samples grouped by source (as named here) into the
// aggregator, remembers the sources for peerChanged, and empties batches.
// It returns the samples queued and shed. Called on the dispatcher
// goroutine and on backfill goroutines, each with batches of its own.
func (l *clusterLink) deliver(node string, batches map[string][]aggregator.Sample) (stored, shed int) {
	l.mu.Lock()
	known := l.sources[node]
	if known == nil {
		known = map[string]struct{}{}
		l.sources[node] = known
	}
	for src := range batches {
		known[src] = struct{}{}
	}
	l.mu.Unlock()
	for src, samples := range batches {
		// Not Complete: a peer's batch is one poll's, maybe split, maybe
		// merged; absence from it says nothing. Liveness says it instead.
		if l.agg.Push(context.Background(), aggregator.Batch{Source: src, Samples: samples}) {
			stored += len(samples)
		} else {
			shed += len(samples)
		}
		delete(batches, src) // the aggregator owns the slice now
	}
	return stored, shed
}

// staleWait bounds how long making a lost peer's series stale may hold
// the liveness goroutine when the aggregator's queue is full.
const staleWait = 100 * time.Millisecond

// peerChanged makes every series of a peer that went Down stale at once
// (a failed batch per source, as a local failed poll does); they are live
// again with the peer's next samples. Called on the node's liveness
// goroutine, in order.
func (l *clusterLink) peerChanged(c cluster.PeerChange) {
	l.log.Info("cluster: peer "+map[bool]string{true: "up", false: "down"}[c.Up], "peer", c.Name)
	l.view.setUp(c.Name, c.Up, c.LastSeen)
	l.agg.SourcesChanged()
	l.agg.TreeChanged()
	if c.Up {
		l.bf.peerUp(c.Name, c.MissedSince)
		return
	}
	l.bf.peerDown(c.Name)
	ctx, cancel := context.WithTimeout(context.Background(), staleWait)
	defer cancel()
	for _, src := range l.peerSources(c.Name) {
		if !l.agg.Push(ctx, aggregator.Batch{Source: src, Failed: true}) {
			l.log.Warn("cluster: a lost peer's series could not be marked stale (ingest queue full)", "peer", c.Name, "source", src)
		}
	}
}

// peerSources are the sources of peer seen so far, sorted.
func (l *clusterLink) peerSources(peer string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.sources[peer]))
	for src := range l.sources[peer] {
		out = append(out, src)
	}
	slices.Sort(out)
	return out
}

// joinCluster makes the program a node of the cluster cfg describes (nil:
// a single node, the aggregator is the sink as before) and returns the
// sink the collectors push to: the aggregator, behind the cluster's tap.
func (p *program) joinCluster(cfg *configs.Cluster, log *slog.Logger) (pbcollectors.Sink, error) {
	if cfg == nil {
		return p.aggregator, nil
	}
	if err := checkPortsFree(cfg.Embedded); err != nil {
		return nil, err
	}
	link, err := newClusterLink(cfg, p.aggregator, p.cfg.Aggregator.MaxSeries, log.With("component", "cluster"))
	if err != nil {
		return nil, err
	}
	for _, c := range link.Collectors() {
		if err := p.registry.Register(c); err != nil {
			return nil, fmt.Errorf("register cluster metrics: %w", err)
		}
	}
	p.cluster = link
	p.startHealth(link)
	return clusterSink{next: p.aggregator, node: link.node}, nil
}

// exportFilter is the aggregator's Options.Export for the config: with
// cluster.export "own", the series of remote sources stay off /metrics.
func exportFilter(cfg *configs.Cluster) func(string) bool {
	if cfg == nil || cfg.Export != configs.ExportOwn {
		return nil
	}
	return func(src string) bool { return !isRemoteSource(src) }
}

// checkPortsFree tries the embedded server's fixed ports before anything
// runs, as the dashboard's port is: a port in use is one error at start,
// not a child the root restarts until it gives up. The server binds them
// again when the child starts (a race with another program is then the
// child's failure, restarted with backoff).
func checkPortsFree(e *configs.ClusterEmbedded) error {
	if e == nil {
		return nil
	}
	for _, a := range []struct{ key, addr string }{{"listen", e.Listen}, {"cluster_listen", e.ClusterListen}} {
		if _, port, err := net.SplitHostPort(a.addr); err != nil || port == "0" {
			continue // validated already; 0 is any free port
		}
		ln, err := net.Listen("tcp", a.addr)
		if err != nil {
			return fmt.Errorf("cluster.embedded.%s %s: %w", a.key, a.addr, err)
		}
		ln.Close()
	}
	return nil
}
