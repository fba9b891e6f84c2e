package aggregator

// The churn limit: how many new series a source may make in an hour.
//
// Replacing stale series (churn.go) keeps a churning source at its cap,
// but each replacement costs a series' making (its windows, its history,
// its entry in the next delta and, with Storage, its stored identity) and
// an eviction: a target that renames its 9,000 series at every scrape
// cost the server 40 % of a core, half a gigabyte of heap and, with
// Storage, 9,000 new stored series a second (issue 14, round 7, N2). So,
// as VictoriaMetrics' -storage.maxHourlySeries and vmagent's series_limit
// do per target, each source has a budget of new series an hour
// (Options.MaxNewSeriesPerHour): a token bucket as deep as the budget,
// filled again at the budget an hour. A new series past it is refused,
// counted (pulseboard_series_refused_total{reason="churn_limit"},
// pulseboard_source_samples_rejected_total{source,reason="churn_limit"})
// and named in the source's last_warning; the source's known series go on
// as before. Its default, twice max_series_per_source, lets any source
// fill its cap, then rename every series once (a restart that changes an
// instance label), within an hour.
//
// The budget belongs to the source's name, and a reload that renames a
// source (or removes one and adds another) starts a new one: renaming a
// churning source every 4 s replaced 87,000 series in 38 s against about
// 200 at its budget's rate (trial 14, round 8, F6). So the store as a
// whole has a budget too (Options.MaxNewSeriesPerHourAllSources, default
// twice MaxSeries: fill the store, then rename everything once, within an
// hour, as VictoriaMetrics' -storage.maxHourlySeries bounds the whole
// storage). A new series needs a token of both; past the store's, every
// source's new series are refused the same way, counted under the same
// reason, and the store's known series go on.
//
// A source known from its config (Batch.Known: simulated) makes the
// series its config says and no others: it has no budget. The budget is
// spent only when a series is made: a new series a cap refuses (nothing to
// replace) is counted as series_limit or memory_limit and spends nothing.
// Once the budget is spent, a new series is refused as churn_limit before
// any cap is looked at: the steady state of a source that renames its
// series at every scrape is then a hash and a lookup a sample, under the
// store's lock, where it was a making and an eviction.

// newSeriesBudget is one source's budget of new series.
type newSeriesBudget struct {
	tokens float64 // new series it may make now
	atMs   int64   // store clock of the last refill
}

// churnBudget returns source's budget filled up to nowMs, making a full one
// for a source first seen; nil when there is no limit.
func (st *store) churnBudget(source string, nowMs int64) *newSeriesBudget {
	limit := float64(st.opts.MaxNewSeriesPerHour)
	if limit <= 0 {
		return nil
	}
	b := st.newBySrc[source]
	if b == nil {
		if st.newBySrc == nil {
			st.newBySrc = make(map[string]*newSeriesBudget)
		}
		b = &newSeriesBudget{tokens: limit, atMs: nowMs}
		st.newBySrc[source] = b
		return b
	}
	b.refill(limit, nowMs)
	return b
}

// refill adds what limit an hour gives from the last refill to nowMs, up
// to limit.
func (b *newSeriesBudget) refill(limit float64, nowMs int64) {
	if nowMs > b.atMs {
		b.tokens = min(limit, b.tokens+float64(nowMs-b.atMs)*limit/float64(hourMs))
		b.atMs = nowMs
	}
}

// mayMakeNew says whether the batch's source has a new series left in its
// budget (true for a source with none), without spending it: ingest
// refuses a new series at once when not, before any cap is looked at.
func (st *store) mayMakeNew(b *Batch, run *ingestRun) bool {
	if b.Known {
		return true
	}
	if run.budget == nil && st.opts.MaxNewSeriesPerHour > 0 {
		run.budget = st.churnBudget(b.Source, run.nowMs)
	}
	if run.budget != nil && run.budget.tokens < 1 {
		return false
	}
	if all := st.allSourcesBudget(run.nowMs); all != nil && all.tokens < 1 {
		return false
	}
	return true
}

// allSourcesBudget returns the store's budget of new series filled up to
// nowMs; nil when there is none.
func (st *store) allSourcesBudget(nowMs int64) *newSeriesBudget {
	limit := float64(st.opts.MaxNewSeriesPerHourAllSources)
	if limit <= 0 {
		return nil
	}
	if st.newAll == nil {
		st.newAll = &newSeriesBudget{tokens: limit, atMs: nowMs}
	} else {
		st.newAll.refill(limit, nowMs)
	}
	return st.newAll
}

// takeNew spends one of the batch's source's new series, or says false
// when its budget has none left; true for a source with no budget. The
// budget is filled once a batch, at the batch's first new series. Called
// by ingest under the store's lock, just before a series is made.
func (st *store) takeNew(b *Batch, run *ingestRun) bool {
	if !st.mayMakeNew(b, run) {
		return false
	}
	if run.budget != nil {
		run.budget.tokens--
	}
	if all := st.allSourcesBudget(run.nowMs); all != nil {
		all.tokens--
	}
	return true
}
