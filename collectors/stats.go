package collectors

import (
	"maps"
	"sync"
	"time"

	"github.com/pulseboard/pulseboard/supervisor"
)

// Status is one configured source as of one moment: what it is, where its
// collector is in its life cycle, and its bookkeeping. Manager.Statuses
// returns them; the program maps them onto what its API and /metrics show.
type Status struct {
	Name string
	Type string
	// State is the collector's state under the collectors' supervisor:
	// StateStarting from Apply until the supervisor has taken it in.
	State supervisor.State
	Stats
}

// Stats is the bookkeeping of one source, as of one moment.
type Stats struct {
	// Polls counts every poll that finished or was abandoned.
	Polls uint64
	// Failures counts failed polls: errors, panics and hangs.
	Failures uint64
	// ConsecutiveFailures is how many polls in a row failed; it drives the
	// slower polling and returns to 0 on a success.
	ConsecutiveFailures uint64
	// Restarts counts starts of the source's collector after its first;
	// LastRestart is when the latest of them began (zero: never).
	Restarts    uint64
	LastRestart time.Time
	// Hangs counts polls abandoned by the watchdog; Stuck is how many of
	// their goroutines have still not returned.
	Hangs uint64
	Stuck int64
	// PartialErrors counts per-item errors and warnings of polls that
	// still succeeded (a missing JSON field, a repeated family).
	PartialErrors uint64
	// NonFinite counts ±Inf samples left out before pushing. NaN is a
	// value and is pushed like any other.
	NonFinite uint64
	// SeriesDropped counts series left out of polls, for any reason;
	// Dropped counts them by reason (see Partial.Dropped), nil if none.
	SeriesDropped uint64
	Dropped       map[string]uint64
	// SecretsMasked counts new series whose name or labels held one of the
	// source's secrets, masked before they were stored (Partial.Masked).
	SecretsMasked uint64
	// Shed counts batches the sink refused (its queue was full).
	Shed uint64
	// Samples counts samples handed to the sink.
	Samples uint64
	// Up says whether the latest poll of the current run succeeded (a
	// panic or a hang is a failed poll); false until the run's first poll
	// has finished, and after a run that failed (a crash request too).
	Up bool
	// LastError is the text of the latest failed poll, crash, or failure
	// to build the source; "" if there never was one. LastErrorAt is when
	// it happened. A successful poll leaves both as they are: Up tells
	// the present.
	LastError   string
	LastErrorAt time.Time
	// LastWarning is what went wrong in part in the latest poll that
	// succeeded in part (Partial, infinite values left out), one line;
	// "" if none ever did. LastWarningAt is when.
	LastWarning   string
	LastWarningAt time.Time
	// LastSuccess is when the latest successful poll started.
	LastSuccess time.Time
	// LastPoll is how long the latest poll took.
	LastPoll time.Duration
}

// sourceStats is the live, shared Stats of one source. The Manager keeps it
// by source name, so it outlives every restart of the source's collector.
type sourceStats struct {
	mu      sync.Mutex
	s       Stats
	started bool // the collector has started once; the next start is a restart
	// toldDown: a failing poll was told (HealthChange) and no success
	// since; guarded by mu.
	toldDown bool
}

func (st *sourceStats) snapshot() Stats {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.s
	s.Dropped = maps.Clone(s.Dropped)
	return s
}

func (st *sourceStats) update(f func(s *Stats)) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f(&st.s)
}

// begin records a start of the collector at now. A new run is not up
// until its first poll has succeeded.
func (st *sourceStats) begin(now time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.started {
		st.s.Restarts++
		st.s.LastRestart = now
	}
	st.started = true
	st.s.Up = false
}

// rebase makes the next start a first start again: a changed
// configuration starts a new collector, which is not a restart.
func (st *sourceStats) rebase() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.started = false
}

// fail records a failed poll (or a crash) at t; text is its error, already
// masked (collector.errText).
func (st *sourceStats) fail(t time.Time, took time.Duration, text string) {
	st.update(func(s *Stats) { bookFailure(s, t, took, text) })
}

// failTold books a failed poll as fail does and marks the row of failures
// told (HealthChange); first says whether this one is the first of its row
// to be told. One lock for both, so that a reader never sees the failure
// without the mark.
func (st *sourceStats) failTold(t time.Time, took time.Duration, text string) (first bool) {
	st.update(func(s *Stats) {
		first = s.ConsecutiveFailures == 0 || !st.toldDown
		st.toldDown = true
		bookFailure(s, t, took, text)
	})
	return first
}

func bookFailure(s *Stats, t time.Time, took time.Duration, text string) {
	s.Polls++
	s.Failures++
	s.ConsecutiveFailures++
	s.Up = false
	s.LastPoll = took
	s.LastError, s.LastErrorAt = text, t
}

// noteError records an error that is not a failed poll; text is masked.
func (st *sourceStats) noteError(t time.Time, text string) {
	st.update(func(s *Stats) { s.LastError, s.LastErrorAt = text, t })
}
