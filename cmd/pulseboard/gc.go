package main

import "runtime/debug"

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

// tuneGC applies defaultGOGC unless getenv("GOGC") is set. The run
// command calls it once, before anything starts.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGOGC)
	}
}
