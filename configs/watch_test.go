package configs

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/stretchr/testify/require"
)

// How the watcher tests synchronise, without sleeping:
//
// The debounce timer is a fake that fires only when the test says so, and
// the watcher shows the test every event it handled. inotify delivers the
// events of one watcher in order, and the watcher handles them in order, so
// once the test sees the event of a marker file it created last, every
// event caused before it has been handled: the test can then look at which
// timers are armed and know that nothing else is on its way. "No report"
// is asserted as "no timer armed and nothing on Changes" at such a point,
// which cannot pass by being early.

const waitBound = 10 * time.Second

type fakeClock struct {
	mu     sync.Mutex
	timers []*fakeTimer
}

type fakeTimer struct {
	d             time.Duration
	c             chan time.Time
	stopped, done bool
}

func (f *fakeClock) newTimer(d time.Duration) (<-chan time.Time, func() bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{d: d, c: make(chan time.Time, 1)}
	f.timers = append(f.timers, t)
	return t.c, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		was := !t.stopped && !t.done
		t.stopped = true
		return was
	}
}

// armed returns the timers neither stopped nor fired.
func (f *fakeClock) armed() []*fakeTimer {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*fakeTimer
	for _, t := range f.timers {
		if !t.stopped && !t.done {
			out = append(out, t)
		}
	}
	return out
}

// fire fires every armed timer, as if their time had come.
func (f *fakeClock) fire() int {
	armed := f.armed()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range armed {
		t.done = true
		t.c <- time.Now()
	}
	return len(armed)
}

type observed struct {
	name     string
	relevant bool
}

type watchHarness struct {
	w       *Watcher
	clock   *fakeClock
	seen    chan observed
	dir     string
	markers int
	// ended is closed when the latest Serve returned, with err.
	ended chan struct{}
	err   error
}

// watch starts a Watcher of path with a fake debounce clock and waits until
// it watches.
func watch(t *testing.T, path string) *watchHarness {
	t.Helper()
	w, err := NewWatcher(path, WatchOptions{})
	require.NoError(t, err)
	h := &watchHarness{w: w, clock: &fakeClock{}, seen: make(chan observed, 4096), dir: filepath.Dir(path)}
	w.newTimer = h.clock.newTimer
	w.observe = func(ev fsnotify.Event, relevant bool) {
		h.seen <- observed{filepath.Base(ev.Name), relevant}
	}
	h.start(t)
	return h
}

func (h *watchHarness) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	h.ended = ended
	watching := h.w.Watching()
	go func() {
		h.err = h.w.Serve(ctx)
		close(ended)
	}()
	t.Cleanup(func() {
		cancel()
		<-ended
	})
	select {
	case <-watching:
	case <-ended:
		t.Fatalf("watcher ended before watching: %v", h.err)
	case <-time.After(waitBound):
		t.Fatal("watcher never watched")
	}
}

// sync creates a marker file and returns what the watcher handled up to its
// event: by then it has handled every event caused before.
func (h *watchHarness) sync(t *testing.T) []observed {
	t.Helper()
	h.markers++
	marker := fmt.Sprintf("marker-%d", h.markers)
	require.NoError(t, os.WriteFile(filepath.Join(h.dir, marker), nil, 0o644))
	var got []observed
	timeout := time.After(waitBound)
	for {
		select {
		case o := <-h.seen:
			if o.name == marker {
				return got
			}
			got = append(got, o)
		case <-timeout:
			t.Fatalf("watcher never saw %s; saw %v", marker, got)
		}
	}
}

func relevantCount(obs []observed) int {
	n := 0
	for _, o := range obs {
		if o.relevant {
			n++
		}
	}
	return n
}

// requireOneReport fires the one armed debounce timer, which must be of
// d (DefaultDebounce for a file replaced whole, DefaultSettle for one
// written in place), and expects exactly one report for it.
func (h *watchHarness) requireOneReport(t *testing.T, d time.Duration) {
	t.Helper()
	armed := h.clock.armed()
	require.Len(t, armed, 1, "one debounce timer for the whole burst")
	require.Equal(t, d, armed[0].d)
	require.Equal(t, 1, h.clock.fire())
	select {
	case <-h.w.Changes():
	case <-time.After(waitBound):
		t.Fatal("no report after the debounce")
	}
	h.requireQuiet(t)
}

