package main

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/cluster"
)

// healthPublisher tells the peers this node's source health and tree: at
// once (at most every minGap) when something a reader would notice
// changed — a state, up, restarts, failures, an error or warning, the
// tree — and all of it every interval (the heartbeat's), so that a node
// that joins late or lost a message knows it within a heartbeat. Polls,
// last success and poll time ride on the periodic message only: they
// change with every poll.
//
// It runs beside the cluster node in the "cluster" child (clusterLink's
// Serve); changed may be called from any goroutine and never blocks.
type healthPublisher struct {
	publish  func(cluster.Kind, []byte) bool
	sources  func() []aggregator.SourceInfo // this node's own, named as here
	tree     func() aggregator.Process      // this node's own tree
	interval time.Duration
	minGap   time.Duration
	wake     chan struct{}
}

func newHealthPublisher(publish func(cluster.Kind, []byte) bool, sources func() []aggregator.SourceInfo, tree func() aggregator.Process, interval time.Duration) *healthPublisher {
	return &healthPublisher{
		publish: publish, sources: sources, tree: tree,
		interval: interval, minGap: interval / 10,
		wake: make(chan struct{}, 1),
	}
}

// changed says the sources or the tree may have changed.
func (h *healthPublisher) changed() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Serve publishes until ctx ends; it returns nil then.
//
// How it works: a change wakes it; it compares what a reader would notice
// with what it last sent and publishes only if that differs, and not
// sooner than minGap after its previous publication (a timer holds the
// change until then). The ticker sends everything, changed or not.
func (h *healthPublisher) Serve(ctx context.Context) error {
	tick := time.NewTicker(h.interval)
	defer tick.Stop()
	hold := time.NewTimer(h.minGap)
	defer hold.Stop()
	var held <-chan time.Time
	var gen uint64 = uint64(time.Now().UnixNano())
	var lastKeys []sourceKey
	var lastTree []byte
	var lastSent time.Time
	send := func(force bool) {
		srcs := h.sources()
		keys := sourceKeys(srcs)
		tree, err := encodeTree(h.tree())
		if !force && slices.Equal(keys, lastKeys) && bytes.Equal(tree, lastTree) {
			return
		}
		if wait := h.minGap - time.Since(lastSent); !force && wait > 0 {
			if held == nil {
				hold.Reset(wait)
				held = hold.C
			}
			return
		}
		gen++
		for _, m := range encodeHealth(gen, srcs) {
			h.publish(cluster.KindHealth, m)
		}
		if err == nil {
			h.publish(cluster.KindTree, tree)
		}
		lastKeys, lastTree, lastSent = keys, tree, time.Now()
	}
	send(true)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			send(true)
		case <-h.wake:
			send(false)
		case <-held:
			held = nil
			send(false)
		}
	}
}

// sourceKey is what of a source's health makes a reader look: without
// polls, last success and poll time, which every poll changes.
type sourceKey struct {
	name, state, lastError, lastWarning string
	up                                  bool
	restarts, failures                  uint64
}

func sourceKeys(srcs []aggregator.SourceInfo) []sourceKey {
	out := make([]sourceKey, len(srcs))
	for i, s := range srcs {
		out[i] = sourceKey{s.Name, s.State, s.LastError, s.LastWarning, s.Up, s.Restarts, s.Failures}
	}
	return out
}
