package main

import (
	"context"
	"slices"
	"strings"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/cluster"
	pbcollectors "github.com/pulseboard/pulseboard/collectors"
)

// How a series travels between nodes and what it becomes on arrival.
//
// The cluster package carries a series' identity as an opaque string; this
// file gives it its layout: one byte of kind, then the source, the metric
// and each label's name and value, every string as a uvarint length and
// its bytes (so no byte of a label value needs escaping):
//
//	kind  len source  len metric  nLabels  {len name  len value}…
//
// On the receiving node, a series of source S of node N is stored as a
// series of the source "N/S" (remoteSource), with the label node="N" added
// (and a label "node" it had renamed "exported_node", Prometheus' way). A
// local source name cannot hold '/' (configs' source name rule), so a
// remote source never meets a local one, whatever the names.

// labelNode is the label every remote series carries: its node's name.
const labelNode = "node"

// remoteSource is the name, on this node, of source src of node node.
func remoteSource(node, src string) string { return node + "/" + src }

// isRemoteSource reports whether a source name here is a remote node's.
func isRemoteSource(src string) bool { return strings.IndexByte(src, '/') >= 0 }

// appendIdentity appends the identity of the series of smp in source src
// (aggregator.AppendIdentity: the form the durable store names it by).
func appendIdentity(dst []byte, src string, smp *aggregator.Sample) []byte {
	return aggregator.AppendIdentity(dst, aggregator.Identity{Source: src, Metric: smp.Metric, Labels: smp.Labels, Kind: smp.Kind})
}

// remoteSeries is a decoded identity, as this node stores it.
type remoteSeries struct {
	source string // "<node>/<source>"
	metric string
	labels aggregator.Labels // with the node label; shared, never modified
	kind   aggregator.Kind
}

// parseIdentity reads an identity of node's series (aggregator.ParseIdentity,
// linear in the identity: at most cluster.MaxIdentity bytes) and names it
// as this node stores it: source "<node>/<source>", the node label added,
// a label of its own called node renamed exported_node.
func parseIdentity(node, id string) (remoteSeries, error) {
	in, err := aggregator.ParseIdentity(id)
	if err != nil {
		return remoteSeries{}, err
	}
	labels := make(aggregator.Labels, 0, len(in.Labels)+1)
	for _, l := range in.Labels {
		if l.Name == labelNode {
			l.Name = "exported_" + labelNode
		}
		labels = append(labels, l)
	}
	labels = append(labels, aggregator.Label{Name: labelNode, Value: node})
	slices.SortFunc(labels, func(a, b aggregator.Label) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(labels); i++ {
		if labels[i].Name == labels[i-1].Name {
			return remoteSeries{}, aggregator.ErrIdentity // "exported_node" given and made
		}
	}
	return remoteSeries{source: remoteSource(node, in.Source), metric: in.Metric, labels: labels, kind: in.Kind}, nil
}

// groupRemote appends node's samples to batches by source (as named
// here), reading their identities through cache (one per caller: it is
// not locked); it returns how many samples it dropped because their
// identity could not be read.
func groupRemote(node string, samples []cluster.Sample, cache map[string]remoteSeries, batches map[string][]aggregator.Sample) (bad int) {
	for _, s := range samples {
		rs, ok := cache[s.Series]
		if !ok {
			var err error
			if rs, err = parseIdentity(node, s.Series); err != nil {
				bad++
				continue
			}
			cache[s.Series] = rs
		}
		batches[rs.source] = append(batches[rs.source], aggregator.Sample{
			Metric: rs.metric, Labels: rs.labels, Kind: rs.kind, TimeMs: s.Time, Value: s.Value,
		})
	}
	return bad
}

// clusterSink is the tap between the collectors and the aggregator: every
// batch goes on to the aggregator as before, and its samples are offered
// to the cluster first. Offering never blocks (PublishSamples sheds and
// counts when its queue is full), so the cluster never slows collection.
// Remote sources' batches are not pushed through here (they come from the
// cluster) and so are never sent back to it.
type clusterSink struct {
	next pbcollectors.Sink
	node *cluster.Node
}

// Push converts the batch's samples before handing it on: from then on
// the aggregator owns them.
func (s clusterSink) Push(ctx context.Context, b aggregator.Batch) bool {
	if len(b.Samples) > 0 {
		s.node.PublishSamples(toClusterSamples(b))
	}
	return s.next.Push(ctx, b)
}

// toClusterSamples is a batch in the cluster's terms. The identities are
// cut from one buffer: one allocation for the batch's strings.
func toClusterSamples(b aggregator.Batch) []cluster.Sample {
	out := make([]cluster.Sample, len(b.Samples))
	var buf []byte
	ends := make([]int, len(b.Samples))
	for i := range b.Samples {
		buf = appendIdentity(buf, b.Source, &b.Samples[i])
		ends[i] = len(buf)
	}
	all, start := string(buf), 0
	for i := range b.Samples {
		smp := &b.Samples[i]
		out[i] = cluster.Sample{Series: all[start:ends[i]], Time: smp.TimeMs, Value: smp.Value}
		start = ends[i]
	}
	return out
}
