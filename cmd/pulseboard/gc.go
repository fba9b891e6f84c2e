package main

import (
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// defaultGOGC is the garbage collector's target pulseboard runs with when
// the GOGC environment variable is not set: a collection once the heap
// has grown by half of what the last one kept, instead of Go's default of
// all of it. pulseboard's live heap is small (about 8 MB for 80 series)
// and grows slowly between collections, so collecting twice as often
// costs about a millisecond of CPU a minute, and keeps about 2.5 MB less
// resident (32 MB → 29.5 MB for the overhead configuration of
// BENCHMARKS.md). GOGC and GOMEMLIMIT, set, are obeyed as in any Go
// program.
const defaultGOGC = 50

// tuneGC applies defaultGOGC unless getenv("GOGC") is set, and makes
// memoryLimit (aggregator.memory_limit, bytes) the runtime's soft memory
// limit unless getenv("GOMEMLIMIT") is set: a config is accepted only if
// the store's estimated heap, with the garbage GOGC lets pile up, fits
// in it (configs/memory.go), and when the sources produce faster than
// the store takes them, garbage piles up faster than one core collects
// it; the limit makes the collector run before the heap passes it. The
// run command calls it once, before anything starts.
func tuneGC(getenv func(string) string, memoryLimit int64) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGOGC)
	}
	if getenv("GOMEMLIMIT") == "" && memoryLimit > 0 {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// memoryReleaser gives memory back to the system, off the caller's
// goroutine, when the aggregator let go of a reload's removed sources
// (aggregator.Options.Dropped). Without it the heap of a 10,000-series
// source came back minutes after its removal: the runtime collects when
// the heap reaches a goal set by the larger heap before, and scavenges
// what it freed slowly. One release runs at a time; a drop while one runs
// makes it run once more, so that nothing dropped after its collection
// began is left for the runtime. Its methods are safe for concurrent use.
type memoryReleaser struct {
	free             func() // freeOSMemory; tests count
	pending, running atomic.Bool
	wg               sync.WaitGroup
}

// release asks for a release; it never blocks (the aggregator calls it
// under its lock). series is how many series were let go.
func (m *memoryReleaser) release(series int) {
	if series <= 0 {
		return
	}
	m.pending.Store(true)
	if !m.running.CompareAndSwap(false, true) {
		return // the running one sees pending
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		for {
			for m.pending.Swap(false) {
				m.free()
			}
			m.running.Store(false)
			// A release asked between the last Swap and the Store above
			// found running still true: take it on, unless another did.
			if !m.pending.Load() || !m.running.CompareAndSwap(false, true) {
				return
			}
		}
	}()
}

// wait returns once no release runs; the program calls it as it closes.
func (m *memoryReleaser) wait() { m.wg.Wait() }
