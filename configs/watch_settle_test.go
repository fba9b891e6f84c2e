package configs

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The settle window: a file written in place is reported only once it has
// been quiet for DefaultSettle, and unchanged across it. Trial 14 round 6
// (F3): a file written in two chunks 600 ms apart was applied after the
// first, with the 250 ms debounce. These tests use the fake timer of
// watch_test.go: a timer's duration is the wait the watcher chose.

// writeInPlace opens path without replacing it and writes data at its
// start, truncating it first when truncate is set, as `>` and a slow copy
// do; the file stays the same inode.
func writeInPlace(t *testing.T, path, data string, truncate bool) {
	t.Helper()
	flags := os.O_WRONLY | os.O_APPEND
	if truncate {
		flags = os.O_WRONLY | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0)
	require.NoError(t, err)
	_, err = f.WriteString(data)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func TestWatchWaitsOutAFileWrittenInPlace(t *testing.T) {
	path := newConfigFile(t)
	h := watch(t, path)

	// The first half, then the second while the wait runs: one wait, of
	// the settle window, restarted by the second half; one report.
	writeInPlace(t, path, "sources:\n  - {name: a, type: host}\n", true)
	h.sync(t)
	armed := h.clock.armed()
	require.Len(t, armed, 1)
	require.Equal(t, DefaultSettle, armed[0].d, "a file written in place waits the settle window")
	writeInPlace(t, path, "  - {name: b, type: host}\n", false)
	h.sync(t)
	h.requireOneReport(t, DefaultSettle)

	// An atomic save after it is prompt again.
	renameOver(t, path, "sources: []\n")
	h.sync(t)
	h.requireOneReport(t, DefaultDebounce)
}

// A write no event tells of (through a hard link in another directory,
// as on a network filesystem written from elsewhere) is seen by the state
// compared when the wait ends: the wait starts again.
func TestWatchWaitsAgainWhenTheFileChangedUnseen(t *testing.T) {
	path := newConfigFile(t)
	link := filepath.Join(t.TempDir(), "elsewhere.yaml")
	require.NoError(t, os.Link(path, link))
	h := watch(t, path)

	writeInPlace(t, path, "sources:\n  - {name: a, type: host}\n", true)
	h.sync(t)
	require.Len(t, h.clock.armed(), 1)
	writeInPlace(t, link, "  - {name: b, type: host}\n", false)
	obs := h.sync(t)
	require.Zero(t, relevantCount(obs), "no event of the write through the link: %v", obs)
	require.Equal(t, 1, h.clock.fire())
	obs = h.sync(t)
	require.Zero(t, relevantCount(obs), "%v", obs)
	select {
	case <-h.w.Changes():
		t.Fatal("reported a file that changed during its wait")
	default:
	}
	h.requireOneReport(t, DefaultSettle)
}

// A file created and not yet written (a writer that opens, then is slow)
// is empty when the short wait ends: it waits the settle window for its
// content rather than being read empty.
func TestWatchWaitsForAnEmptyNewFile(t *testing.T) {
	path := newConfigFile(t)
	h := watch(t, path)
	require.NoError(t, os.Remove(path))
	h.sync(t)
	h.requireOneReport(t, DefaultSettle) // removed: reported once settled

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	require.NoError(t, err)
	defer f.Close()
	h.sync(t)
	armed := h.clock.armed()
	require.Len(t, armed, 1)
	require.Equal(t, DefaultDebounce, armed[0].d, "a creation alone is the fast path")
	require.Equal(t, 1, h.clock.fire())
	h.sync(t)
	select {
	case <-h.w.Changes():
		t.Fatal("reported an empty file at the short wait")
	default:
	}
	armed = h.clock.armed()
	require.Len(t, armed, 1)
	require.Equal(t, DefaultSettle, armed[0].d)

	_, err = f.WriteString("sources: []\n")
	require.NoError(t, err)
	h.sync(t)
	h.requireOneReport(t, DefaultSettle)
}

// The file replaced by a symlink to a file still being written: nothing
// says that file is complete, so the swap waits the settle window, and
// the writes into what it now leads to are writes in place. In the real
// binary, before, the first half was applied 250 ms after the swap.
func TestWatchSymlinkToAFileBeingWritten(t *testing.T) {
	path := newConfigFile(t)
	h := watch(t, path)
	target := filepath.Join(filepath.Dir(path), "next.yaml")
	writeFile(t, target, "sources:\n  - {name: a, type: host}\n")
	h.requireQuiet(t) // its events handled while it is not the config yet
	tmp := path + ".link"
	require.NoError(t, os.Symlink("next.yaml", tmp))
	require.NoError(t, os.Rename(tmp, path))
	h.sync(t)
	armed := h.clock.armed()
	require.Len(t, armed, 1)
	require.Equal(t, DefaultSettle, armed[0].d, "a swap to another file is waited out")

	writeInPlace(t, target, "  - {name: b, type: host}\n", false)
	h.sync(t)
	h.requireOneReport(t, DefaultSettle)

	// A regular file renamed over the link is the fast path again.
	renameOver(t, path, "sources: []\n")
	h.sync(t)
	h.requireOneReport(t, DefaultDebounce)
}

// The settle window is never shorter than the debounce.
func TestWatchSettleOptions(t *testing.T) {
	w, err := NewWatcher("x.yaml", WatchOptions{Debounce: 2 * time.Second})
	require.NoError(t, err)
	require.Equal(t, 2*time.Second, w.settle)
	w, err = NewWatcher("x.yaml", WatchOptions{})
	require.NoError(t, err)
	require.Equal(t, DefaultDebounce, w.debounce)
	require.Equal(t, DefaultSettle, w.settle)
}
