package main

import (
	"context"
	"math"
	"strings"
	"time"
)

// Samples lost to the live stream (docs/cluster.md, "Wiring"): a live
// batch this node cannot decode loses its samples, and only a backfill
// that reaches the first live sample held brings them back.

// lostLive says live samples of peer could not be decoded (a batch coded
// against a key frame this node never saw, or lost on the way): they are
// in no live batch this node will read. While the peer is held (it joins,
// or is Down, or a backfill runs) the backfill is made to reach past them
// (catchUp); otherwise a backfill from what this node holds of the peer
// starts now, and holds its live samples meanwhile. Called on the
// dispatcher goroutine.
func (b *backfiller) lostLive(peer string) {
	ps := b.peer(peer)
	ps.mu.Lock()
	holding := ps.holding
	ps.lost = true
	ps.mu.Unlock()
	if !holding {
		b.log.Debug("cluster: live samples of a peer could not be decoded: backfilling them", "peer", peer)
		from := time.Time{}
		prefix := peer + "/"
		if ms, ok := b.agg.NewestHeld(func(src string) bool { return strings.HasPrefix(src, prefix) }); ok {
			from = time.UnixMilli(ms)
		}
		b.peerUp(peer, from)
	}
}

// catchUp says whether the backfill must be asked again: live samples
// were lost (lostLive) after the point the answer reached, or may have
// been, and only the first live sample held — the first the stream
// carries again — bounds the gap. It waits for that sample (or ctx), so
// that the next answer, read by the peer after it, covers everything
// before it; the merge drops what overlaps. False when nothing was lost
// since the last ask, or ctx ended.
func (r *backfillRun) catchUp(ctx context.Context) bool {
	ps := r.ps
	ps.mu.Lock()
	if !ps.lost {
		ps.mu.Unlock()
		return false
	}
	ps.lost = false
	if ps.heldN > 0 {
		ps.mu.Unlock()
		return true
	}
	ch := make(chan struct{})
	ps.firstHeldCh = ch
	ps.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		ps.mu.Lock()
		if ps.firstHeldCh == ch {
			ps.firstHeldCh = nil
		}
		ps.mu.Unlock()
		return false
	}
}

// resumeFrom is where a catch-up asks from: the oldest newest-point of
// the series backfilled within catchUpSpan of the newest one (a series
// long silent would drag it back for nothing), else since.
func (r *backfillRun) resumeFrom(since time.Time) time.Time {
	newest := int64(math.MinInt64)
	for _, t := range r.lastDone {
		newest = max(newest, t)
	}
	from := newest
	for _, t := range r.lastDone {
		if t >= newest-catchUpSpan.Milliseconds() {
			from = min(from, t)
		}
	}
	if newest == math.MinInt64 || time.UnixMilli(from).Before(since) {
		return since
	}
	return time.UnixMilli(from)
}

// catchUpSpan bounds how far behind the newest backfilled point a series
// may be and still set where a catch-up asks from.
const catchUpSpan = time.Minute
