package aggregator

import (
	"fmt"
	"strings"
)

// What the store refuses of one source, so that a source whose samples are
// thrown away says so itself: on /metrics
// (pulseboard_source_samples_rejected_total{source,reason}) and in its
// last_warning, as Prometheus reports sample_limit and out-of-bounds
// samples per target. The global counters stay as they are.

// storeReject is a reason the store refuses a sample, per source: the
// rejectReasons, seriesLimit (a new series over max_series or
// max_series_per_source), memoryLimit (a new series past the memory
// budget, Options.MemoryLimit) and churnLimit (a new series past its
// source's hourly budget, Options.MaxNewSeriesPerHour).
type storeReject int

const (
	seriesLimit = storeReject(numRejectReasons) + iota
	memoryLimit
	churnLimit
	// numStoreRejects counts the reasons kept per source.
	numStoreRejects
)

// storeRejectNames are the reason label values, by storeReject.
var storeRejectNames = [numStoreRejects]string{
	rejectTooOld: "too_old", rejectOutOfOrder: "out_of_order", rejectDuplicate: "duplicate",
	rejectTooFarAhead: "too_far_ahead", seriesLimit: "series_limit", memoryLimit: "memory_limit",
	churnLimit: "churn_limit",
}

// storeRejectWhy says, for the warning, what each reason means.
var storeRejectWhy = [numStoreRejects]string{
	rejectTooOld:      "stamped older than the history",
	rejectOutOfOrder:  "older than their series' newest sample",
	rejectDuplicate:   "at their series' newest time with another value",
	rejectTooFarAhead: "stamped further ahead than the history",
	seriesLimit:       "new series over aggregator.max_series or max_series_per_source",
	memoryLimit:       "new series past aggregator.memory_limit's estimate",
	churnLimit:        "new series past the source's aggregator.max_new_series_per_hour, or all sources' max_new_series_per_hour_all_sources",
}

// sourceRejects is one source's refusals. The store keeps it under the
// Aggregator's lock.
type sourceRejects struct {
	total [numStoreRejects]uint64
	// replaced counts its stale series that new ones took the place of
	// (churn.go).
	replaced uint64
	// warning describes the latest batch with refusals, at atMs (store
	// clock, Unix ms).
	warning string
	atMs    int64
}

// noteRejects records what ingest refused of one batch of source, and how
// many of its stale series new ones replaced.
func (st *store) noteRejects(source string, batch *[numStoreRejects]uint64, replaced uint64, nowMs int64) {
	r := st.rejectsBySrc[source]
	if r == nil {
		if st.rejectsBySrc == nil {
			st.rejectsBySrc = make(map[string]*sourceRejects)
		}
		r = &sourceRejects{}
		st.rejectsBySrc[source] = r
	}
	var parts []string
	for reason, n := range batch {
		if n > 0 {
			r.total[reason] += n
			parts = append(parts, fmt.Sprintf("%d %s (%s)", n, storeRejectWhy[reason], storeRejectNames[reason]))
		}
	}
	var warnings []string
	if replaced > 0 {
		r.replaced += replaced
		warnings = append(warnings, fmt.Sprintf("series churn: %d stale series replaced by new ones at the series limits (%d so far)", replaced, r.replaced))
	}
	if len(parts) > 0 {
		warnings = append(warnings, "the store refused samples of the last poll: "+strings.Join(parts, ", "))
	}
	r.warning = strings.Join(warnings, "; ")
	r.atMs = nowMs
	st.rejectsChanged = true
}

// withStoreWarnings puts each source's latest store refusal in its
// last_warning when it is newer than what the collector reported. srcs is
// the caller's copy; the Aggregator's lock must be held.
func (st *store) withStoreWarnings(srcs []SourceInfo) []SourceInfo {
	for i := range srcs {
		if r := st.rejectsBySrc[srcs[i].Name]; r != nil && r.atMs > srcs[i].LastWarningAt {
			srcs[i].LastWarning, srcs[i].LastWarningAt = r.warning, r.atMs
		}
	}
	return srcs
}
