package aggregator

import (
	"bytes"
	"context"
	"runtime"
	"runtime/pprof"
	"time"
)

// This file is the aggregator's own goroutine: Serve's loop, and the tick
// that sweeps, settles and publishes.

// Serve runs the aggregator until ctx is cancelled, then returns nil. It
// drains the ingest queue into the store, publishes a delta at most every
// BroadcastInterval when something changed, and sweeps windows and
// evictions as time passes. Only one Serve may run at a time; calling it
// again after it returned resumes with the same state.
//
// How it works: nothing runs on a fixed beat. A batch, SourcesChanged,
// TreeChanged or Announce makes a publish pending, and one timer is armed
// for it: coalesce after the first change (so a poll's batch and its
// source's new counters go out together), and no sooner than
// BroadcastInterval after the previous publish. When Options.Settled
// says every running poll has reported, the coalescing wait is skipped,
// and a publish the rate allows goes out at once, on the wake-up that
// brought the change, with no timer. With nothing pending the
// timer is armed only for the next sweep while the store holds series
// (see sweepDue); an empty, quiet aggregator does not wake at all.
//
// Its goroutine carries the profiler label goroutine=aggregator (the
// storage flusher it starts, goroutine=flusher), so that a CPU profile of
// the running program (/debug/pprof/profile) tells the ingest path's own
// CPU from the sources', the publish's fan-out and the garbage collector's
// (scripts/ingest-bench.sh).
func (a *Aggregator) Serve(ctx context.Context) error {
	if !a.serving.CompareAndSwap(false, true) {
		return ErrAlreadyServing
	}
	defer a.serving.Store(false)
	var err error
	pprof.Do(ctx, pprof.Labels("goroutine", "aggregator"), func(ctx context.Context) { err = a.serve(ctx) })
	return err
}

