// Package aggregator is pulseboard's series store and its fan-out.
//
// # Data flow
//
// Collectors hand Batches to Push, which puts them on one bounded queue
// (QueueSize batches and QueueSamples samples). When the queue is full
// Push waits up to PushWait, then sheds the batch and counts its samples
// in pulseboard_samples_dropped_total: memory stays bounded under any
// load. Serve drains the queue into the store, one hold of the store's
// lock at a time, and stops between two when it is cancelled (queue.go). The ingest path does not allocate
// per sample: a series is found by an FNV-1a hash of source, metric and
// labels computed in place, with a full comparison behind it (collision
// check).
//
// # Series
//
// A series is (source, metric, labels). Its id is the 16 hex digits of the
// identity hash, stable across restarts; should two identities collide, the
// later one takes the next free number. A new series beyond MaxSeries,
// MaxSeriesPerSource or the memory budget (MemoryLimit, MemoryReserved)
// takes the place of its source's longest-stale series, one the batch does
// not show (series churn: evicted, listed in the next delta's "removed",
// counted in pulseboard_series_replaced_total and named in the source's
// last_warning; churn.go); with none left it is refused and counted
// (pulseboard_series_refused_total{reason="series_limit|memory_limit"},
// one per refused sample). A source not known from its config makes at
// most MaxNewSeriesPerHour new series an hour (a token bucket as deep);
// a new series past that is refused before any cap is looked at
// (reason churn_limit; churn_limit.go). A series with no sample for longer than History
// is evicted and listed in the next delta's "removed".
//
// A sample is stored at its own time (the exporter's, as Prometheus'
// honor_timestamps). Refused and counted in
// pulseboard_samples_rejected_total{reason}: stamped more than History
// ahead of the clock (too_far_ahead), older than History (too_old), older
// than its series' newest point (out_of_order). A sample at its series'
// newest time is the same sample again and is skipped; with another value
// it is counted as a duplicate. Every refusal is also counted by source
// (pulseboard_source_samples_rejected_total{source,reason}, reasons
// series_limit, memory_limit and churn_limit for the limits above) and the latest is the source's
// last_warning (see source_rejects.go). NaN and ±Inf are values: stored, exported
// on /metrics as they are, written as null in JSON (a gap in a chart), and
// left out of every window statistic.
//
// A series is stale (Prometheus' staleness) from the moment its source
// polled successfully without it (a Complete batch) or failed to poll (a
// Failed batch), until its next sample: it keeps its history, leaves
// /metrics, and changes in the next delta; see Batch. A series whose
// newest sample is marked NoStaleness (an exporter's own timestamp, as
// Prometheus has it) is never stale: it ages out with its history.
//
// # History
//
// Each series keeps its last History of points in chunks of up to 240
// samples (or History/4 of time), compressed Gorilla-style: timestamps as
// adaptive Rice codes of their deviation from the chunk's period, values
// as Rice-coded decimal residuals when they have at most 6 decimals
// (22.37, counters, integers) and as Gorilla XOR otherwise. About 1.0-1.7
// bytes a sample on host-like and simulated data, 7 on full-precision
// noise; see BENCHMARKS.md. Whole chunks are dropped once all their points
// are older than History. Values and timestamps round-trip bit for bit.
//
// # Windows
//
// Each configured window reports count, min, max, mean, last, rate and
// p50, p90, p99 over the samples of its last SubBuckets (default 60)
// slices of W/SubBuckets: between W·59/60 and W of time. Rate is the
// per-second increase over the time the window's samples cover, a stretch
// without samples left out (window_gap.go); for counters a decrease is a
// reset and the new value counts as the increase.
// Quantiles come from a log-bucketed histogram (the DDSketch mapping) and
// are within 1% relative error of the exact nearest-rank quantile (the
// smallest value with at least ⌈q·n⌉ samples at or below it, numpy's
// "inverted_cdf": over 24 samples p99 is the largest), clamped to the exact
// min and max; count, min, max, mean, last and rate are exact (mean up to
// float rounding). Work per sample is O(1) amortised: see window. A window
// holds only the samples whose times fall inside it, and takes a sample
// when the sample is published (store.settle, right before a delta is
// collected), so a snapshot's windows never count a point the snapshot
// does not show. Windows move forward to the clock with each publish and,
// for series that went quiet, with a sweep once per slice of the shortest
// window (at most every second) when a publish runs anyway, and every
// second slice when nothing else wakes the aggregator; a series that had a
// sample stored in the last two such periods is left to its next sample,
// so its statistics may lag by that much (see store.sweep and
// Aggregator.sweepDue). Nothing runs on a fixed beat: an aggregator with
// an empty store and no changes does not wake at all.
//
// In JSON an empty window is {"count":0,…} with every other field null;
// rate is also null with fewer than two samples or no time between them.
// min, max and last are written exactly; the computed mean, rate and
// quantiles with 6 significant digits.
//
// # Messages
//
// The messages, their fields and a client's duties are defined once, in
// package protocol and docs/protocol.md; this package is their encoder.
// The snapshot, delta, series and sources JSON is written by hand
// (json.go, delta.go) and tested to say what encoding/json says of the
// protocol's types.
//
// Every published delta increments seq. Deltas are built at most every
// BroadcastInterval and not at all when nothing changed. A source with
// more than paceFloor series to publish is paced (pace.go): its series
// go out over about two seconds of deltas, each whole when it goes, so that
// a wide target's poll does not make one delta that everything else
// waits behind. A snapshot at seq
// N holds what deltas up to N published; the points that will be in delta
// N+1 are not in it, so a client never sees a point twice. Clients apply a
// delta's "removed", then "added" (whole series objects with their
// points), then "points" and "windows". A merged delta carries "from", the
// first seq it covers.
//
// "tree" is the program's supervision tree (Options.Tree, a Process per
// node): in every snapshot, and in a delta whenever it changed, so a
// restart shows on the dashboards within one broadcast interval. The
// aggregator reads Options.Tree and Options.Sources only when told they
// changed (TreeChanged, SourcesChanged: the supervisors and the collectors
// call them), never on a timer. "events"
// lists what Announce queued since the last delta: each a kind, a time
// and an opaque payload the announcer encoded (the aggregator does not
// know what the kinds mean). A delta is published for them even if no data
// changed, a merged delta carries the events of every delta it merges, and
// snapshots carry none. At most 64 events wait for a delta; beyond that
// the oldest are dropped and counted (pulseboard_events_dropped_total).
// "sources_removed" names the sources that left the Sources list since the
// last delta (a reload removed them): their series are dropped at once and
// listed in the same delta's "removed", and batches of theirs still queued
// are refused and counted (pulseboard_samples_orphaned_total) until the
// source is configured again. Clients apply it before "sources", since a
// merged delta may remove a source and bring it back.
//
// "alerts" carries the alerts the evaluator (package alerting) handed to
// SetAlerts since the last delta, each whole, one per id, the latest
// version; a delta is published for them even if no data changed, a
// merged delta keeps each alert's latest version, and a snapshot holds the
// active ones (pending, firing) as of its seq. The aggregator does not
// evaluate anything: it carries alerts as it carries sources. Select and
// SeriesView are the evaluator's read side: one statistic of one window
// per series, under the read lock, remembered per Selection and indexed by
// metric name.
//
// The broker keeps the recent deltas (RetainDeltas, RetainFor,
// RetainBytes) so that Subscribe(after) can resume; older than that gets a
// snapshot. Each subscriber has a mailbox bounded by MailboxSize messages
// and MailboxBytes of deltas, holding references to the published deltas.
// Publishing never blocks and never merges: a subscriber whose mailbox
// would pass its bound is dropped at once
// (pulseboard_broker_dropped_subscribers_total), its Next returns
// ErrDropped and its OnDrop hook runs; it resyncs with a snapshot or a
// resume. Each delta is encoded once and every subscriber gets the same
// bytes; only a resume that finds many retained deltas merges them, on the
// resuming subscriber's goroutine (pulseboard_broker_conflations_total).
//
// # Prometheus view
//
// Collector emits, at scrape time:
//
//   - each series' last value under its metric name with source="<name>"
//     added to its labels; counter when its kind is counter, gauge
//     otherwise; untyped when the name is a counter in one source and a
//     gauge in another, and when the type would break promtool's rules (a
//     counter without _total, a _bucket, _count or _sum family, le or
//     quantile labels: the parts of a histogram or summary). Stale series
//     are left out. Invalid names are sanitised to the classic
//     character set; a series label that clashes (source, or a reserved
//     "__" name) is renamed with an "exported_" prefix, and so is a metric
//     in one of the namespaces pulseboard's own registry exports
//     (pulseboard_*, and go_*, process_*, promhttp_* that every Go
//     exporter has too: a scraped node_exporter would otherwise collide
//     with them and fail the scrape); invalid UTF-8 in values becomes U+FFFD. Two
//     series that become identical after this keep the first.
//   - per live series and non-empty window, with labels metric, source,
//     window ("1m") and the series' labels (le and quantile renamed
//     exported_le, exported_quantile): the summary pulseboard_window_value
//     (quantile 0.5, 0.9, 0.99, _sum, _count) and the gauges
//     pulseboard_window_min, _max, _mean, _last and _rate (per second,
//     only with two samples or more). They are left out while the store
//     holds more than Options.WindowMetricsMaxSeries series (default
//     1000): at 100k series they would be 3M samples a scrape.
//     Names are the sources' own (promtool may still dislike one for its
//     units or case; pulseboard's own names are promtool-clean).
//   - pulseboard's own metrics (pulseboard_samples_*_total,
//     pulseboard_series, pulseboard_broker_*, pulseboard_queue_*, …) and
//     per-source ones from Options.Sources (pulseboard_source_*).
//
// # Restarts
//
// The store, the queue, the broker and seq belong to the Aggregator, not
// to Serve; see Aggregator.
package aggregator
