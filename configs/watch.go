package configs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long a config file must stay quiet after a
// regular file was renamed over it (or created at its name) before the
// change is reported: long enough to swallow the several events of one
// save, short enough to feel immediate. A file renamed into place was
// complete before it took the name.
const DefaultDebounce = 250 * time.Millisecond

// DefaultSettle is how long a config file must stay quiet, and unchanged,
// after it was written in place, went away (removed, renamed) or became a
// symlink to another file before the change is reported. A file written in place is read by whoever looks
// while it is half-written: trial 14 round 6 saw a file written in two
// chunks 600 ms apart applied after the first (a source removed, then
// re-added 0.63 s later), and 17 of 105 torn rewrites applied. One second
// is over the pauses of a slow copy or a templating tool between its
// writes, and an in-place save (`>`, nano, VS Code) still applies about a
// second after it. A writer that pauses longer mid-file is not told from
// one that finished; an atomic save (write beside, rename over) is the
// way to be sure, and applies after DefaultDebounce.
const DefaultSettle = time.Second

// Errors of Watcher.Serve, for errors.Is.
var (
	// ErrWatchDirGone: the directory holding the config file was removed
	// or renamed, so nothing in it can be seen any more.
	ErrWatchDirGone = errors.New("config directory is gone")
	// ErrAlreadyWatching: Serve was called while another Serve of the same
	// Watcher still runs.
	ErrAlreadyWatching = errors.New("config watcher already running")
)

// WatchOptions tune a Watcher. Zero values take defaults.
type WatchOptions struct {
	// Debounce is how long the file must stay quiet after a regular file
	// was renamed over it before the change is reported; DefaultDebounce
	// when zero.
	Debounce time.Duration
	// Settle is how long the file must stay quiet and unchanged after it
	// was written in place, went away or became a symlink to another
	// file; DefaultSettle when zero, and
	// never shorter than Debounce.
	Settle time.Duration
}

// Watcher reports changes to one config file.
//
// It watches the file's directory rather than the file, so that it keeps
// seeing the file across the ways editors and deployers replace it: written
// in place, written to a temporary file renamed over it, removed and
// created again, or (Kubernetes ConfigMap volumes) reached through a
// symlink that is swapped to a new target. Events of other files in the
// directory are ignored. Bursts of events are debounced into one report.
//
// A file written in place is reported only once it has been quiet for the
// settle window and its state (device, inode, size, modification time, as
// os.Stat gives them through any symlink) is what it was when the window
// began: a write seen by no event (through a hard link elsewhere, a
// network filesystem) starts the window again. So does a symlink swapped
// to another file (a Kubernetes ConfigMap update applies a second after
// it). A regular file renamed over the name is reported after the
// shorter debounce, unless it is empty then (created, not yet written),
// which waits the settle window too.
//
// Reports arrive on Changes, a channel of capacity one: a report not yet
// received absorbs later ones, so a slow reader sees one report for many
// changes, never a backlog. A report says only that the file may have
// changed; the reader re-reads it.
type Watcher struct {
	path     string // absolute and clean, as given
	debounce time.Duration
	settle   time.Duration
	changes  chan struct{}

	mu       sync.Mutex
	watching chan struct{} // closed once the running Serve watches
	serving  atomic.Bool
	// failed is set when a Serve ended in an error: changes made until the
	// next Serve watches went unseen, so that Serve reports one at once.
	failed atomic.Bool

	// For tests: the debounce timer, and a look at every event handled.
	newTimer func(time.Duration) (<-chan time.Time, func() bool)
	observe  func(ev fsnotify.Event, relevant bool)
	// stat is the file's state for the settle window (statFile).
	stat func(path string) FileState
}

