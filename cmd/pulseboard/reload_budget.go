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
type loadTimeoutError struct{ budget time.Duration }

func (e *loadTimeoutError) Error() string {
	return fmt.Sprintf("config: loading took longer than %v; abandoned, the running config is unchanged", e.budget)
}

// loadWithin runs deps.load on a goroutine of its own and waits for it at
// most the budget, so that the reloader, which runs reloads one at a time,
// can never wedge on one. It returns a *loadTimeoutError when the budget
// runs out, and ctx's error when ctx ends first.
//
// At most one abandoned load runs at a time: a reload that finds one still
// running waits for it within the same budget before it starts its own.
// So a file that hangs costs one goroutine, not one per SIGHUP.
//
// It is called by Serve's goroutine only, which owns r.abandoned.
func (r *reloader) loadWithin(ctx context.Context) (*configs.Config, error) {
	timer := time.NewTimer(r.deps.loadBudget)
	defer timer.Stop()
	if r.abandoned != nil {
		select {
		case <-r.abandoned:
			r.abandoned = nil
		case <-timer.C:
			return nil, &loadTimeoutError{budget: r.deps.loadBudget}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	type result struct {
		cfg *configs.Config
		err error
	}
	done := make(chan result, 1)
	finished := make(chan struct{})
	var dropped atomic.Bool
	go func() {
		defer close(finished)
		cfg, err := r.deps.load(r.setup.path)
		done <- result{cfg, err}
		if dropped.Load() {
			r.deps.freeMemory() // what the abandoned load took
		}
	}()
	select {
	case res := <-done:
		return res.cfg, res.err
	case <-timer.C:
	case <-ctx.Done():
	}
	dropped.Store(true)
	r.abandoned = finished
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
