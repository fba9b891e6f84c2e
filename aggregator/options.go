package aggregator

import (
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// Options sizes and paces an Aggregator. The zero value of every field means
// its default.
type Options struct {
	// History is how far back each series keeps its points (default 15m).
	// It is raised to the longest window if shorter.
	History time.Duration
	// Windows are the spans statistics are kept over (default 1m, 5m, 15m).
	Windows []time.Duration
	// MaxSeries caps the number of series over all sources (default 100000).
	MaxSeries int
	// MaxSeriesPerSource caps the series of any one source (default 10000).
	MaxSeriesPerSource int
	// MaxNewSeriesPerHour is how many new series a source not known from
	// its config may make in an hour (churn_limit.go): a budget as deep
	// as that, filled again at that rate; a new series past it is refused
	// (reason churn_limit). Default twice MaxSeriesPerSource (after its
	// own default); negative: no limit.
	MaxNewSeriesPerHour int
	// MaxNewSeriesPerHourAllSources is the same budget for every such
	// source together, which a reload that renames a source does not
	// renew. Default twice MaxSeries (after its own default); negative:
	// no limit.
	MaxNewSeriesPerHourAllSources int
	// MemoryLimit, in bytes of resident memory, bounds what the store's
	// series are estimated at (SeriesMemory, the estimate configs checks
	// aggregator.memory_limit with): a new series of a source not known
	// from its config (Batch.Known) that would take them past
	// MemoryBudget(MemoryLimit, QueueSamples) is refused, counted as
	// pulseboard_series_refused_total{reason="memory_limit"}, unless it
	// can replace one of its source's stale series (churn.go). Zero: no
	// limit.
	MemoryLimit int64
	// MemoryReserved returns what the config's check charged the sources
	// known from their config (simulated ones) at load, in bytes of
	// estimated heap: the room MemoryLimit keeps for their series whether
	// or not they have arrived yet. Called under the store's lock when a
	// new series of another source is checked: must be quick and safe
	// for concurrent use. Nil: only what known sources hold is kept.
	MemoryReserved func() float64
	// QueueSize is the ingest queue's capacity in batches (default 1024).
	QueueSize int
	// QueueSamples is the ingest queue's capacity in samples (default
	// 1,000,000): what the queued batches may hold together, whatever
	// their number. A batch larger than it is taken only into an empty
	// queue. A queued sample costs about 100 bytes (Sample and its
	// labels' headers; the strings are shared with the source).
	QueueSamples int
	// PushWait is how long Push waits on a full queue before shedding the
	// batch (default 50ms).
	PushWait time.Duration
	// BroadcastInterval is the shortest time between two deltas (default
	// 100ms). Nothing runs on this beat while nothing changes: see Serve.
	BroadcastInterval time.Duration
	// Sources lists the sources and their state. The aggregator reads it
	// at its first publish and then only after SourcesChanged was called;
	// the sources whose info changed go into the next delta. It is also
	// called for SourcesJSON and for scrapes, from their goroutines: it
	// must be safe for concurrent use and quick. May be nil.
	Sources func() []SourceInfo
	// Export says, by source name, which series /metrics carries (the
	// Collector and AppendStoreMetrics); nil carries every one. Called at
	// every scrape for every series, under the store's read lock: it must
	// be quick and must not call the Aggregator. A cluster node exports
	// only its own sources' series by default.
	Export func(source string) bool
	// Tree describes the program's supervision tree. Like Sources it is
	// read at the first publish and after TreeChanged (and for a snapshot
	// before the first publish) and must be quick; the tree goes into
	// snapshots, and into a delta whenever it changed. May be nil.
	Tree func() Process
	// Settled reports whether the changes of the moment are all in: the
	// collectors' Manager.Settled says false while a poll runs, from its
	// start until it has pushed its batch and updated its source's
	// counters. A publish waits a short coalescing delay after the first
	// change it carries (so that those go out together) unless Settled
	// says true when Serve looks: then it goes out at once, and a poll
	// costs the process one wake-up instead of two. Called on Serve's
	// goroutine after every change; must be quick. Nil: always wait.
	Settled func() bool
	// Dropped is told how many series the sources a reload removed held
	// (their points, windows and labels, let go at once: forgetVanished,
	// with the retained deltas that carried their points), on Serve's
	// goroutine at the end of the tick that drops them, once nothing of
	// the aggregator's points at them, so that a program can give that
	// memory back to the system then rather than when the runtime next
	// collects and scavenges, minutes later. The scrape cache of /metrics
	// lets go of their series at the next scrape. Must not block. May be
	// nil.
	Dropped func(series int)
	// Now is the clock windows, eviction and message timestamps use; nil
	// means time.Now.
	Now func() time.Time
	// Logger receives the aggregator's own logs; nil means discard.
	Logger *slog.Logger

	// MailboxSize is the number of deltas a subscriber may have pending;
	// one more drops it (default 16, at least 2: 1.6 s behind at the
	// default broadcast interval, well inside a writer's deadline).
	// MailboxBytes bounds the encoded size of its pending deltas the same
	// way (default 64 MiB; a single delta is always taken, however big,
	// and the snapshot a subscription starts with does not count). A
	// resume that finds more than half of either bound in retained deltas
	// gets them merged into one.
	MailboxSize  int
	MailboxBytes int
	// RetainDeltas bounds how many recent deltas are kept for resuming
	// subscribers (default 300); RetainFor bounds their age (default 30s)
	// and RetainBytes their encoded size (default 64 MiB). Whichever bound
	// is reached first applies.
	RetainDeltas int
	RetainFor    time.Duration
	RetainBytes  int
	// EventLog is how many published events of each class (alerts' state
	// changes; the rest) snapshots carry at most (default
	// DefaultEventLog); they also carry none older than History.
	EventLog int
	// Clip masks secrets in a text of an event the aggregator makes
	// itself (an alert's name, source and series: "alert" events) and cuts
	// it to at most n bytes at a character boundary, masking a secret the
	// cut left a prefix of; cut says whether it cut. nil cuts and masks
	// nothing. The program passes configs.Redactor.Clip (the aggregator
	// cannot import configs). Called on the alert evaluator's goroutine.
	Clip func(text string, n int) (clipped string, cut bool)
	// SubBuckets is how many slices a window is cut into (default 60): a
	// window of W covers the samples of its last SubBuckets slices of
	// W/SubBuckets, so between W·(SubBuckets-1)/SubBuckets and W of time.
	SubBuckets int

	// windowNames are the configured names of the (rounded) windows; set by
	// withDefaults.
	windowNames map[time.Duration]string
	// WindowMetricsMaxSeries bounds the store size up to which /metrics
	// carries per-series window statistics (about 30 samples a series with
	// three windows); above it they are left out and
	// pulseboard_window_metrics_enabled says 0. Default 1000; negative
	// means never. The last values and pulseboard's own metrics are always
	// there.
	WindowMetricsMaxSeries int

	// Storage keeps the history on disk: raw chunks and the minute and
	// hour aggregates (see Storage, Flush, Restore). Nil keeps everything
	// in memory only, as before: no aggregates are built.
	Storage Storage
	// Running says, by source name, which stored series Restore brings
	// back into memory: those of the sources the program runs (a reload
	// never restores; a source it adds starts its series anew, and they
	// continue their stored aggregate blocks: reopenStored). The series of
	// any other source stay on disk only: QueryRange still answers for
	// them and retention still ages them out, but no window, history or
	// open block of theirs takes memory. Nil restores every stored series
	// with samples within History. Called by Restore only, on its
	// caller's goroutine, once a stored series.
	Running func(source string) bool
	// FlushInterval is how often Serve writes to Storage (default 10s):
	// what a kill -9 may lose.
	FlushInterval time.Duration
	// Retention is how far back each tier reaches in Storage (its time
	// limit; zero: unbounded), by storage.Tier. QueryRange picks a tier
	// only if it reaches the request's From.
	Retention [storage.NumTiers]time.Duration
}

// Defaults of Options.
const (
	DefaultHistory            = 15 * time.Minute
	DefaultMaxSeries          = 100000
	DefaultMaxSeriesPerSource = 10000
	DefaultQueueSize          = 1024
	DefaultQueueSamples       = 1_000_000
	DefaultPushWait           = 50 * time.Millisecond
	DefaultBroadcastInterval  = 100 * time.Millisecond
	DefaultMailboxSize        = 16
	DefaultMailboxBytes       = 64 << 20
	DefaultRetainDeltas       = 300
	DefaultRetainFor          = 30 * time.Second
	DefaultRetainBytes        = 64 << 20
	DefaultSubBuckets         = 60
	DefaultWindowMetricsMax   = 1000
	DefaultFlushInterval      = 10 * time.Second
)

// DefaultWindows returns the default window spans: 1m, 5m and 15m.
func DefaultWindows() []time.Duration {
	return []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute}
}

