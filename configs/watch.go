package configs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long a config file must stay quiet after a change
// before the change is reported: long enough to swallow the several writes
// of one save, short enough to feel immediate.
const DefaultDebounce = 250 * time.Millisecond

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
	// Debounce is how long the file must stay quiet after a change before
	// the change is reported; DefaultDebounce when zero.
	Debounce time.Duration
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
// Reports arrive on Changes, a channel of capacity one: a report not yet
// received absorbs later ones, so a slow reader sees one report for many
// changes, never a backlog. A report says only that the file may have
// changed; the reader re-reads it.
type Watcher struct {
	path     string // absolute and clean, as given
	debounce time.Duration
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
	return &Watcher{
		path:     abs,
		debounce: opts.Debounce,
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
func (w *Watcher) loop(ctx context.Context, fw *fsnotify.Watcher, t *target) error {
	var fire <-chan time.Time
	stop := func() bool { return false }
	defer func() { stop() }()
	arm := func() {
		stop()
		fire, stop = w.newTimer(w.debounce)
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
			relevant := t.relevant(fw, ev)
			if relevant {
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
			arm() // events were lost: the file may have changed
		case <-fire:
			fire, stop = nil, func() bool { return false }
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
func (t *target) relevant(fw *fsnotify.Watcher, ev fsnotify.Event) bool {
	if ev.Op == fsnotify.Chmod {
		return false
	}
	name := filepath.Clean(ev.Name)
	before := t.real
	t.follow(fw)
	return name == t.file || (before != "" && name == before) || t.real != before
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
