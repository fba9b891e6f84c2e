package fill

import (
	"container/heap"
	"context"
	"fmt"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
)

// feed is one source of the config as the fill plays it: the time of its
// next poll, and that poll.
type feed interface {
	// next is when the next poll's samples are stamped.
	next() time.Time
	// poll makes the batch of the poll at next() (ok false: nothing to
	// push, a panicked poll) and schedules the one after.
	poll(ctx context.Context) (b aggregator.Batch, ok bool, err error)
	// series is how many series the feed made so far.
	series() int
}

// runner plays the feeds in time order against the aggregator.
type runner struct {
	agg   *aggregator.Aggregator
	clock *fakeClock
	feeds []feed
	stats *Stats
}

// barrierSource names the batches barrier pushes: a source no config can
// have (names are checked by configs), so their failure touches no series.
const barrierSource = "\x00fill-barrier"

// run polls every feed from from until to, in time order (ties in config
// order), and flushes every flushEvery of the clock.
//
// How the clock moves: it is set to each poll's time before the poll, so
// the aggregator stamps, evicts and sweeps as it would have then; before a
// flush it is set to the flush's time, once every earlier poll is stored.
func (r *runner) run(ctx context.Context, from, to time.Time, flushEvery time.Duration) error {
	q := make(feedQueue, len(r.feeds))
	for i, f := range r.feeds {
		q[i] = queued{f: f, order: i}
	}
	heap.Init(&q)
	nextFlush := from.Add(flushEvery)
	for q[0].f.next().Before(to) {
		if err := ctx.Err(); err != nil {
			return err
		}
		at := q[0].f.next()
		for !nextFlush.After(at) {
			if err := r.flush(ctx, nextFlush); err != nil {
				return err
			}
			nextFlush = nextFlush.Add(flushEvery)
		}
		r.clock.advance(at)
		b, ok, err := q[0].f.poll(ctx)
		if err != nil {
			return err
		}
		heap.Fix(&q, 0)
		if !ok {
			r.stats.Panics++
			continue
		}
		if b.Failed {
			r.stats.FailedPolls++
		}
		r.stats.Samples += int64(len(b.Samples))
		if err := r.push(ctx, b); err != nil {
			return err
		}
	}
	r.clock.advance(to)
	return nil
}

// flush stores every poll pushed so far and writes it at the clock time at.
func (r *runner) flush(ctx context.Context, at time.Time) error {
	if err := r.barrier(ctx); err != nil {
		return err
	}
	r.clock.advance(at)
	if err := r.agg.Flush(); err != nil {
		return fmt.Errorf("fill: flush at %s: %w", at.UTC().Format(time.RFC3339), err)
	}
	r.stats.Flushes++
	return nil
}

// barrier returns once the aggregator has stored every batch pushed before
// it. The queue holds one batch, and the aggregator's loop takes a batch
// only after storing the one before: once a second barrier batch is
// queued, the first was taken, so every batch before it is stored (and a
// flush, which takes the store's lock, waits for the end of that ingest).
// A failed batch of a source no series has changes nothing.
func (r *runner) barrier(ctx context.Context) error {
	for range 2 {
		if err := r.push(ctx, aggregator.Batch{Source: barrierSource, Failed: true}); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) push(ctx context.Context, b aggregator.Batch) error {
	if r.agg.Push(ctx, b) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrShed
}

// feedQueue orders the feeds by next poll, then by their place in the
// config: a heap, so a step costs log(feeds).
type feedQueue []queued

type queued struct {
	f     feed
	order int
}

func (q feedQueue) Len() int { return len(q) }
func (q feedQueue) Less(i, j int) bool {
	ti, tj := q[i].f.next(), q[j].f.next()
	if !ti.Equal(tj) {
		return ti.Before(tj)
	}
	return q[i].order < q[j].order
}
func (q feedQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *feedQueue) Push(x any)   { *q = append(*q, x.(queued)) }
func (q *feedQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
