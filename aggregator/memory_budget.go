package aggregator

import (
	"math"
	"time"
)

// What a series costs, for the estimate held against
// aggregator.memory_limit: by configs when a config is loaded, for the
// series a source is known to make, and by the store as series arrive
// (Options.MemoryLimit). One formula for both (SeriesMemory).
//
// Measured with BenchmarkSeriesMemory (10,000 random-walk gauges of
// full-precision values, the worst case for the history's compression; Go
// heap in use after a GC): 1,623 bytes a series with 1 window and 10
// points, 2,947 with 3 windows and 10 points, 6,258 with 3 windows and 300
// points; 72 bytes a queued sample whose labels the source shares. On the
// binary, one simulated source of 100,000 series at 1s with one window
// and 74 points held 450 MB of live heap (4.5 KB a series, 1.3 KB more
// than the store's share: the source's own series, the /metrics copy),
// when a window still cost 1,563 bytes (a ring of every slice's min and
// max, since replaced by window_extremes.go's wedges).
// Rounded up. The process's resident memory is the heap plus what the
// garbage collector has not returned yet: about 1.5 times the heap at
// pulseboard's GOGC of 50 (712 MB resident for those 450 MB).
const (
	// SeriesBytes is a series' identity, indexes and history headers in
	// the store, and its share of the rest of the program.
	SeriesBytes = 2000
	// WindowBytes is one window's statistics for one series: its state,
	// the wedges of its extremes and its quantile sketch's bins. 662
	// bytes measured; kept where it was when the ring made it 1,563,
	// since a series that narrows its swings slice by slice fills the
	// wedges, up to 1.9 KB more (window_extremes.go).
	WindowBytes = 1700
	// PointBytes is one point of history, with what it adds to the
	// windows' sketches.
	PointBytes = 10.5
	// QueuedSampleBytes is one sample waiting in the ingest queue, with
	// labels of its own (a scrape's).
	QueuedSampleBytes = 128
	// GCHeadroom is what the garbage collector lets the heap grow to
	// between two collections, over what it keeps: 1 + GOGC/100 at
	// pulseboard's GOGC of 50. The limit is held against the heap times
	// this, and the runtime is given the limit as its own (cmd/pulseboard
	// tuneGC), so that a heap the estimate allows is never collected in a
	// loop.
	GCHeadroom = 1.5
)

// SeriesMemory is the estimated heap of one series with windows windows
// whose source polls every interval, its history holding history's worth
// of points: bytes, and the points counted. An interval ≤ 0 counts no
// points (configs, for an interval it reports as invalid). Pure.
func SeriesMemory(windows int, history, interval time.Duration) (bytes, points float64) {
	if interval > 0 {
		points = math.Ceil(history.Seconds() / interval.Seconds())
	}
	return SeriesBytes + WindowBytes*float64(windows) + PointBytes*points, points
}

// MemoryBudget is what the series may be estimated at together under
// limit (bytes of resident memory): the heap the limit leaves with the
// garbage collector's headroom, less the ingest queue at its fullest
// (queueSamples). Pure.
func MemoryBudget(limit int64, queueSamples int) float64 {
	return float64(limit)/GCHeadroom - float64(queueSamples)*QueuedSampleBytes
}

// unknownInterval is the poll interval a batch that gives none is charged
// at (a remote node's, a test's): about the shortest a config polls at.
const unknownInterval = time.Second

// memoryBudget is what the store's series count against
// Options.MemoryLimit. A series is charged when it is made (chargeSeries)
// and given back when it goes (unchargeSeries); the series of a source
// known from its config (Batch.Known) apart, since the config's check
// charged them already and they are never refused for memory.
type memoryBudget struct {
	limit   float64 // MemoryBudget; 0: no limit
	learned float64 // charged to the series of the other sources
	known   float64 // charged to those of known sources
}

func newMemoryBudget(o Options) memoryBudget {
	if o.MemoryLimit <= 0 {
		return memoryBudget{}
	}
	// A limit the queue alone passes is refused by configs; in code it
	// leaves the series no room.
	return memoryBudget{limit: max(MemoryBudget(o.MemoryLimit, o.QueueSamples), math.SmallestNonzeroFloat64)}
}

// seriesCharge is what a new series of a source polled every interval
// counts against the budget.
func (st *store) seriesCharge(interval time.Duration) float64 {
	if interval <= 0 {
		interval = unknownInterval
	}
	b, _ := SeriesMemory(len(st.opts.Windows), st.opts.History, interval)
	return b
}

// room says whether a new series of source, charged charge (known: of a
// source known from its config), fits under the caps, were freed (a
// series of the same source, or nil) gone first; if not, it says which
// cap it passes.
//
// The series of learned sources may come to the budget less what the
// known sources were charged at load (Options.MemoryReserved) or hold
// now, whichever is more: a learned source never takes the room a config
// check promised a known one.
func (st *store) room(source string, charge float64, known bool, freed *series) (storeReject, bool) {
	all, own := len(st.byKey), len(st.bySrc[source])
	var freedLearned float64
	if freed != nil {
		all, own = all-1, own-1
		if !freed.known {
			freedLearned = freed.charge
		}
	}
	if all >= st.opts.MaxSeries || own >= st.opts.MaxSeriesPerSource {
		return seriesLimit, false
	}
	if known || st.mem.limit == 0 {
		return 0, true
	}
	reserved := st.mem.known
	if st.opts.MemoryReserved != nil {
		reserved = max(reserved, st.opts.MemoryReserved())
	}
	if st.mem.learned-freedLearned+charge > st.mem.limit-reserved {
		return memoryLimit, false
	}
	return 0, true
}

// chargeSeries counts s against the budget.
func (st *store) chargeSeries(s *series, charge float64, known bool) {
	s.charge, s.known = charge, known
	if known {
		st.mem.known += charge
	} else {
		st.mem.learned += charge
	}
}

// unchargeSeries gives back what s was charged.
func (st *store) unchargeSeries(s *series) {
	if s.known {
		st.mem.known -= s.charge
	} else {
		st.mem.learned -= s.charge
	}
	s.charge = 0
}

// estimatedBytes is what the series held are estimated at together.
func (st *store) estimatedBytes() float64 { return max(st.mem.learned+st.mem.known, 0) }
