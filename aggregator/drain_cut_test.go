package aggregator

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tickingClock is a store clock that moves a millisecond each time it is
// read: a batch stored in parts sees its deadline pass after a few.
type tickingClock struct{ ms atomic.Int64 }

func (c *tickingClock) now() time.Time { return time.UnixMilli(c.ms.Add(1)) }

// completeWide is a complete poll of n gauges of source, one a series,
// at ms, valued v.
func completeWide(source string, n int, ms int64, v float64) Batch {
	ss := make([]Sample, n)
	for i := range ss {
		ss[i] = gauge("m", ms, v, "i", strconv.Itoa(i))
	}
	return Batch{Source: source, Samples: ss, Complete: true}
}

func countSource(a *Aggregator, source string) (live, stale int) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	for _, s := range a.st.all {
		if s.source != source || s.evicted {
			continue
		}
		if s.stale {
			stale++
		} else {
			live++
		}
	}
	return live, stale
}

// A wide batch drained with a publish due is cut between two parts once
// the publish is due: the publish carries the part stored (and every
// other source's points), the rest is stored after it. Series the batch
// does not show go stale only once all of it is stored, and what it held
// of the queue's budget is given back then.
func TestDrainCutsAWideBatchForThePublishDue(t *testing.T) {
	defer func(n int) { ingestPartSamples = n }(ingestPartSamples)
	ingestPartSamples = 100
	c := &tickingClock{}
	c.ms.Store(1_700_000_000_000)
	a := New(Options{Now: c.now, QueueSize: 16})
	ctx := context.Background()
	const n = 1000
	sub := a.Subscribe(0)
	defer sub.Close()
	require.Equal(t, "snapshot", next(t, sub).Type)
	a.ingest(completeWide("wide", n+1, c.ms.Load(), 1)) // one series more than the next poll shows
	for a.tick(); a.backlog; a.tick() {
	}
	drain(t, sub)

	require.True(t, a.Push(ctx, completeWide("wide", n, c.ms.Load()+1000, 2)))
	require.True(t, a.Push(ctx, completeWide("other", 3, c.ms.Load()+1000, 2)))
	a.drainUntil(ctx, <-a.queue, time.UnixMilli(c.ms.Load()+3))
	require.NotNil(t, a.partial, "cut at the publish due")
	stored := a.partial.is.next
	require.Less(t, stored, n)
	require.Zero(t, stored%ingestPartSamples, "cut between two parts")
	require.Equal(t, 1, len(a.queue), "no batch taken past the deadline")
	live, stale := countSource(a, "wide")
	require.Equal(t, n+1, live, "nothing stale before the batch is all stored")
	require.Zero(t, stale)
	require.Equal(t, n+3, a.budget.queued(), "the cut batch still holds its samples")

	// The publish due: the part stored goes out (paced, if wide).
	a.tick()
	pts := decodeDelta(t, next(t, sub).Data).Points
	require.NotEmpty(t, pts)
	require.LessOrEqual(t, len(pts), stored)

	a.resume(time.Time{})
	require.Nil(t, a.partial)
	live, stale = countSource(a, "wide")
	require.Equal(t, n, live)
	require.Equal(t, 1, stale, "the series the poll did not show")
	require.Equal(t, 3, a.budget.queued())
	a.drain(ctx, <-a.queue)
	require.Zero(t, a.budget.queued())
	require.Equal(t, uint64(2*n+1+3), a.stats.ingested.Load())
}

// A batch of the source whose batch was cut is never stored before the
// rest of that one: its samples, a poll later, would otherwise find the
// series already past them (out of order) and the cut batch's rest would
// be refused.
func TestDrainFinishesACutBatchBeforeTheNextOfItsSource(t *testing.T) {
	defer func(n int) { ingestPartSamples = n }(ingestPartSamples)
	ingestPartSamples = 100
	c := &tickingClock{}
	c.ms.Store(1_700_000_000_000)
	a := New(Options{Now: c.now, QueueSize: 16})
	ctx := context.Background()
	const n = 1000
	t0 := c.ms.Load()
	require.True(t, a.Push(ctx, completeWide("wide", n, t0, 1)))
	require.True(t, a.Push(ctx, completeWide("other", 5, t0, 1)))
	a.drainUntil(ctx, <-a.queue, time.UnixMilli(t0+3))
	require.NotNil(t, a.partial)
	a.drain(ctx, <-a.queue) // another source's batch: the cut one waits
	require.NotNil(t, a.partial)
	require.True(t, a.Push(ctx, completeWide("wide", n, t0+1000, 2)))
	a.drain(ctx, <-a.queue) // the same source's next poll: the cut one first
	require.Nil(t, a.partial)
	require.Equal(t, uint64(2*n+5), a.stats.ingested.Load())
	require.Empty(t, rejected(a), "nothing out of order")
	require.Zero(t, a.budget.queued())
}

// A source removed while its batch is cut: the rest of the batch is
// dropped and counted as orphaned, and nothing of it comes back.
func TestDrainDropsACutBatchOfARemovedSource(t *testing.T) {
	defer func(n int) { ingestPartSamples = n }(ingestPartSamples)
	ingestPartSamples = 100
	c := &tickingClock{}
	c.ms.Store(1_700_000_000_000)
	var sources atomic.Value
	sources.Store([]SourceInfo{{Name: "wide"}, {Name: "other"}})
	a := New(Options{Now: c.now, QueueSize: 16, Sources: func() []SourceInfo { return sources.Load().([]SourceInfo) }})
	ctx := context.Background()
	a.ingest(completeWide("other", 2, c.ms.Load(), 1))
	a.tick() // the sources as they are
	const n = 1000
	require.True(t, a.Push(ctx, completeWide("wide", n, c.ms.Load(), 1)))
	a.drainUntil(ctx, <-a.queue, time.UnixMilli(c.ms.Load()+3))
	require.NotNil(t, a.partial)
	stored := a.partial.is.next

	sources.Store([]SourceInfo{{Name: "other"}})
	a.SourcesChanged()
	a.tick()
	a.resume(time.Time{})
	require.Nil(t, a.partial)
	live, stale := countSource(a, "wide")
	require.Zero(t, live+stale, "no series of the removed source")
	require.Equal(t, uint64(n-stored), a.stats.orphaned.Load())
	require.Zero(t, a.budget.queued())
	a.mu.RLock()
	_, kept := a.st.batchOrder["wide"]
	a.mu.RUnlock()
	require.False(t, kept, "the removed source's batch order is not kept")
	require.Equal(t, fmt.Sprint([]string{"other"}), fmt.Sprint(sourceNames(a)))
}

func sourceNames(a *Aggregator) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var names []string
	for _, s := range a.st.all {
		if len(names) == 0 || names[len(names)-1] != s.source {
			names = append(names, s.source)
		}
	}
	return names
}