// requireQuiet asserts that nothing is reported nor about to be.
func (h *watchHarness) requireQuiet(t *testing.T) {
	t.Helper()
	obs := h.sync(t)
	require.Zero(t, relevantCount(obs), "relevant events: %v", obs)
	require.Empty(t, h.clock.armed(), "no debounce timer armed")
	select {
	case <-h.w.Changes():
		t.Fatal("a report nothing caused")
	default:
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// renameOver writes content to a temporary file beside path and renames it
// over path, as many editors and deploy tools save.
func renameOver(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	writeFile(t, tmp, content)
	require.NoError(t, os.Rename(tmp, path))
}

func newConfigFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pulseboard.yaml")
	writeFile(t, path, "sources: []\n")
	return path
}

func TestWatchDebounceCoalescesABurst(t *testing.T) {
	path := newConfigFile(t)
	h := watch(t, path)
	h.requireQuiet(t)

	// Writes in place and renames over, interleaved so the kernel cannot
	// merge them into fewer events.
	for i := range 5 {
		writeFile(t, path, fmt.Sprintf("# edit %d\n", i))
		renameOver(t, path, fmt.Sprintf("# save %d\n", i))
	}
	obs := h.sync(t)
	require.GreaterOrEqual(t, relevantCount(obs), 10, "every write and rename is seen: %v", obs)
	h.requireOneReport(t, DefaultSettle)
}

func TestWatchRenameOverTriggers(t *testing.T) {
	path := newConfigFile(t)
	h := watch(t, path)

	renameOver(t, path, "sources: []\n# saved\n")
	obs := h.sync(t)
	require.Contains(t, obs, observed{"pulseboard.yaml", true}, "the rename onto the file")
	require.NotContains(t, obs, observed{"pulseboard.yaml.tmp", true}, "the temporary file itself is not the config")
	h.requireOneReport(t, DefaultDebounce)
}

func TestWatchRemoveAndCreateTriggers(t *testing.T) {
	path := newConfigFile(t)
	h := watch(t, path)

	require.NoError(t, os.Remove(path))
	writeFile(t, path, "sources: []\n# again\n")
	obs := h.sync(t)
	require.GreaterOrEqual(t, relevantCount(obs), 2, "the removal and the creation: %v", obs)
	h.requireOneReport(t, DefaultSettle)
}

func TestWatchIgnoresOtherFiles(t *testing.T) {
	path := newConfigFile(t)
	h := watch(t, path)

	dir := filepath.Dir(path)
	writeFile(t, filepath.Join(dir, "other.yaml"), "x: 1\n")
	writeFile(t, filepath.Join(dir, ".pulseboard.yaml.swp"), "swap")
	writeFile(t, filepath.Join(dir, "pulseboard.yaml.bak"), "old")
	require.NoError(t, os.Rename(filepath.Join(dir, "other.yaml"), filepath.Join(dir, "other2.yaml")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.Remove(filepath.Join(dir, "pulseboard.yaml.bak")))
	require.NoError(t, os.Chmod(path, 0o600)) // mode only: the content is the same

	obs := h.sync(t)
	require.NotEmpty(t, obs, "the other files' events were handled")
	require.Zero(t, relevantCount(obs), "%v", obs)
	h.requireQuiet(t)
}

// A Kubernetes ConfigMap volume: the file is a symlink through "..data",
// itself a symlink to a timestamped directory; an update writes a new
// directory and renames a new "..data" over the old one.
func TestWatchSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	writeVersion := func(name, content string) {
		require.NoError(t, os.Mkdir(filepath.Join(dir, name), 0o755))
		writeFile(t, filepath.Join(dir, name, "pulseboard.yaml"), content)
	}
	writeVersion("..v1", "sources: []\n")
	require.NoError(t, os.Symlink("..v1", filepath.Join(dir, "..data")))
	path := filepath.Join(dir, "pulseboard.yaml")
	require.NoError(t, os.Symlink(filepath.Join("..data", "pulseboard.yaml"), path))
	h := watch(t, path)
	h.requireQuiet(t)

	writeVersion("..v2", "sources: []\n# v2\n")
	require.NoError(t, os.Symlink("..v2", filepath.Join(dir, "..data_tmp")))
	require.NoError(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "..v1")))
	obs := h.sync(t)
	// Which event counts depends on how far the swap went when the watcher
	// resolved the link again: the one after "..data" moved at the latest.
	require.Positive(t, relevantCount(obs), "the swap of the link on the way: %v", obs)
	// A swap to another file waits the settle window: nothing says that
	// file is complete (Kubernetes writes it first; a hand-made link may not).
	h.requireOneReport(t, DefaultSettle)

	// The directory the link now leads to is watched in its place.
	writeFile(t, filepath.Join(dir, "..v2", "pulseboard.yaml"), "sources: []\n# v2 edited\n")
	h.sync(t)
	h.requireOneReport(t, DefaultSettle)
}

