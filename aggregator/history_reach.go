package aggregator

import (
	"math"
	"time"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// StoredReach reports whether there is Storage and how far back its raw
// tier reaches (Options.Retention of the raw tier; 0: unbounded). Safe
// from any goroutine.
func (a *Aggregator) StoredReach() (raw time.Duration, ok bool) {
	return a.opts.Retention[storage.Raw], a.opts.Storage != nil
}

// NewestHeld returns the time (Unix ms) of the newest sample held of the
// series whose source keep accepts: in memory, or with Storage in the
// raw tier (within its retention); ok is false when none is held. A
// cluster's backfill asks a peer for its history from there, after a
// restart that left that peer's series on disk only.
//
// Safe from any goroutine; it holds the read lock over memory's series,
// then lists Storage's and reads, of each series kept, only the raw
// blocks ending after the newest time found so far (the first one read
// whole). A series whose blocks do not read is skipped.
func (a *Aggregator) NewestHeld(keep func(source string) bool) (ms int64, ok bool) {
	newest := int64(math.MinInt64)
	inMemory := map[uint64]bool{}
	a.mu.RLock()
	for _, s := range a.st.all {
		if keep(s.source) && s.hist.len() > 0 {
			newest = max(newest, s.last.t)
			inMemory[s.key] = true
		}
	}
	a.mu.RUnlock()
	if a.opts.Storage != nil {
		newest = max(newest, a.newestStored(keep, inMemory))
	}
	return newest, newest != math.MinInt64
}

// newestStored is NewestHeld's reach into the raw tier.
func (a *Aggregator) newestStored(keep func(string) bool, skip map[uint64]bool) int64 {
	newest := int64(math.MinInt64)
	metas, err := a.opts.Storage.Series()
	if err != nil {
		a.opts.Logger.Warn("aggregator: listing stored series failed", "err", err)
		return newest
	}
	from := int64(0)
	if r := a.opts.Retention[storage.Raw]; r > 0 {
		from = a.nowMs() - r.Milliseconds()
	}
	for _, m := range metas {
		if skip[m.Key] {
			continue
		}
		id, err := decodeSeriesMeta(m.Meta)
		if err != nil || !keep(id.Source) {
			continue
		}
		err = a.opts.Storage.Blocks(storage.Raw, m.Key, max(from, newest+1), math.MaxInt64, func(b storage.Block) bool {
			newest = max(newest, b.End)
			return true
		})
		if err != nil {
			a.opts.Logger.Warn("aggregator: reading a stored series failed; skipped", "series", formatID(m.Key), "err", err)
		}
	}
	return newest
}
