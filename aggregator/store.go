package aggregator

import (
	"cmp"
	"slices"
	"strings"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// series is one (source, metric, labels) with its history and windows.
type series struct {
	key    uint64 // id as a number; unique in the store
	id     string // formatID(key)
	hash   uint64 // identityHash; key differs only after a collision
	source string
	metric string
	labels Labels
	kind   Kind

	hist history
	wins []window
	// hists are the bins of the windows' histograms, one row a bin with
	// every window's count side by side (loghist.go).
	hists histSet

	last       point // newest sample
	lastSeenMs int64 // store clock when the newest sample was stored
	// sweepDueMs is the store clock from which a sweep of the series,
	// idle, has something to do (idleSweepDue); 0 until one computes it,
	// and again whenever a sample comes or the windows take one.
	sweepDueMs int64
	// tierHead is the open minute of a series with tiers (tiers.go).
	tierHead tierHead
	// winRate follows the finite samples the windows took, for their rates.
	winRate rateTrack
	// unfed is how many of the newest pending points the windows have not
	// taken yet: they take them when the points are published (settle), so
	// that windows, points and last are always one cut.
	unfed int

	// pending holds the points not yet published in a delta; published is
	// the newest point that was.
	pending   []point
	published point
	hasPub    bool
	announced bool // has appeared in a published delta or was present at seq 0
	dirty     bool // is on store.dirty
	winDirty  bool // windows changed since the last delta

	// Staleness (see Batch). staleChanged is set on every transition, for
	// the next delta to carry.
	stale        bool
	staleSinceMs int64 // store clock when it went stale; 0 while live
	staleChanged bool
	seenGen      uint64 // the last complete batch it was in
	noStale      bool   // its newest sample was NoStaleness: never marked stale
	srcPos       int    // index in its source's list
	metricPos    int    // index in its metric's list
	allPos       int    // index in store.all
	// misplaced: on store.misplaced, its place in store.all not yet by
	// identity (new, or moved into a hole by unlistAll).
	misplaced bool
	// seenBatch is the last batch (store.batches) its source showed it in,
	// complete or not; staleNext and stalePrev link it into its source's
	// stale order while it is stale (churn.go).
	seenBatch            uint64
	staleNext, stalePrev *series
	// charge is what it counts against Options.MemoryLimit, in bytes
	// (memory_budget.go).
	charge float64
	known  bool // charged as a source known from its config (Batch.Known)

	collision *series // next series with the same hash
	evicted   bool
	// tiers is what durable storage needs of the series (tiers.go); nil
	// without Options.Storage.
	tiers *seriesTiers
}

// isStale reports whether the series is stale, and since when (Unix ms).
func (s *series) isStale() (bool, int64) { return s.stale, s.staleSinceMs }

// store holds every series. It is not safe for concurrent use: the
// Aggregator guards it with its mutex.
type store struct {
	opts     Options
	byHash   map[uint64]*series
	byKey    map[uint64]*series
	all      []*series // sorted by identity when !unsorted
	unsorted bool
	// misplaced are the series of all whose place is not by identity
	// (sorted): the rest of all stays in order, so that sorted places
	// these few rather than sorting every series again.
	misplaced []*series
	sortBuf   []*series            // sorted's scratch, kept between calls
	posBuf    []int                // sorted's too
	bySrc     map[string][]*series // each source's series, in no order
	byMetric  map[string][]*series // each metric's series, in no order
	// peak is the most series the store held since its indexes were last
	// rebuilt (compact).
	peak int
	// seriesGen changes whenever a series is created or removed, for
	// Selections to know when to look again (select.go). Starts at 1.
	seriesGen uint64
	// changes are the latest series created and removed, one for each
	// step of seriesGen (select_log.go).
	changes seriesLog
	gen     uint64 // complete batches ingested
	batches uint64 // batches ingested, complete or not
	// staleBySrc is each source's stale series, longest stale first
	// (churn.go).
	staleBySrc map[string]*staleOrder
	// mem is what the series count against Options.MemoryLimit
	// (memory_budget.go).
	mem memoryBudget

	dirty   []*series // series with pending points or changed windows
	pacer   pacer     // what a wide source may publish at once (pace.go)
	added   []*series // created since the last delta
	removed []string  // ids evicted since the last delta

	stats *counters
	// rejectsBySrc is what the store refused of each source (see
	// source_rejects.go); rejectsChanged is set when it grew, so that the
	// sources are read again with their new warning.
	rejectsBySrc   map[string]*sourceRejects
	rejectsChanged bool
	// newBySrc is each source's budget of new series (churn_limit.go).
	newBySrc map[string]*newSeriesBudget
	// newAll is the store's budget of new series, every source's
	// together (churn_limit.go); nil until first used.
	newAll *newSeriesBudget
	// sweepIdleMs: sweep leaves out series with a sample this recent.
	sweepIdleMs int64
	// retired is what series that left the store still have to write to
	// Storage (persist.go).
	retired flushBatch
	// batchOrder is, per source, the series of its last batch by position:
	// a source sends the same series in the same order poll after poll,
	// so the series at a sample's position is checked before its identity
	// is hashed and looked up.
	batchOrder map[string][]*series
	// lastFlush is the size of the last flush collected, to size the next.
	lastFlush struct{ blocks, marks, bytes int }
	// journal is set when Storage keeps a journal (journal.go): flushes
	// journal the tails' growth. journalSeq is the next flush's journal
	// seq, journalFloor the DropBelow last written; replayed are the tails
	// Restore rebuilt from the journal, for the next flush to write whole.
	// Written by the flusher (and Restore) under the lock.
	journal                  bool
	journalSeq, journalFloor uint64
	replayed                 []storage.Block
	// reopen, with Storage, continues a new series' stored aggregate
	// blocks (history_reopen.go).
	reopen func(s *series)
}

func newStore(o Options, c *counters) *store {
	return &store{
		opts:       o,
		byHash:     make(map[uint64]*series),
		byKey:      make(map[uint64]*series),
		bySrc:      make(map[string][]*series),
		byMetric:   make(map[string][]*series),
		seriesGen:  1,
		batchOrder: make(map[string][]*series),
		stats:      c,
		mem:        newMemoryBudget(o),
	}
}

// createWithKey makes a new series with the given key, which must be free:
// create's, or the one a restored series had.
func (st *store) createWithKey(source string, smp *Sample, key uint64) *series {
	h := identityHash(source, smp.Metric, smp.Labels)
	s := &series{
		key: key, id: formatID(key), hash: h,
		source: source, metric: smp.Metric,
		labels: slices.Clone(smp.Labels), kind: smp.Kind,
	}
	s.hist.maxSpanMs = st.opts.History.Milliseconds() / 4
	if st.opts.Storage != nil {
		s.tiers = newSeriesTiers()
		s.tierHead.minute.reset(headNone)
	}
	s.wins = make([]window, len(st.opts.Windows))
	s.hists = histSet{k: int32(len(st.opts.Windows))}
	for i, w := range st.opts.Windows {
		s.wins[i] = newWindow(w.Milliseconds(), st.opts.SubBuckets)
		s.wins[i].hist = s.hists.column(i)
	}
	s.collision = st.byHash[h]
	st.byHash[h] = s
	st.byKey[key] = s
	s.srcPos = len(st.bySrc[source])
	st.bySrc[source] = append(st.bySrc[source], s)
	st.listMetric(s)
	s.allPos = len(st.all)
	st.all = append(st.all, s)
	st.peak = max(st.peak, len(st.all))
	st.misplace(s)
	st.added = append(st.added, s)
	return s
}

// append stores a point. The windows take it when it is published.
func (st *store) append(s *series, t int64, v float64, nowMs int64) {
	s.hist.append(t, v)
	if s.tiers != nil {
		s.addTier(t, v)
	}
	s.last = point{t, v}
	s.lastSeenMs = nowMs
	s.sweepDueMs = 0
	s.pending = append(s.pending, point{t, v})
	s.unfed++
	if s.stale {
		st.markLive(s)
	}
	st.markDirty(s)
}

// settle hands the windows of every series with unpublished points that
// the next delta takes (the first taken of st.dirty, see pace) those
// points, after moving the windows to nowMs: a point older than a window's
// span is stepped over, never counted. It runs right before the store's
// changes are collected into a delta, under the same lock, so a snapshot or
// a delta never shows windows that count a point it does not show.
func (st *store) settle(nowMs int64, taken int) {
	for _, s := range st.dirty[:taken] {
		if s.evicted || s.unfed == 0 {
			continue
		}
		n := min(s.unfed, len(s.pending))
		s.unfed = 0
		s.feedWindows(s.pending[len(s.pending)-n:], nowMs)
		s.winDirty = true
	}
}

// feedWindows moves the windows to nowMs and hands them pts, the oldest
// points of the history they have not taken yet, in order.
func (s *series) feedWindows(pts []point, nowMs int64) {
	s.sweepDueMs = 0
	for i := range s.wins {
		s.wins[i].advance(&s.hist, nowMs, s.kind)
	}
	for _, p := range pts {
		var rs rateStep
		if finite(p.v) {
			rs = s.winRate.step(s.kind, p.t, p.v)
		}
		for i := range s.wins {
			s.wins[i].add(&s.hist, p.t, p.v, rs, s.kind)
		}
	}
}

// finite reports whether v is neither NaN nor ±Inf: windows take only
// those (a NaN would poison every sum, an Inf every mean and quantile).
func finite(v float64) bool { return v-v == 0 }

func (st *store) markDirty(s *series) {
	if !s.dirty {
		s.dirty = true
		st.dirty = append(st.dirty, s)
	}
}

// sweep moves windows to nowMs, drops history older than the history
// span, and evicts the series that had no sample for longer than it.
//
// A series that had a sample stored within the last idleMs is left alone:
// its windows moved when that sample was published (settle) and will move
// with the next one.
// Sweeping it too would put its windows in a delta twice a second (once
// for the expiry, once for the sample) and make every sweep tick carry the
// windows of the whole store. Its statistics lag by at most idleMs.
//
// stop, if not nil, is asked every sweepStopEvery series: on true the
// sweep ends there, keeping the series it did not reach as they are (the
// next sweep moves them). A sweep of 600,000 series took seconds on a
// loaded core, and Serve's shutdown waited for it.
//
// It sweeps st.all[from:], at most limit series of it (all if limit is 0),
// and returns where the next part starts: len(st.all) once the sweep is
// done. What it evicts leaves the list, so what it has not reached moves
// down; the part before from is left as it is.
func (st *store) sweep(nowMs int64, from, limit int, stop func() bool) (next int) {
	horizon := nowMs - st.opts.History.Milliseconds()
	kept := st.all[:from]
	end := len(st.all)
	if limit > 0 {
		end = min(end, from+limit)
	}
	i := from
	for ; i < end; i++ {
		s := st.all[i]
		if stop != nil && i%sweepStopEvery == sweepStopEvery-1 && stop() {
			break
		}
		if s.lastSeenMs < horizon {
			st.evict(s)
			continue
		}
		if s.allPos != len(kept) { // unchanged for most: a read, not a write, of a line of every series
			s.allPos = len(kept)
		}
		kept = append(kept, s)
		if nowMs-s.lastSeenMs < st.sweepIdleMs {
			s.hist.dropBefore(horizon)
			continue
		}
		if nowMs < s.sweepDueMs {
			continue
		}
		changed := false
		for i := range s.wins {
			if s.wins[i].advance(&s.hist, nowMs, s.kind) {
				changed = true
			}
		}
		if changed {
			s.winDirty = true
			st.markDirty(s)
		}
		s.hist.dropBefore(horizon)
		s.sweepDueMs = s.idleSweepDue(st.opts.History.Milliseconds())
	}
	next = len(kept)
	if i < len(st.all) {
		// The rest, not swept: shifted down over what was evicted (copy
		// moves down, so kept ends at or before i).
		kept = append(kept, st.all[i:]...)
		if next != i {
			for j := next; j < len(kept); j++ {
				kept[j].allPos = j
			}
		}
	}
	clear(st.all[len(kept):])
	st.all = kept
	if next == len(st.all) {
		st.compact()
	}
	return next
}

// idleSweepDue is the store clock from which sweeping s, idle and just
// swept, would change something: a window sheds its oldest sample, the
// history's oldest chunk passes the horizon of historyMs, or s passes it
// and is evicted. Until then a sweep passes s by reading one line of it
// rather than its windows: a store that churns holds many series that
// had one sample and wait a quarter of an hour to leave (trial 14 round
// 10, F5: 40 sources making 800 series a second, whose sweeps grew with
// the store until they were most of the aggregator's time).
func (s *series) idleSweepDue(historyMs int64) int64 {
	due := s.lastSeenMs + historyMs + 1 // evicted past lastSeenMs < now - History
	if c := s.hist.head; c != nil && c.next != nil {
		due = min(due, c.next.firstT+historyMs+1) // dropBefore's test
	}
	for i := range s.wins {
		due = min(due, s.wins[i].shedsAt())
	}
	return due
}

// sweepBeforePublish is how many series a tick sweeps before its publish
// (Aggregator.tickStop); the rest after it.
const sweepBeforePublish = 2048

// sweepStopEvery is how many series a sweep moves between two looks at
// its stop func.
const sweepStopEvery = 4096

// dropSource removes every series of source at once, announced as removed
// in the next delta like an eviction, but not counted as one. It returns
// how many it removed.
func (st *store) dropSource(source string) int {
	delete(st.rejectsBySrc, source)
	delete(st.newBySrc, source)
	st.pacer.forgetSource(source)
	if len(st.bySrc[source]) == 0 {
		return 0
	}
	kept := st.all[:0]
	for _, s := range st.all {
		if s.source == source {
			st.forget(s)
			continue
		}
		s.allPos = len(kept)
		kept = append(kept, s)
	}
	clear(st.all[len(kept):])
	n := len(st.all) - len(kept)
	st.all = kept
	st.compact()
	return n
}

// compact rebuilds the indexes by identity and the list of every series
// once the store is down to a quarter of its peak (a removed source, a
// mass eviction): Go maps keep the room of every entry they ever held.
// It costs a copy of what is left, once each time the store falls to a
// quarter of its peak.
func (st *store) compact() {
	if !worthRebuilding(len(st.all), st.peak) {
		return
	}
	st.byKey, st.byHash = rebuiltMap(st.byKey), rebuiltMap(st.byHash)
	st.all = append(make([]*series, 0, len(st.all)), st.all...)
	st.peak = len(st.all)
}

// evict forgets a series that had no sample for longer than the history.
func (st *store) evict(s *series) {
	st.forget(s)
	st.stats.evicted.Add(1)
}

// forget removes s from the indexes and announces it as removed; the
// caller takes it out of st.all.
func (st *store) forget(s *series) {
	delete(st.byKey, s.key)
	if head := st.byHash[s.hash]; head == s {
		if s.collision != nil {
			st.byHash[s.hash] = s.collision
		} else {
			delete(st.byHash, s.hash)
		}
	} else {
		for p := head; p != nil; p = p.collision {
			if p.collision == s {
				p.collision = s.collision
				break
			}
		}
	}
	st.unlistSource(s)
	if s.stale {
		st.staleUnlink(s)
	}
	st.unchargeSeries(s)
	if len(st.bySrc[s.source]) == 0 {
		delete(st.batchOrder, s.source) // it holds only the forgotten now
	}
	st.unlistMetric(s)
	if s.tiers != nil {
		st.retire(s)
	}
	// added and dirty are filtered when the next delta is built.
	s.evicted = true
	if s.announced {
		st.removed = append(st.removed, s.id)
	}
}

// sorted returns every series ordered by source, metric and labels.
//
// Only the misplaced series are sorted and merged into the rest, which is
// still in order: O(n) pointer moves and O(k log n) comparisons for k of
// them, where sorting the whole store again cost n log n comparisons of
// label strings. A source whose series are replaced every scrape (trial
// 14's churning target, 10,000 series) had every tick that followed sort
// all of them: 3 ms on one core, which that tick's delta waited for.
func (st *store) sorted() []*series {
	if !st.unsorted {
		return st.all
	}
	st.unsorted = false
	moved := st.misplaced[:0]
	for _, s := range st.misplaced {
		if s.misplaced && !s.evicted && s.allPos < len(st.all) && st.all[s.allPos] == s {
			moved = append(moved, s)
		}
	}
	clear(st.misplaced[len(moved):])
	st.misplaced = moved[:0]
	defer func() {
		for _, s := range moved {
			s.misplaced = false
		}
		clear(moved)
	}()
	if len(moved) == 0 {
		return st.all
	}
	if len(moved) > len(st.all)/8 {
		slices.SortFunc(st.all, compareSeries)
		st.renumberAll()
		return st.all
	}
	// The rest is what lies between the moved series' places: copied in
	// runs, never read one by one (a store of 100,000 series is a cache
	// miss a series, and a churning one is merged every tick).
	pos := st.posBuf[:0]
	for _, s := range moved {
		pos = append(pos, s.allPos)
	}
	slices.Sort(pos)
	rest := st.sortBuf[:0]
	prev := 0
	for _, p := range pos {
		rest = append(rest, st.all[prev:p]...)
		prev = p + 1
	}
	rest = append(rest, st.all[prev:]...)
	slices.SortFunc(moved, compareSeries)
	out := st.all[:0]
	lo := 0
	changed := pos[0] // the first place whose series may differ
	for i, m := range moved {
		j, _ := slices.BinarySearchFunc(rest[lo:], m, compareSeries)
		out = append(out, rest[lo:lo+j]...)
		if i == 0 {
			changed = min(changed, len(out))
		}
		out = append(out, m)
		lo += j
	}
	out = append(out, rest[lo:]...)
	st.all = out
	clear(rest)
	st.sortBuf, st.posBuf = rest[:0], pos[:0]
	for i := changed; i < len(st.all); i++ {
		st.all[i].allPos = i
	}
	return st.all
}

// misplace marks s's place in all as not by identity, for sorted to put
// right.
func (st *store) misplace(s *series) {
	st.unsorted = true
	if !s.misplaced {
		s.misplaced = true
		st.misplaced = append(st.misplaced, s)
	}
}

func compareSeries(a, b *series) int {
	if c := strings.Compare(a.source, b.source); c != 0 {
		return c
	}
	if c := strings.Compare(a.metric, b.metric); c != 0 {
		return c
	}
	for i := 0; i < len(a.labels) && i < len(b.labels); i++ {
		if c := cmp.Or(strings.Compare(a.labels[i].Name, b.labels[i].Name),
			strings.Compare(a.labels[i].Value, b.labels[i].Value)); c != 0 {
			return c
		}
	}
	return cmp.Or(cmp.Compare(len(a.labels), len(b.labels)), cmp.Compare(a.key, b.key))
}

// historyBytes is the memory the histories hold.
func (st *store) historyBytes() int {
	n := 0
	for _, s := range st.all {
		n += s.hist.bytes()
	}
	return n
}
