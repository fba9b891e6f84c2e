package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/pulseboard/pulseboard/configs"
)

// loadBudget is how long a reload waits for the config file to be read
// and parsed. configs.Load is bounded (configs/limits.go: well under a
// second for any file it accepts to read), so what this catches is a read
// that hangs: a file on a network mount that stopped answering, a FIFO.
const loadBudget = 10 * time.Second

// loadTimeoutError is a reload abandoned because loading the file took
// longer than its budget. The load goes on, on its own goroutine; its
// result is dropped.
type loadTimeoutError struct {
	budget time.Duration
	stuck  int // > 0: refused without a load, this many are stuck already
}

func (e *loadTimeoutError) Error() string {
	if e.stuck > 0 {
		return fmt.Sprintf("config: %d earlier loads are still stuck reading the file; not loading again until one ends, the running config is unchanged", e.stuck)
	}
	return fmt.Sprintf("config: loading took longer than %v; abandoned, the running config is unchanged", e.budget)
}

// maxStuckLoads bounds the loads left running past their budget. Each
// holds a goroutine (and what it read) until its read returns; a reload
// while fewer are stuck still starts its own load, so a file that hangs
// for ever (a network mount that stopped answering) does not stop a
// symlink swapped to a good file from being applied.
const maxStuckLoads = 4

// Load states, for the race between a load ending and its budget running
// out: whichever moves the state first decides.
const (
	loadRunning int32 = iota
	loadEnded
	loadAbandoned
)

// loadWithin runs deps.load on a goroutine of its own and waits for it at
// most the budget, so that the reloader, which runs reloads one at a time,
// can never wedge on one. It returns a *loadTimeoutError when the budget
// runs out, and ctx's error when ctx ends first. An abandoned load goes
// on; when it ends, what it took is freed and it leaves the stuck count.
// With maxStuckLoads stuck, a reload is refused at once.
//
// It is called by Serve's goroutine only.
func (r *reloader) loadWithin(ctx context.Context) (*configs.Config, error) {
	if n := r.stuckLoads.Load(); n >= maxStuckLoads {
		return nil, &loadTimeoutError{budget: r.deps.loadBudget, stuck: int(n)}
	}
	timer := time.NewTimer(r.deps.loadBudget)
	defer timer.Stop()
	type result struct {
		cfg *configs.Config
		err error
	}
	done := make(chan result, 1)
	var state atomic.Int32
	go func() {
		cfg, err := r.deps.load(r.setup.path)
		done <- result{cfg, err}
		if !state.CompareAndSwap(loadRunning, loadEnded) { // abandoned
			r.stuckLoads.Add(-1)
			r.deps.freeMemory() // what the abandoned load took
		}
	}()
	select {
	case res := <-done:
		return res.cfg, res.err
	case <-timer.C:
	case <-ctx.Done():
	}
	if !state.CompareAndSwap(loadRunning, loadAbandoned) {
		res := <-done // it ended just now
		return res.cfg, res.err
	}
	r.stuckLoads.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, &loadTimeoutError{budget: r.deps.loadBudget}
}

// freeOSMemory gives the memory a rejected config took back to the
// system at once. A config within the limits may still take tens of MB
// to parse; the runtime would keep them for minutes, and a hostile file
// saved over the config would show as RSS that never comes down. Reloads
// are rare, so the collections this forces cost nothing that matters.
//
// Two collections: go-yaml's scanner keeps its last buffers (the whole
// source as runes, and more) in a sync.Pool, which only the second
// collection after their use lets go of.
func freeOSMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}