// NewWatcher returns a Watcher of the file at path. Nothing is watched
// until Serve runs. The file need not exist yet; its directory must when
// Serve starts.
func NewWatcher(path string, opts WatchOptions) (*Watcher, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", path, err)
	}
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.Settle <= 0 {
		opts.Settle = DefaultSettle
	}
	opts.Settle = max(opts.Settle, opts.Debounce)
	return &Watcher{
		path:     abs,
		debounce: opts.Debounce,
		settle:   opts.Settle,
		stat:     StatFile,
		changes:  make(chan struct{}, 1),
		watching: make(chan struct{}),
		newTimer: func(d time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(d)
			return t.C, t.Stop
		},
	}, nil
}

// Path returns the absolute path of the watched file.
func (w *Watcher) Path() string { return w.path }

// Changes delivers one value per debounced change of the file.
func (w *Watcher) Changes() <-chan struct{} { return w.changes }

// Watching returns a channel closed once the running Serve (or, between
// two, the next one) has the directory watched: a change made after that
// is reported. Each Serve gets a new channel when the previous one ends.
func (w *Watcher) Watching() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.watching
}

// Serve watches the file until ctx is cancelled, then returns nil. It
// returns an error when the directory cannot be watched, or is removed or
// renamed while watched (ErrWatchDirGone); Serve may then be called again,
// and reports a change as soon as it watches again, since changes made in
// between went unseen. Only one Serve runs at a time.
func (w *Watcher) Serve(ctx context.Context) (err error) {
	if !w.serving.CompareAndSwap(false, true) {
		return ErrAlreadyWatching
	}
	defer w.serving.Store(false)
	defer func() {
		if err != nil {
			w.failed.Store(true)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		select {
		case <-w.watching: // this Serve watched: the next needs a new channel
			w.watching = make(chan struct{})
		default:
		}
	}()

	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", w.path, err)
	}
	defer fw.Close()

	t, err := w.newTarget(fw)
	if err != nil {
		return err
	}
	w.mu.Lock()
	close(w.watching)
	w.mu.Unlock()
	if w.failed.Swap(false) {
		w.report()
	}
	return w.loop(ctx, fw, t)
}

// loop handles events until ctx ends or the directory goes.
//
// How the wait works: every relevant event (re)arms one timer, for the
// settle window when the file was written in place or went away since
// the last report (inPlace), for the debounce otherwise, and notes the
// file's state. When the timer fires, the file is looked at again: if its
// state moved, or it is empty after a fast-path wait, the wait starts
// again on the settle window; else the change is reported.
func (w *Watcher) loop(ctx context.Context, fw *fsnotify.Watcher, t *target) error {
	var fire <-chan time.Time
	stop := func() bool { return false }
	defer func() { stop() }()
	inPlace := false
	var armedAt FileState
	arm := func() {
		stop()
		d := w.debounce
		if inPlace {
			d = w.settle
		}
		armedAt = w.stat(w.path)
		fire, stop = w.newTimer(d)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fw.Events:
			if !ok {
				return fmt.Errorf("watch %s: %w", t.dir, fsnotify.ErrClosed)
			}
			if filepath.Clean(ev.Name) == t.dir && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				return fmt.Errorf("watch %s: %w", t.dir, ErrWatchDirGone)
			}
			relevant, written := t.relevant(fw, ev)
			if relevant {
				inPlace = inPlace || written
				arm()
			}
			if w.observe != nil {
				w.observe(ev, relevant)
			}
		case err, ok := <-fw.Errors:
			if !ok {
				return fmt.Errorf("watch %s: %w", t.dir, fsnotify.ErrClosed)
			}
			if !errors.Is(err, fsnotify.ErrEventOverflow) {
				return fmt.Errorf("watch %s: %w", t.dir, err)
			}
			inPlace = true // events were lost: the file may be being written
			arm()
		case <-fire:
			fire, stop = nil, func() bool { return false }
			now := w.stat(w.path)
			if now != armedAt || (!inPlace && now.Empty()) {
				inPlace = true
				arm()
				continue
			}
			inPlace = false
			w.report()
		}
	}
}

// report sends a change unless one is already waiting to be received.
func (w *Watcher) report() {
	select {
	case w.changes <- struct{}{}:
	default:
	}
}

