package aggregator

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrAlreadyServing is returned by Serve when another Serve call on the
// same Aggregator is still running.
var ErrAlreadyServing = errors.New("aggregator: already serving")

// counters are the aggregator's own metrics.
type counters struct {
	ingested, dropped, refused                atomic.Uint64
	refusedMemory, replaced                   atomic.Uint64 // memory_limit refusals; churn.go
	refusedChurn                              atomic.Uint64 // churn_limit refusals (churn_limit.go)
	evicted, conflations, droppedSubs, deltas atomic.Uint64
	eventsDropped, eventsSkipped, orphaned    atomic.Uint64
	flushFailures, tierShed, journalSkipped   atomic.Uint64
	paced                                     atomic.Uint64 // series left for a later delta (pace.go)
	rejected                                  [numRejectReasons]atomic.Uint64
}

// rejectReason is why the store refused a sample; each has a counter,
// pulseboard_samples_rejected_total{reason}.
type rejectReason uint8

const (
	rejectTooOld      rejectReason = iota // older than the history's horizon
	rejectOutOfOrder                      // older than its series' newest point
	rejectDuplicate                       // at its series' newest time, with another value
	rejectTooFarAhead                     // stamped further ahead than the history
	numRejectReasons
)

// rejectReasonNames are the reason label values, by rejectReason.
var rejectReasonNames = [numRejectReasons]string{"too_old", "out_of_order", "duplicate", "too_far_ahead"}

// Aggregator owns the series store, the ingest queue and the broker.
//
// All three live in the Aggregator value, not in Serve: Serve is only the
// loop that drains the queue, ticks broadcasts and sweeps the store. When
// Serve returns (cancelled, or after a panic its supervisor recovered) and
// is called again, it picks up the same queue, the same history and the
// same subscribers and seq, so a restart loses nothing but the time it
// took; batches pushed meanwhile wait in the queue or are shed and counted.
type Aggregator struct {
	opts       Options
	names      []string // window names, as in JSON
	queue      chan Batch
	budget     sampleBudget // the queue's samples (queue.go)
	stats      counters
	serving    atomic.Bool
	sweepEvery int64     // ms
	sweepRest  sweepRest // what the last tick left of its sweep
	// afterSnapshotUnlock, set by tests only, runs in SnapshotJSON between
	// its unlock and the rendering of the points.
	afterSnapshotUnlock func()

	// wake tells Serve that something outside the queue changed (capacity
	// 1: a pending wake says it all); sourcesChanged and treeChanged say
	// what, so a tick reads Options.Sources and Options.Tree only then.
	wake                        chan struct{}
	sourcesChanged, treeChanged atomic.Bool

	mu            sync.RWMutex // guards everything below, and the store
	st            *store
	seq           uint64
	sources       []SourceInfo // as of the last tick
	lastSweep     int64        // sweep slice index
	lastDeltaSize int
	// backlog says the last tick left series for a later one (pace.go):
	// Serve asks for another publish. Written by tick under mu, read by
	// Serve after its own tick.
	backlog bool
	tree    []byte // the program's tree as of the last tick, encoded
	// gone are sources that left the Sources list: their series were
	// dropped, and batches of theirs still queued are refused until the
	// source comes back.
	gone map[string]bool

	eventsMu      sync.Mutex
	pendingEvents []loggedEvent // announced, not yet published
	events        eventLog      // published lately, for snapshots (guarded by mu)

	// alertsMu guards alerts.pending and alerts.order; mu guards
	// alerts.published.
	alertsMu sync.Mutex
	alerts   alertState

	broker broker

	promOnce sync.Once
	prom     *promCollector

	// flushMu makes flushes run one at a time and guards flushFailing
	// (persist.go).
	flushMu      sync.Mutex
	flushFailing bool
	// persisted are the keys of the series Storage has a meta of (guarded
	// by mu): QueryRange answers for them after they left memory.
	persisted map[uint64]struct{}
	// previousRun is the newest time (Unix ms) Restore found stored: a
	// sample's or an event's; 0 when nothing was (PreviousRun).
	previousRun int64
}

// New returns an Aggregator ready to be served and pushed to.
func New(opts Options) *Aggregator {
	o := opts.withDefaults()
	a := &Aggregator{opts: o, queue: make(chan Batch, o.QueueSize), wake: make(chan struct{}, 1), persisted: map[uint64]struct{}{}}
	// The first tick reads both.
	a.sourcesChanged.Store(true)
	a.treeChanged.Store(true)
	a.budget.limit = o.QueueSamples
	a.st = newStore(o, &a.stats)
	_, a.st.journal = o.Storage.(journalStorage)
	a.st.journalSeq = 1
	a.st.pacer.spread = int(paceSpan / o.BroadcastInterval)
	if o.Storage != nil {
		a.st.reopen = a.reopenStored
	}
	for _, w := range o.Windows {
		name, ok := o.windowNames[w]
		if !ok {
			name = WindowName(w)
		}
		a.names = append(a.names, name)
	}
	a.sweepEvery = o.Windows[0].Milliseconds() / int64(o.SubBuckets)
	a.sweepEvery = max(1, min(a.sweepEvery, 1000))
	a.st.sweepIdleMs = 2 * a.sweepEvery
	a.lastSweep = headNone
	a.events = eventLog{max: o.EventLog, maxBytes: maxEventLogBytes, maxAgeMs: o.History.Milliseconds()}
	a.broker.init(a)
	return a
}

