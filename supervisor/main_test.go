package supervisor

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var errBoom = errors.New("boom")

// action is what a fakeChild does, on start or on command.
type action int32

const (
	actRun     action = iota // run until cancelled, obeying commands
	actFail                  // return errBoom
	actPanic                 // panic("kaboom")
	actExitNil               // return nil
	actHang                  // stop obeying commands, return on cancellation
	actIgnore                // ignore cancellation until released
)

// orderLog is the ordered record of starts and stops of one test's
// children. A fake child logs its own stop (before its Serve returns, so
// stops are in the order the supervisor awaited them); starts are logged by
// the hook on EventStarted, in the order the supervisor launched them —
// the first line a child's goroutine runs is not ordered with its
// siblings'.
type orderLog struct {
	mu      sync.Mutex
	entries []string
}

func (l *orderLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, s)
}

// since returns the entries recorded from index i on.
func (l *orderLog) since(i int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries[i:])
}

func (l *orderLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// fakeChild is a failable child driven over channels. Each start does what
// onStart says; a running child (actRun) then obeys commands.
type fakeChild struct {
	name    string
	log     *orderLog
	cmds    chan action
	release chan struct{} // closed by free to let an actIgnore child return
	freed   sync.Once
	onStart atomic.Int32
	starts  atomic.Int32
}

func newFake(log *orderLog, name string) *fakeChild {
	return &fakeChild{name: name, log: log, cmds: make(chan action), release: make(chan struct{})}
}

func (f *fakeChild) Serve(ctx context.Context) error {
	f.starts.Add(1)
	defer f.log.add(f.name + " stop")
	act := action(f.onStart.Load())
	for {
		switch act {
		case actRun:
			select {
			case <-ctx.Done():
				return ctx.Err()
			case act = <-f.cmds:
			}
		case actFail:
			return fmt.Errorf("%s: %w", f.name, errBoom)
		case actPanic:
			panic("kaboom")
		case actExitNil:
			return nil
		case actHang:
			<-ctx.Done()
			return ctx.Err()
		case actIgnore:
			<-f.release
			return nil
		}
	}
}

// free lets every instance stuck in actIgnore return.
func (f *fakeChild) free() { f.freed.Do(func() { close(f.release) }) }

// freeAtEnd frees the child when the test ends, failed or not, so that no
// goroutine outlives it. Register it before serving: cleanups run last
// registered first, and the supervisor's stop must not wait on it.
func (f *fakeChild) freeAtEnd(t *testing.T) { t.Cleanup(f.free) }

// do sends a command to the running child; it blocks until the child takes it.
func (f *fakeChild) do(a action) { f.cmds <- a }

func (f *fakeChild) spec(r Restart) Spec { return Spec{Name: f.name, Service: f, Restart: r} }

// recorder collects the events given to a Hook, and logs starts to log
// when it has one.
type recorder struct {
	log *orderLog
	mu  sync.Mutex
	evs []Event
}

func (r *recorder) hook(e Event) {
	if r.log != nil && e.Kind == EventStarted {
		r.log.add(e.Child + " start")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, e)
}

func (r *recorder) events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.evs)
}

// of returns the events about one child, rendered "kind" or "kind:delay".
func (r *recorder) of(child string) []string {
	var out []string
	for _, e := range r.events() {
		if e.Child != child {
			continue
		}
		s := e.Kind.String()
		if e.Kind == EventRestarting || e.Kind == EventParked {
			s += ":" + e.Delay.String()
		}
		out = append(out, s)
	}
	return out
}

func (r *recorder) count(kind EventKind) int {
	n := 0
	for _, e := range r.events() {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// serving runs s.Serve in the background (inside a synctest bubble) and
// returns once everything has settled. In these bubbles time.Sleep is how a
// test moves the fake clock forward (backoffs, cooldowns, uptime), and
// synctest.Wait is how it waits for the supervisor to react: no test waits
// on real time. stop cancels it and returns what
// Serve returned.
func serving(t *testing.T, s *Supervisor) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx) }()
	synctest.Wait()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-errc
		})
		return err
	}
	t.Cleanup(func() { _ = stop() }) // also after a failed assertion
	return stop
}

func states(s *Supervisor) map[string]State {
	out := map[string]State{}
	for _, st := range s.Children() {
		out[st.Name] = st.State
	}
	return out
}

func status(t *testing.T, s *Supervisor, name string) ChildStatus {
	t.Helper()
	for _, st := range s.Children() {
		if st.Name == name {
			return st
		}
	}
	require.Failf(t, "no such child", "%q", name)
	return ChildStatus{}
}

// fixedRand makes jitter predictable: 0.5 is no jitter at all.
func fixedRand(v float64) func() float64 { return func() float64 { return v } }

// goexit ends the calling goroutine the way t.FailNow does.
func goexit() { runtime.Goexit() }
