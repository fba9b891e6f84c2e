package main

import (
	"strings"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
)

// History beyond memory (docs/cluster.md, "What a backfill covers").
//
// With storage, a backfill reaches as far back as the stored raw tier:
// the peer walks its stored raw blocks before its memory
// (aggregator.WalkRaw), and this node merges the samples older than its
// own history into its stored tiers (aggregator.WriteHistory) instead of
// handing them to memory, which would refuse them. So a node that was
// away longer than its history gets back everything it missed, within
// the raw tier's retention and the byte bound of a backfill
// (cluster.Options.BackfillTotal).

// backfillSince is where a backfill of peer starts: where it was lost
// (missedSince) when this node saw it go; else, for a peer first met
// since this node started, where this node's history of it ends
// (aggregator.NewestHeld); never before what this node keeps: its
// history without storage, its raw tier's retention with.
func backfillSince(agg *aggregator.Aggregator, peer string, missedSince, now time.Time) time.Time {
	reach, stored := agg.StoredReach()
	floor := now.Add(-agg.History())
	if stored {
		floor = time.UnixMilli(0)
		if reach > 0 {
			floor = now.Add(-reach)
		}
	}
	since := missedSince
	if since.IsZero() && stored {
		prefix := peer + "/"
		if ms, ok := agg.NewestHeld(func(src string) bool { return strings.HasPrefix(src, prefix) }); ok {
			since = time.UnixMilli(ms)
		}
	}
	if since.Before(floor) {
		since = floor
	}
	return since
}

// backfillCut is the time a run cuts its samples at: History before it
// began, plus a margin for memory to take the newer ones before they age
// past its history while the run goes on (the run's longest time, at most
// half the history).
func backfillCut(b *backfiller) int64 {
	h := b.agg.History()
	return b.now().Add(-h + min(b.set.holdFor, h/2)).UnixMilli()
}

// writeOld moves the run's samples older than its cut into the stored
// tiers (nothing without storage) and counts them.
func (r *backfillRun) writeOld() {
	res, err := r.b.agg.WriteHistory(r.batches, r.cutMs)
	m := r.b.metrics.samples
	m.WithLabelValues("written").Add(float64(res.Written))
	m.WithLabelValues("duplicate").Add(float64(res.Duplicates))
	m.WithLabelValues("unwritten").Add(float64(res.Refused))
	if err != nil {
		if r.writeErrs == 0 {
			r.b.log.Warn("cluster: backfilled history older than memory's could not be stored", "peer", r.peer, "err", err)
		}
		r.writeErrs++
	}
}