// Windows returns the window spans, shortest first: each configured span
// rounded up to a whole number of milliseconds a slice.
func (a *Aggregator) Windows() []time.Duration {
	return append([]time.Duration(nil), a.opts.Windows...)
}

// WindowNames returns the windows' names as the protocol and /metrics
// give them ("1m", "7s"), shortest first: the configured spans, not the
// rounded ones.
func (a *Aggregator) WindowNames() []string { return slices.Clone(a.names) }

// History returns how far back each series keeps its points.
func (a *Aggregator) History() time.Duration { return a.opts.History }

func (a *Aggregator) nowMs() int64 { return a.opts.Now().UnixMilli() }

// SourcesChanged tells the aggregator that what Options.Sources returns
// has changed: the next publish reads it and sends the sources that
// differ. It is safe from any goroutine (the collectors call it after
// every poll and state change), never blocks, and costs an atomic store
// and a non-blocking send; calls between two publishes coalesce.
func (a *Aggregator) SourcesChanged() {
	a.sourcesChanged.Store(true)
	a.wakeUp()
}

// TreeChanged tells the aggregator that what Options.Tree returns may
// have changed: the next publish encodes it and sends it if it differs.
// Like SourcesChanged it is safe from any goroutine and never blocks (the
// supervisors call it on every state change).
func (a *Aggregator) TreeChanged() {
	a.treeChanged.Store(true)
	a.wakeUp()
}

func (a *Aggregator) wakeUp() {
	select {
	case a.wake <- struct{}{}:
	default: // a wake is pending already
	}
}

func (a *Aggregator) ingestLocked(b Batch, now int64) {
	if a.gone[b.Source] {
		a.stats.orphaned.Add(uint64(len(b.Samples)))
		return
	}
	a.st.ingest(b, now)
	if a.st.rejectsChanged { // the source's warning changed: read it again
		a.st.rejectsChanged = false
		a.SourcesChanged()
	}
}

func (a *Aggregator) encoder(nowMs int64) *encoder {
	return &encoder{st: a.st, names: a.names, sources: a.currentSources(), fromMs: nowMs - a.opts.History.Milliseconds()}
}

// currentSources is the latest source list: polled at the last tick, or
// now if no tick has polled yet.
func (a *Aggregator) currentSources() []SourceInfo {
	if a.sources == nil && a.opts.Sources != nil {
		return a.st.withStoreWarnings(a.opts.Sources())
	}
	return a.sources
}

// forgetVanished handles the sources that were in the last tick's list and
// are not in cur (a reload removed them): their series are dropped, and
// announced as removed, at once rather than after History of silence, and
// late batches of theirs are refused. It returns their names and how many
// series it dropped.
func (a *Aggregator) forgetVanished(cur []SourceInfo) ([]string, int) {
	for i := range cur {
		delete(a.gone, cur[i].Name) // back in the config
	}
	if a.sources == nil {
		return nil, 0
	}
	var names []string
	dropped := 0
	for i := range a.sources {
		name := a.sources[i].Name
		if slices.ContainsFunc(cur, func(s SourceInfo) bool { return s.Name == name }) {
			continue
		}
		names = append(names, name)
		if a.gone == nil {
			a.gone = make(map[string]bool)
		}
		a.gone[name] = true
		dropped += a.st.dropSource(name)
	}
	return names, dropped
}

func changedSources(old, cur []SourceInfo) []string {
	var names []string
	for i := range cur {
		found := false
		for j := range old {
			if old[j].Name == cur[i].Name {
				found = old[j] == cur[i]
				break
			}
		}
		if !found {
			names = append(names, cur[i].Name)
		}
	}
	return names
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SeriesJSON returns one series object with its history, or false if no
// series has that id.
func (a *Aggregator) SeriesJSON(id string) ([]byte, bool) {
	k, ok := parseID(id)
	if !ok {
		return nil, false
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	s := a.st.byKey[k]
	if s == nil || !s.announced {
		return nil, false
	}
	return appendSeries(nil, s, a.names, true, a.nowMs()-a.opts.History.Milliseconds()), true
}

// SourcesJSON returns {"sources":[…]}.
func (a *Aggregator) SourcesJSON() []byte {
	var srcs []SourceInfo
	if a.opts.Sources != nil {
		srcs = a.opts.Sources()
		a.mu.RLock()
		srcs = a.st.withStoreWarnings(srcs)
		a.mu.RUnlock()
	}
	b := append([]byte(nil), `{"sources":`...)
	b = appendSources(b, srcs)
	return append(b, '}')
}

// Seq returns the seq of the latest published message.
func (a *Aggregator) Seq() uint64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.seq
}
