package aggregator

import (
	"context"
	"sync"
	"time"
)

// The ingest queue is bounded twice: in batches (the channel's capacity,
// QueueSize) and in samples (QueueSamples). The batch bound alone let one
// wide config fill memory: 1,024 batches of a 100,000-series source are
// 100 million queued samples, gigabytes, whenever the sources produce
// faster than Serve stores. The sample bound holds that at QueueSamples
// whatever the batch size.

// sampleBudget counts the samples waiting in the ingest queue. Push takes
// a batch's samples before it sends the batch, and drain gives them back
// once the batch is stored, so used is never more than limit, except for
// one batch larger than limit, which is let in alone (else a source wider
// than the budget could never be stored). A batch that does not fit waits
// on freed, which drain closes when it gives samples back.
type sampleBudget struct {
	mu    sync.Mutex
	limit int
	used  int
	freed chan struct{} // nil until someone waits; closed and cleared on release
}

// take reserves n samples. On false the caller may wait on the channel
// returned and try again when it is closed.
func (q *sampleBudget) take(n int) (bool, <-chan struct{}) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if n == 0 || q.used == 0 || q.used+n <= q.limit {
		q.used += n
		return true, nil
	}
	if q.freed == nil {
		q.freed = make(chan struct{})
	}
	return false, q.freed
}

// release gives back n samples taken by take.
func (q *sampleBudget) release(n int) {
	if n == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.used -= n
	if q.freed != nil {
		close(q.freed)
		q.freed = nil
	}
}

// queued returns how many samples are waiting.
func (q *sampleBudget) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.used
}

// Push hands a batch to the aggregator: the collectors' sink. It is safe
// from many goroutines. When the queue is full, in batches (QueueSize) or
// in samples (QueueSamples), it waits up to PushWait (or until ctx ends)
// for room, then sheds the batch, counts its samples in
// pulseboard_samples_dropped_total and returns false: the collector counts
// the batch as shed for its source and says so in its last_warning. A full
// queue never blocks a source for longer than PushWait, and a small batch
// goes in whenever it fits, ahead of a wide one still waiting for room.
// On true the aggregator owns b.Samples and the caller must not touch the
// slice again; on false the caller keeps it. A batch without samples is
// queued only if it is Complete or Failed (see Batch): it still makes
// series stale.
func (a *Aggregator) Push(ctx context.Context, b Batch) bool {
	if len(b.Samples) == 0 && !b.Complete && !b.Failed {
		return true
	}
	n := len(b.Samples)
	var timer *time.Timer // started at the first wait
	wait := func() <-chan time.Time {
		if timer == nil {
			timer = time.NewTimer(a.opts.PushWait)
		}
		return timer.C
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		ok, freed := a.budget.take(n)
		if ok {
			select {
			case a.queue <- b:
				return true
			default:
			}
			select {
			case a.queue <- b:
				return true
			case <-wait():
			case <-ctx.Done():
			}
			a.budget.release(n)
			break
		}
		select {
		case <-freed:
			continue
		case <-wait():
		case <-ctx.Done():
		}
		break
	}
	a.stats.dropped.Add(uint64(n))
	return false
}

// Bounds on the work drain does at once.
const (
	// drainBatches is how many queued batches one drain stores at most
	// before Serve looks at its timer again.
	drainBatches = 64
)

// drainHold is how many samples drain stores under one hold of the store
// lock: past it, drain lets the lock go (a scrape or a snapshot waiting
// for it gets in) and stops if ctx is done. A var for tests.
var drainHold = 16384

// drain stores b, which Push queued, and up to drainBatches more batches
// already queued, on Serve's goroutine. It holds the store lock for at
// most one batch past drainHold samples, so that with a backlog of wide
// batches a /metrics scrape waits for one batch, not for the queue, and
// it returns as soon as ctx is done between two holds: a shutdown waits
// for one batch too.
func (a *Aggregator) drain(ctx context.Context, b Batch) { a.drainFrom(ctx, b, true) }

// ingest is drain for tests and benchmarks: b need not have come through
// Push (its samples were not taken from the budget and are not given
// back), and it cannot be stopped.
func (a *Aggregator) ingest(b Batch) { a.drainFrom(context.Background(), b, false) }

func (a *Aggregator) drainFrom(ctx context.Context, b Batch, queued bool) {
	now := a.nowMs()
	a.mu.Lock()
	held := len(b.Samples)
	a.ingestLocked(b, now)
	if queued {
		a.budget.release(held)
	}
	for range drainBatches {
		if held >= drainHold {
			a.mu.Unlock()
			if ctx.Err() != nil {
				return
			}
			now, held = a.nowMs(), 0
			a.mu.Lock()
		}
		select {
		case b = <-a.queue:
			held += len(b.Samples)
			a.ingestLocked(b, now)
			a.budget.release(len(b.Samples))
		default:
			a.mu.Unlock()
			return
		}
	}
	a.mu.Unlock()
}