func TestWatchSymlinkToAnotherDirectory(t *testing.T) {
	real := newConfigFile(t)
	path := filepath.Join(t.TempDir(), "pulseboard.yaml")
	require.NoError(t, os.Symlink(real, path))
	h := watch(t, path)

	writeFile(t, filepath.Join(filepath.Dir(real), "unrelated.yaml"), "x: 1\n")
	h.requireQuiet(t)

	renameOver(t, real, "sources: []\n# edited where it lives\n")
	obsReal := h.sync(t)
	require.Positive(t, relevantCount(obsReal), "%v", obsReal)
	h.requireOneReport(t, DefaultDebounce)
}

func TestWatchDirectoryGoneThenBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "conf")
	require.NoError(t, os.Mkdir(dir, 0o755))
	path := filepath.Join(dir, "pulseboard.yaml")
	writeFile(t, path, "sources: []\n")
	h := watch(t, path)

	require.NoError(t, os.RemoveAll(dir))
	select {
	case <-h.ended:
		require.ErrorIs(t, h.err, ErrWatchDirGone)
	case <-time.After(waitBound):
		t.Fatal("Serve went on without its directory")
	}
	for len(h.seen) > 0 {
		<-h.seen // what the ended Serve saw
	}

	// Serving again once the directory is back reports a change at once:
	// whatever happened in between went unseen.
	require.NoError(t, os.Mkdir(dir, 0o755))
	writeFile(t, path, "sources: []\n# recreated\n")
	h.start(t)
	select {
	case <-h.w.Changes():
	case <-time.After(waitBound):
		t.Fatal("no report after serving again")
	}
	h.requireQuiet(t)
}

func TestWatchMissingDirectoryIsAnError(t *testing.T) {
	w, err := NewWatcher(filepath.Join(t.TempDir(), "nope", "pulseboard.yaml"), WatchOptions{})
	require.NoError(t, err)
	err = w.Serve(context.Background())
	require.ErrorIs(t, err, fs.ErrNotExist)
	select {
	case <-w.Watching():
		t.Fatal("Watching closed though nothing is watched")
	default:
	}
}

func TestWatchLifecycle(t *testing.T) {
	path := newConfigFile(t)
	w, err := NewWatcher(path, WatchOptions{Debounce: time.Millisecond, Settle: time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, path, w.Path())

	// Stopped before it starts: returns at once, without error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, w.Serve(ctx))

	// One Serve at a time.
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Serve(ctx) }()
	<-w.Watching()
	require.ErrorIs(t, w.Serve(context.Background()), ErrAlreadyWatching)

	// The real debounce timer reports too.
	writeFile(t, path, "sources: []\n# real timer\n")
	select {
	case <-w.Changes():
	case <-time.After(waitBound):
		t.Fatal("no report with the real timer")
	}
	cancel()
	require.NoError(t, <-done)
	cancel() // stopping twice is harmless

	// Start again after a stop.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	watching := w.Watching()
	go func() { done <- w.Serve(ctx) }()
	<-watching
	writeFile(t, path, "sources: []\n# after restart\n")
	select {
	case <-w.Changes():
	case <-time.After(waitBound):
		t.Fatal("no report after serving again")
	}
	cancel()
	require.NoError(t, <-done)
}