// target is what one Serve watches: the file's directory (symlinks in it
// resolved, so event names match) and, when the file is a symlink into
// another directory, that directory too.
type target struct {
	dir     string // the file's directory, resolved
	file    string // dir + the file's base name
	real    string // where file leads after every symlink; "" if nowhere
	realDir string // the extra directory watched for real, "" if none
}

func (w *Watcher) newTarget(fw *fsnotify.Watcher) (*target, error) {
	dir, err := filepath.EvalSymlinks(filepath.Dir(w.path))
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", w.path, err)
	}
	t := &target{dir: dir, file: filepath.Join(dir, filepath.Base(w.path))}
	if err := fw.Add(dir); err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	t.follow(fw)
	return t, nil
}

// relevant says whether ev may have changed what the file reads as. An
// event names the file itself, or what it leads to, or it moved a symlink
// on the way so that the file now leads elsewhere (how Kubernetes swaps a
// ConfigMap: it renames a new "..data" symlink over the old one). A bare
// change of mode or owner leaves the content as it was.
//
// written says the file was written in place (a write into it or what it
// leads to, a truncation), went away (removed or renamed from its name)
// or now leads through a symlink to another file: what the settle window
// waits out. A creation of a regular file at the name (which is also how
// a rename onto the name is told) is not.
func (t *target) relevant(fw *fsnotify.Watcher, ev fsnotify.Event) (relevant, written bool) {
	if ev.Op == fsnotify.Chmod {
		return false, false
	}
	name := filepath.Clean(ev.Name)
	before := t.real
	t.follow(fw)
	itself := name == t.file || (before != "" && name == before) || (t.real != "" && name == t.real)
	swapped := t.real != before
	relevant = itself || swapped
	// A symlink now leading to another file is waited out like a write:
	// nothing says that file is complete (trial: `ln` to a file still
	// being written applied its first half). A file renamed over the name
	// itself was complete before its writer renamed it.
	written = (itself && ev.Has(fsnotify.Write|fsnotify.Remove|fsnotify.Rename)) ||
		(swapped && t.real != "" && t.real != t.file)
	return relevant, written
}

// follow resolves the file again and watches the directory it now leads
// to, when that is not the file's own.
func (t *target) follow(fw *fsnotify.Watcher) {
	real, err := filepath.EvalSymlinks(t.file)
	if err != nil {
		real = "" // not there (yet): its creation will be seen in dir
	}
	t.real = real
	realDir := ""
	if real != "" && filepath.Dir(real) != t.dir {
		realDir = filepath.Dir(real)
	}
	if realDir == t.realDir {
		return
	}
	if t.realDir != "" {
		_ = fw.Remove(t.realDir) // may be gone already, its watch with it
	}
	t.realDir = ""
	if realDir != "" && fw.Add(realDir) == nil {
		t.realDir = realDir
	}
}

// FileState is what the settle window compares of a file: where it is
// (device, inode) and what os.Stat says of its content (size,
// modification time), through any symlink. Missing is set, and the rest
// zero, when it cannot be stat'ed. Comparable with ==.
type FileState struct {
	Missing bool
	Dev     uint64
	Ino     uint64
	Size    int64
	ModTime int64 // ns since the epoch
}

// Empty reports a file that is there with nothing in it.
func (s FileState) Empty() bool { return !s.Missing && s.Size == 0 }

// StatFile returns path's FileState. The watcher calls it on its own
// goroutine at each relevant event and when its timer fires, as it
// already resolved the file's symlinks there (a stat per component): a
// mount that hangs a stat holds the watch, never the reloader, whose
// reads are bounded (readRegular).
func StatFile(path string) FileState {
	st, err := os.Stat(path)
	if err != nil {
		return FileState{Missing: true}
	}
	s := FileState{Size: st.Size(), ModTime: st.ModTime().UnixNano()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		s.Dev, s.Ino = uint64(sys.Dev), sys.Ino // Dev is int32 on some systems
	}
	return s
}
