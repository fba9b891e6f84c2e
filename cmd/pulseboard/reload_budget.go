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

// loadBudget is how long a reload, or a check, waits for the config file
// to be read and parsed. configs.Load is bounded: each file it reads is
// abandoned after 2 s (configs' readBudget: the config and at most three
// TLS files fit in this budget) and parsing takes well under a second for
// any file it accepts to read (configs/limits.go). What this catches is
// what is left: a machine so loaded that parsing crawls.
const loadBudget = 10 * time.Second

// loadTimeoutError is a load abandoned because it took longer than its
// budget. The load goes on, on its own goroutine; its result is dropped.
type loadTimeoutError struct {
	path   string // the config file, as given
	budget time.Duration
	stuck  int  // > 0: refused without a load, this many are stuck already
	check  bool // `pulseboard check`'s, not a reload's
}

func (e *loadTimeoutError) Error() string {
	switch {
	case e.stuck > 0:
		return fmt.Sprintf("%s: %d earlier loads are still running past their budget of %v; not loading again until one ends, the running config is unchanged", e.path, e.stuck, e.budget)
	case e.check:
		return fmt.Sprintf("%s: loading timed out: it took longer than %v, the budget a reload has too; abandoned", e.path, e.budget)
	}
	return fmt.Sprintf("%s: loading timed out: it took longer than %v; abandoned, the running config is unchanged", e.path, e.budget)
}

// maxStuckLoads bounds the loads left running past their budget. Each
// holds a goroutine (and what it read) until it ends, which it does once
// its reads time out (configs abandons each after 2 s, and refuses at
// once a file a stuck read is still on). A reload while fewer are stuck
// starts its own load, so a new file saved over the config is read; at
// the bound, a reload is refused at once until one ends.
const maxStuckLoads = 4

// loadChecked is `pulseboard check`'s load: load(path) within the same
// budget as a reload's, so that check ends, and says why, whatever the
// file does. The load is left running when the budget runs out (the
// process is about to exit). Called on main's goroutine.
func loadChecked(path string, load func(string) (*configs.Config, error), budget time.Duration) (*configs.Config, error) {
	type result struct {
		cfg *configs.Config
		err error
	}
	done := make(chan result, 1)
	go func() {
		cfg, err := load(path)
		done <- result{cfg, err}
	}()
	timer := time.NewTimer(budget)
	defer timer.Stop()
	select {
	case res := <-done:
		return res.cfg, res.err
	case <-timer.C:
		return nil, &loadTimeoutError{path: path, budget: budget, check: true}
	}
}

// Load states, for the race between a load ending and its budget running
// out: whichever moves the state first decides.
const (
	loadRunning int32 = iota
	loadEnded
	loadAbandoned
)

// loadWithin runs deps.load (through loadSettled, which reads a file
// that changed under it again) on a goroutine of its own and waits for it at
// most the budget, so that the reloader, which runs reloads one at a time,
// can never wedge on one. It returns a *loadTimeoutError when the budget
// runs out, and ctx's error when ctx ends first. An abandoned load goes
// on; when it ends, what it took is freed and it leaves the stuck count.
// With maxStuckLoads stuck, a reload is refused at once.
//
// It is called by Serve's goroutine only.
func (r *reloader) loadWithin(ctx context.Context) (*configs.Config, error) {
	if n := r.stuckLoads.Load(); n >= maxStuckLoads {
		return nil, &loadTimeoutError{path: r.setup.path, budget: r.deps.loadBudget, stuck: int(n)}
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
		cfg, err := loadSettled(r.setup.path, r.deps.load, r.deps.stat)
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
	return nil, &loadTimeoutError{path: r.setup.path, budget: r.deps.loadBudget}
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