// serve is Serve's loop, on its labelled goroutine.
func (a *Aggregator) serve(ctx context.Context) error {
	defer a.startFlusher(ctx)()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var (
		armedAt      time.Time // zero: the timer is stopped
		lastPublish  time.Time
		pendingSince time.Time // zero: nothing to publish
		sweepAt      time.Time // zero: no sweep needed
	)
	markPending := func() {
		if pendingSince.IsZero() {
			pendingSince = a.opts.Now()
		}
	}
	markPending()          // the first tick sends the sources and the tree
	for ctx.Err() == nil { // checked first: a backlog keeps the queue ready
		due := sweepAt
		if !pendingSince.IsZero() {
			due = later(lastPublish.Add(a.opts.BroadcastInterval), pendingSince.Add(a.holdFor(lastPublish)))
			if now := a.opts.Now(); !due.After(now) {
				pendingSince = time.Time{}
				sweepAt = a.tickNow(ctx, now, &lastPublish)
				a.sweepTheRest(ctx)
				if a.backlog {
					markPending()
				}
				continue
			}
		}
		if !due.Equal(armedAt) {
			armedAt = due
			if due.IsZero() {
				timer.Stop()
			} else {
				timer.Reset(max(0, due.Sub(a.opts.Now())))
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case b := <-a.queue:
			a.drain(ctx, b)
			markPending()
		case <-a.wake:
			markPending()
		case <-timer.C:
			armedAt = time.Time{}
			pendingSince = time.Time{}
			sweepAt = a.tickNow(ctx, a.opts.Now(), &lastPublish)
			a.sweepTheRest(ctx)
			if a.backlog {
				markPending() // the rest of a paced source's series
			}
		}
	}
	return nil
}

// sweepTheRest finishes the sweep the last tick left (sweepMore), giving
// the processor to the goroutines the tick's publish woke before each
// part.
func (a *Aggregator) sweepTheRest(ctx context.Context) {
	stop := func() bool { return ctx.Err() != nil }
	for a.sweepRest.on {
		runtime.Gosched()
		a.sweepMore(stop)
	}
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// holdFor is how long a pending publish waits after its first change:
// nothing once Options.Settled says every poll has reported, else
// coalesce. The first publish always waits: the collectors start after
// the aggregator, so no poll runs yet when it is due, and their first
// polls belong in it.
func (a *Aggregator) holdFor(lastPublish time.Time) time.Duration {
	if !lastPublish.IsZero() && a.opts.Settled != nil && a.opts.Settled() {
		return 0
	}
	return a.coalesce()
}

// coalesce is how long a publish waits after the first change it carries:
// a twentieth of the broadcast interval, at most 10ms.
func (a *Aggregator) coalesce() time.Duration {
	return min(a.opts.BroadcastInterval/20, 10*time.Millisecond)
}

// tickNow is tick, taking first a wake and the batches that came before
// it. The tick reads every mark and takes every event and alert, so that
// wake has nothing left to say, and a collector pushes its batch before
// it calls Changed: when Serve sees both ready at once, whichever it
// takes first, the batch and its source's counters go out in this tick,
// not one in this tick and the other, or an empty tick, a broadcast
// interval later. It sets *lastPublish to now if the tick published a
// delta: a sweep that had nothing to say does not hold up the next one.
func (a *Aggregator) tickNow(ctx context.Context, now time.Time, lastPublish *time.Time) time.Time {
	select {
	case <-a.wake:
	default:
	}
	select {
	case b := <-a.queue:
		a.drain(ctx, b)
	default:
	}
	seq := a.Seq()
	sweepAt := a.tickStop(func() bool { return ctx.Err() != nil })
	if a.Seq() != seq {
		*lastPublish = now
		// The writers the publish woke go first: on one core this
		// goroutine is not preempted for 10 ms, and a queued batch
		// drained next (a wide scrape: milliseconds) would hold every
		// delivery of the delta just published.
		runtime.Gosched()
	}
	return sweepAt
}

// tick sweeps the store when a window slice has passed, reads the sources
// and the tree if they were marked as changed, and publishes a delta if
// anything changed. It returns when the next sweep is due if nothing else
// happens (zero if the store is empty): see sweepDue.
func (a *Aggregator) tick() time.Time {
	due := a.tickStop(nil)
	for a.sweepMore(nil) {
	}
	return due
}

// sweepRest is the part of a sweep left for after its tick's publish
// (tickStop): st.all[from:] at nowMs.
type sweepRest struct {
	from  int
	nowMs int64
	on    bool
}

// sweepMore sweeps the next sweepBeforePublish series of the sweep a tick
// left, under the store lock, and says whether some are left still. Serve
// calls it after the tick, yielding before each part: on one core the
// writers the publish woke run first rather than wait for the rest of the
// sweep (the aggregator's goroutine is not preempted for 10 ms). What a
// part moves or evicts asks for the next delta (backlog). Between two
// parts only other goroutines' writes of history (which append new series
// at the end, or move the last series into a replaced one's place) touch
// the list: a series moved before from meanwhile waits for the next
// slice's sweep.
func (a *Aggregator) sweepMore(stop func() bool) bool {
	if !a.sweepRest.on {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r := &a.sweepRest
	if r.from < len(a.st.all) {
		r.from = a.st.sweep(r.nowMs, r.from, sweepBeforePublish, stop)
		a.backlog = a.backlog || len(a.st.dirty) > 0 || len(a.st.removed) > 0
	}
	r.on = r.from < len(a.st.all) && (stop == nil || !stop())
	return r.on
}

// tickStop is tick with its sweep stopped when stop says so (Serve's
// context is done: see store.sweep).
func (a *Aggregator) tickStop(stop func() bool) time.Time {
	var srcs []SourceInfo
	readSources := a.opts.Sources != nil && a.sourcesChanged.Swap(false)
	if readSources {
		srcs = a.opts.Sources()
	}
	now := a.opts.Now()
	nowMs := now.UnixMilli()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.st.unsorted {
		a.st.sorted() // before the sweep: see below
	}
	// Swept before it is paced, so that the windows a sweep moved are
	// paced too; a series with points to settle had a sample lately and
	// is left to its settle (store.sweep). Only the first
	// sweepBeforePublish series, though: a sweep visits every series
	// (10,000 of them: 2–3 ms on one core, which every delta at a
	// slice's turn waited for beside trial 14's churning target), so
	// the rest is swept after the publish and goes in the next delta.
	// Nothing between the two parts reorders the list (it was sorted
	// first), bar a removed source's compaction, after which the second
	// part starts again from the top (sweeping a series twice in a
	// slice moves nothing).
	sweepNext := -1
	if slice := floorDiv(nowMs, a.sweepEvery); slice != a.lastSweep {
		a.lastSweep = slice
		sweepNext = a.st.sweep(nowMs, 0, sweepBeforePublish, stop)
	}
	taken := a.st.pace(nowMs)
	a.st.settle(nowMs, taken)
	d := &delta{seq: a.seq + 1, from: a.seq + 1, ts: nowMs}
	dropped := 0
	if readSources {
		srcs = a.st.withStoreWarnings(srcs)
		d.sources = changedSources(a.sources, srcs)
		d.sourcesRemoved, dropped = a.forgetVanished(srcs)
		a.sources = srcs
	}
	// Asked once: Subscribe takes the store lock, so no subscriber can
	// come between here and the publish.
	live := a.broker.live()
	a.st.collect(d, taken)
	a.backlog = a.st.pacer.backlog()
	if a.treeChanged.Swap(false) {
		if tree := a.treeJSON(); tree != nil && !bytes.Equal(tree, a.tree) {
			d.tree, a.tree = tree, tree
		}
	}
	a.publishEvents(d, nowMs)
	d.alerts = a.takeAlerts()
	if dropped > 0 {
		// The deltas kept for resuming carry the dropped series' points
		// (up to RetainBytes of them): a resume from before this one gets
		// a snapshot instead.
		a.broker.forgetRecent()
	}
	a.publishLocked(d, nowMs, live)
	if dropped > 0 {
		a.Collector().(*promCollector).forgetDropped(a.st)
	}
	if dropped > 0 && a.opts.Dropped != nil {
		// Told last: nothing of the aggregator's still points at them.
		a.opts.Dropped(dropped)
	}
	if sweepNext >= 0 && sweepNext < len(a.st.all) {
		if dropped > 0 {
			sweepNext = 0
		}
		a.sweepRest = sweepRest{from: sweepNext, nowMs: nowMs, on: true}
	}
	return a.sweepDue()
}

// sweepDue is when the next sweep must run if no publish runs it first:
// the end of the slice after the current one. Publishes sweep whenever a
// slice has passed, so with data arriving at least once a slice this
// deadline keeps moving and never fires; with none, the windows of quiet
// series move every second slice, which is within the lag the store
// already allows series that had a recent sample (store.sweep). Zero when
// the store is empty: nothing to sweep, nothing to wake for.
func (a *Aggregator) sweepDue() time.Time {
	if len(a.st.all) == 0 {
		return time.Time{}
	}
	return time.UnixMilli((a.lastSweep + 2) * a.sweepEvery)
}

// publishLocked encodes d and hands it to the broker, unless it is empty.
// With no subscriber it is retained unencoded: the window statistics and
// the JSON are most of a publish's cost, and a resume that reaches an
// unencoded delta merges and encodes it then (Subscribe), as it would
// merge a long run anyway. live is the broker's live() as the caller
// (tick, under the store lock) asked it.
func (a *Aggregator) publishLocked(d *delta, nowMs int64, live bool) {
	if d.empty() {
		return
	}
	a.seq = d.seq
	if live {
		enc := a.encoder(nowMs)
		// Size the buffer from the previous delta: growing a 50 MB frame
		// by doubling costs as much as encoding it.
		d.data = enc.encodeDelta(make([]byte, 0, a.lastDeltaSize+a.lastDeltaSize/8+256), d)
		a.lastDeltaSize = len(d.data)
		d.encoded = true
	}
	a.stats.deltas.Add(1)
	a.broker.publish(d, nowMs)
}