// withDefaults fills in the zero fields and normalises the windows: sorted,
// deduplicated, at least one millisecond times SubBuckets, and History at
// least as long as the longest window.
func (o Options) withDefaults() Options {
	if o.EventLog <= 0 {
		o.EventLog = DefaultEventLog
	}
	if o.History <= 0 {
		o.History = DefaultHistory
	}
	if o.SubBuckets <= 0 {
		o.SubBuckets = DefaultSubBuckets
	}
	ws := make([]time.Duration, 0, len(o.Windows))
	o.windowNames = make(map[time.Duration]string, len(o.Windows))
	for _, w := range o.Windows {
		if w > 0 {
			// A slice must be a whole number of milliseconds. The window
			// keeps the name it was configured with: 7s stays "7s" though
			// it covers 7.02 s (a window covers 59/60 to 60/60 of its span
			// anyway).
			name := WindowName(w)
			w = RoundWindow(w, o.SubBuckets)
			if _, taken := o.windowNames[w]; !taken {
				o.windowNames[w] = name
			}
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		ws = DefaultWindows()
	}
	slices.Sort(ws)
	o.Windows = slices.Compact(ws)
	if longest := o.Windows[len(o.Windows)-1]; o.History < longest {
		o.History = longest
	}
	if o.MaxSeries <= 0 {
		o.MaxSeries = DefaultMaxSeries
	}
	if o.MaxSeriesPerSource <= 0 {
		o.MaxSeriesPerSource = DefaultMaxSeriesPerSource
	}
	if o.MaxNewSeriesPerHour == 0 {
		o.MaxNewSeriesPerHour = 2 * o.MaxSeriesPerSource
	}
	if o.MaxNewSeriesPerHourAllSources == 0 {
		o.MaxNewSeriesPerHourAllSources = 2 * o.MaxSeries
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.QueueSamples <= 0 {
		o.QueueSamples = DefaultQueueSamples
	}
	if o.PushWait <= 0 {
		o.PushWait = DefaultPushWait
	}
	if o.BroadcastInterval <= 0 {
		o.BroadcastInterval = DefaultBroadcastInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MailboxSize < 2 {
		o.MailboxSize = DefaultMailboxSize
	}
	if o.MailboxBytes <= 0 {
		o.MailboxBytes = DefaultMailboxBytes
	}
	if o.RetainDeltas <= 0 {
		o.RetainDeltas = DefaultRetainDeltas
	}
	if o.RetainFor <= 0 {
		o.RetainFor = DefaultRetainFor
	}
	if o.WindowMetricsMaxSeries == 0 {
		o.WindowMetricsMaxSeries = DefaultWindowMetricsMax
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.RetainBytes <= 0 {
		o.RetainBytes = DefaultRetainBytes
	}
	return o
}

// RoundWindow rounds a window span up so that each of its subBuckets
// slices is a whole number of milliseconds: the span the window covers.
// Two spans that round alike are one window; configs refuses them at load
// with this same rule (DefaultSubBuckets slices).
func RoundWindow(w time.Duration, subBuckets int) time.Duration {
	step := time.Duration(subBuckets) * time.Millisecond
	return (w + step - 1) / step * step
}

// WindowName renders a window span the way the protocol names it: "1m",
// "5m", "15m", "30s", "1h", "1h30m", "250ms" (never Go's "1m0s").
func WindowName(d time.Duration) string {
	return string(appendWindowName(nil, d))
}

func appendWindowName(b []byte, d time.Duration) []byte {
	if d <= 0 {
		return append(b, '0', 's')
	}
	if d%time.Second != 0 {
		if d%time.Millisecond == 0 {
			return append(strconv.AppendInt(b, int64(d/time.Millisecond), 10), 'm', 's')
		}
		return append(b, d.String()...)
	}
	h, m, s := d/time.Hour, d%time.Hour/time.Minute, d%time.Minute/time.Second
	if h > 0 {
		b = append(strconv.AppendInt(b, int64(h), 10), 'h')
	}
	if m > 0 {
		b = append(strconv.AppendInt(b, int64(m), 10), 'm')
	}
	if s > 0 {
		b = append(strconv.AppendInt(b, int64(s), 10), 's')
	}
	return b
}
