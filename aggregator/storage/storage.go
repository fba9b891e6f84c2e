package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the store's file inside Options.Dir.
const FileName = "pulseboard.db"

// DefaultLockTimeout is how long Open waits for another process' lock on
// the file when Options.LockTimeout is zero.
const DefaultLockTimeout = 100 * time.Millisecond

var (
	// ErrLocked is returned by Open when another pulseboard (another
	// process, or another open DB in this one) holds the data directory.
	// The wrapping error names the directory.
	ErrLocked = errors.New("storage: data directory is in use by another pulseboard")
	// ErrCorrupt is returned by reads and writes that meet bytes in the
	// file that do not decode (corruption Open did not see: Open checks
	// the file's structure, not every block).
	ErrCorrupt = errors.New("storage: data file is corrupt")
	// ErrInvalidBlock is returned by Write for a block or series it cannot
	// store (unknown tier, negative or reversed times, negative points);
	// nothing of that Write is stored, and the DB is not marked degraded.
	ErrInvalidBlock = errors.New("storage: invalid block")
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("storage: closed")
)

// Options configure Open.
type Options struct {
	// Dir is the data directory, created 0700 if missing; the store is
	// the file Dir/pulseboard.db (0600).
	Dir string
	// Retention bounds each tier by age and by bytes; a zero Limit keeps
	// the tier unbounded.
	Retention [NumTiers]Limit
	// Logger receives the corrupt-file, degraded and recovered lines; nil
	// discards them.
	Logger *slog.Logger
	// Now is the clock retention by time reads; nil is time.Now.
	Now func() time.Time
	// LockTimeout is how long Open waits for another process to release
	// the file before returning ErrLocked; zero is DefaultLockTimeout.
	LockTimeout time.Duration
	// OnHealth, when set, is called each time the store turns degraded
	// or recovers, with what Health then says; on the writer's goroutine,
	// after the write, holding no lock of the DB's. It must not block.
	OnHealth func(ok bool, detail string)
}

// DB is the block store: one bbolt file holding the series and their
// blocks per tier. It is safe for concurrent use by any goroutines:
// writes (Write, Enforce) are serialised, reads run beside them and see
// every Write that returned before they began.
type DB struct {
	bolt      *bolt.DB
	path      string
	log       *slog.Logger
	now       func() time.Time
	retention [NumTiers]Limit
	recovered string
	onHealth  func(ok bool, detail string)

	// wmu serialises Write, Enforce and Close: between them the
	// partitions in parts mirror the file's parts bucket exactly, so a
	// writer reads parts without mu.
	wmu    sync.Mutex
	closed bool

	mu       sync.Mutex // guards parts, degraded and detail for readers
	parts    [NumTiers][]partition
	journal  int64 // bytes (keys and values) of the journal; written under wmu too
	degraded bool
	detail   string

	flushSeconds prometheus.Histogram
	flushErrors  prometheus.Counter

	// failWrite, when set (tests only), fails every write transaction
	// before it commits, the way a full or read-only disk would.
	failWrite func() error
}

// Open opens or creates the store in o.Dir. It fails fast with an error
// wrapping ErrLocked when another pulseboard holds the directory (after
// o.LockTimeout). A file that is not a readable store of this format
// (garbage, truncated, another format or an unknown version) is renamed
// to pulseboard.db.corrupt-<unix seconds>, logged at Error with the
// reason, and a fresh file is started; Recovered then says so. Other
// errors (permissions, a read-only directory) are returned. The caller
// owns the DB and calls Close.
func Open(o Options) (*DB, error) {
	if o.Dir == "" {
		return nil, errors.New("storage: no data directory (Options.Dir is empty)")
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("storage: create data directory: %w", err)
	}
	db := &DB{
		path:      filepath.Join(o.Dir, FileName),
		log:       o.Logger,
		now:       o.Now,
		retention: o.Retention,
		onHealth:  o.OnHealth,
		flushSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pulseboard_storage_flush_seconds",
			Help:    "Duration of one write transaction to the history store (a flush), in seconds.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		flushErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_storage_flush_errors_total",
			Help: "Write transactions to the history store that failed (flushes and retention drops).",
		}),
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.now == nil {
		db.now = time.Now
	}
	timeout := o.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	if err := db.open(o.Dir, timeout); err != nil {
		return nil, err
	}
	dropCachedPages(db.path)
	return db, nil
}

// open opens db.path, moving a corrupt file aside once.
func (db *DB) open(dir string, timeout time.Duration) error {
	reason, err := db.openChecked(timeout)
	if errors.Is(err, berrors.ErrTimeout) {
		return lockedError(dir)
	}
	if err != nil {
		return fmt.Errorf("storage: open %s: %w", db.path, err)
	}
	if reason == "" {
		return nil
	}
	aside, err := moveAside(db.path, db.now())
	if err != nil {
		return fmt.Errorf("storage: %s is unreadable (%s) and could not be moved aside: %w", db.path, reason, err)
	}
	db.log.Error("storage: data file unreadable; moved aside, starting a fresh one",
		"path", db.path, "reason", reason, "moved_to", aside)
	db.recovered = fmt.Sprintf("%s was unreadable (%s); moved to %s and a fresh file started", db.path, reason, aside)
	reason, err = db.openChecked(timeout)
	if errors.Is(err, berrors.ErrTimeout) {
		return lockedError(dir)
	}
	if err == nil && reason != "" {
		err = errors.New(reason)
	}
	if err != nil {
		return fmt.Errorf("storage: open fresh %s: %w", db.path, err)
	}
	return nil
}

// lockedError names the directory another process holds.
func lockedError(dir string) error {
	return fmt.Errorf("%w: %s (its %s is locked)", ErrLocked, dir, FileName)
}

// Recovered describes the corrupt file Open moved aside ("" when it found
// none): the reason and where the file went, for the log and /readyz.
func (db *DB) Recovered() string { return db.recovered }

// Path is the store's file (Dir/pulseboard.db), for the start-up line.
func (db *DB) Path() string { return db.path }

// Close flushes nothing (every Write committed already) and releases the
// file and its lock. It waits for running reads and writes; later calls
// return ErrClosed. A second Close returns nil.
func (db *DB) Close() error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("storage: close %s: %w", db.path, err)
	}
	return nil
}
