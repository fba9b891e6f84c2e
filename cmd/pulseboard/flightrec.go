package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The flight recorder is a debugging aid, off unless its environment
// variable is set:
//
//	PULSEBOARD_TRACE_SLOW=20ms PULSEBOARD_TRACE_DIR=/tmp/traces pulseboard …
//
// It keeps the last few seconds of the runtime's execution trace in memory
// (runtime/trace.FlightRecorder) and writes them to a file when a delta's
// delivery to a WebSocket client (build to write returned, as
// pulseboard_ws_delivery_delay_seconds times it) takes longer than
// PULSEBOARD_TRACE_SLOW: `go tool trace FILE` then shows what the slow
// writer and everything else was doing before it (runnable and waiting,
// blocked on a lock, in a syscall, the collector), and, from the CPU
// profile's samples it carries, where a goroutine that ran long spent its
// time. PULSEBOARD_TRACE_DIR
// defaults to the system's temporary directory. Tracing costs a few
// percent of CPU while it runs.
const (
	envTraceSlow = "PULSEBOARD_TRACE_SLOW"
	envTraceDir  = "PULSEBOARD_TRACE_DIR"
	// traceWindow is how much of the past a dump holds (at least).
	traceWindow = 3 * time.Second
	// traceMaxBytes bounds the recorder's buffer.
	traceMaxBytes = 64 << 20
	// traceMaxFiles bounds the dumps of one run, traceGap their rate: a
	// machine that is slow all the time fills no disk.
	traceMaxFiles = 20
	traceGap      = 10 * time.Second
)

// flightRecorder dumps the recent execution trace when a delivery is slow.
// observe is called on the writers' goroutines; the dump runs on its own,
// one at a time.
type flightRecorder struct {
	fr   *trace.FlightRecorder
	cpu  bool // a CPU profile was started with it, to stop with it
	slow time.Duration
	dir  string
	log  *slog.Logger
	now  func() time.Time

	busy  atomic.Bool // a dump is being written
	wg    sync.WaitGroup
	mu    sync.Mutex // guards last and files
	last  time.Time
	files int
}

// startFlightRecorder starts the recorder the environment asks for: nil,
// nil when envTraceSlow is unset; an error for a bad value or a recorder
// that cannot start (another trace is running).
func startFlightRecorder(getenv func(string) string, log *slog.Logger) (*flightRecorder, error) {
	v := getenv(envTraceSlow)
	if v == "" {
		return nil, nil
	}
	slow, err := time.ParseDuration(v)
	if err != nil || slow <= 0 {
		return nil, fmt.Errorf("%s=%q: want a positive duration such as 20ms", envTraceSlow, v)
	}
	dir := getenv(envTraceDir)
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %w", envTraceDir, err)
	}
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: traceWindow, MaxBytes: traceMaxBytes})
	if err := fr.Start(); err != nil {
		return nil, fmt.Errorf("flight recorder: %w", err)
	}
	// A CPU profile running beside the trace puts its samples in it: a
	// goroutine that ran long shows where (the profile itself is thrown
	// away). Another profile already running is no reason to refuse.
	cpuProfiling := pprof.StartCPUProfile(io.Discard) == nil
	log.Warn("flight recorder on: a slow delivery writes a trace", "slow", slow, "dir", dir)
	return &flightRecorder{fr: fr, cpu: cpuProfiling, slow: slow, dir: dir, log: log, now: time.Now}, nil
}

// observe takes one delivery's delay; past the threshold it starts a dump,
// unless one is being written, the last was less than traceGap ago or
// traceMaxFiles were written. It never blocks.
func (r *flightRecorder) observe(delay time.Duration) {
	if delay < r.slow {
		return
	}
	// Marks the slow writer's goroutine in the trace: the log event is at
	// the write's end, its delay says where to look back to.
	trace.Log(context.Background(), "slow-delivery", strconv.FormatInt(delay.Microseconds(), 10))
	if !r.busy.CompareAndSwap(false, true) {
		return
	}
	r.mu.Lock()
	now := r.now()
	due := r.files < traceMaxFiles && (r.last.IsZero() || now.Sub(r.last) >= traceGap)
	if due {
		r.last = now
		r.files++
	}
	n := r.files
	r.mu.Unlock()
	if !due {
		r.busy.Store(false)
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer r.busy.Store(false)
		name := filepath.Join(r.dir, fmt.Sprintf("pulseboard-slow-%02d-%s-%dms.trace", n, now.UTC().Format("150405"), delay.Milliseconds()))
		if err := r.dump(name); err != nil {
			r.log.Error("flight recorder: writing the trace", "err", err)
			return
		}
		r.log.Warn("flight recorder: slow delivery, trace written", "delay", delay, "file", name)
	}()
}

func (r *flightRecorder) dump(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if _, err := r.fr.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// stop waits for a dump being written and stops the recorder.
func (r *flightRecorder) stop() {
	r.wg.Wait()
	r.fr.Stop()
	if r.cpu {
		pprof.StopCPUProfile()
	}
}
