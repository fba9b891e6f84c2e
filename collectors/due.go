package collectors

import (
	"container/heap"
	"math"
	"sync"
	"sync/atomic"
)

// dueSlots counts, by time, the polls the collectors have scheduled and
// not started yet. Manager.Settled asks it whether a poll's time has come
// while its collector has not run yet: the Go runtime fires the timers of
// every source polling on one boundary at once, but runs their goroutines
// one after another, so with no poll running at a given instant the others
// may still be about to start. Counting them keeps the aggregator from
// publishing the first source's batch alone and the other ten a broadcast
// interval later, a second delta and a second wake-up every second
// (BENCHMARKS.md, "Overhead beside Netdata and Prometheus", run 4).
//
// add and remove take a lock (once per poll and collector); overdue, which
// the aggregator asks on every batch, is an atomic load. The distinct
// times are a min-heap: sources on hashed phases each have their own.
type dueSlots struct {
	mu    sync.Mutex
	count map[int64]int // Unix ns → collectors waiting for it
	times int64Heap     // the keys of count, smallest first
	// earliest is times' smallest, math.MaxInt64 when nothing is due.
	earliest atomic.Int64
}

func newDueSlots() *dueSlots {
	d := &dueSlots{count: make(map[int64]int)}
	d.earliest.Store(math.MaxInt64)
	return d
}

// add counts a collector waiting for t (Unix ns).
func (d *dueSlots) add(t int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.count[t] == 0 {
		heap.Push(&d.times, t)
	}
	d.count[t]++
	d.settle()
}

// remove uncounts a collector add counted at t: its poll started, or it
// stopped waiting.
func (d *dueSlots) remove(t int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch n := d.count[t]; {
	case n > 1:
		d.count[t] = n - 1
		return
	case n == 1:
		delete(d.count, t)
	default:
		return // not counted: nothing to undo
	}
	d.settle()
}

// settle pops the times nobody waits for any more from the top of the
// heap and publishes the smallest left. A time uncounted while not on
// top (a stopped or late collector) stays until it reaches the top, so
// the heap may hold it twice once it is counted again: both copies go
// when its count is 0 at the top. The caller holds mu.
func (d *dueSlots) settle() {
	for len(d.times) > 0 && d.count[d.times[0]] == 0 {
		heap.Pop(&d.times)
	}
	if len(d.times) > 0 {
		d.earliest.Store(d.times[0])
	} else {
		d.earliest.Store(math.MaxInt64)
	}
}

// overdue says whether some counted poll's time is at or before now
// (Unix ns).
func (d *dueSlots) overdue(now int64) bool { return d.earliest.Load() <= now }

// int64Heap is a container/heap of times (see dueSlots.settle).
type int64Heap []int64

func (h int64Heap) Len() int           { return len(h) }
func (h int64Heap) Less(i, j int) bool { return h[i] < h[j] }
func (h int64Heap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *int64Heap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *int64Heap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
