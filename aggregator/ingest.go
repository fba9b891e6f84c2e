package aggregator

import "math"

// The ingest path: a batch's samples found in their series or made into
// new ones (at a cap, in the place of a stale series: churn.go), stored or
// refused by reason, and counted.

// ingest stores one batch. nowMs is the store clock.
//
// A sample is stored at its own time (TimeMs), as Prometheus does with
// honor_timestamps. It is refused, and counted by reason, when it is
// stamped further ahead than the whole history (a broken clock: stored, it
// would hold the series' windows and its order check hostage until then),
// older than the history's horizon, or older than its series' newest point.
// A sample at its series' newest time is the same sample again: skipped,
// and counted as a duplicate only if its value differs (bit for bit, so a
// NaN repeats itself).
//
// A new series that a cap (max_series, max_series_per_source, the memory
// budget) refuses waits until the batch's known series are stored, then
// takes the place of one of the source's stale series if it can
// (churn.go). Past its source's hourly budget of new series, a new series
// is refused whatever room there is (churn_limit.go).
func (st *store) ingest(b Batch, nowMs int64) {
	if b.Failed {
		st.staleAll(b.Source, nowMs)
		return
	}
	var gen uint64
	if b.Complete {
		st.gen++
		gen = st.gen
	}
	st.batches++
	run := ingestRun{
		gen: gen, batch: st.batches, nowMs: nowMs,
		horizon: nowMs - st.opts.History.Milliseconds(),
		future:  nowMs + st.opts.History.Milliseconds(),
	}
	var waiting []int // samples of new series at a cap, by index
	order := st.batchOrder[b.Source]
	for i := range b.Samples {
		smp := &b.Samples[i]
		var s *series
		if i < len(order) {
			if c := order[i]; c != nil && !c.evicted && c.sameIdentity(b.Source, smp.Metric, smp.Labels) {
				s = c
			} else {
				s = st.lookup(b.Source, smp)
				order[i] = s
			}
		} else {
			s = st.lookup(b.Source, smp)
			order = append(order, s)
		}
		if s != nil {
			// Shown by its target, even if refused below.
			s.seenGen, s.seenBatch, s.noStale = gen, run.batch, smp.NoStaleness
			if s.charge == 0 {
				// Restored from storage: charged once its source is known.
				st.chargeSeries(s, st.seriesCharge(b.Interval), b.Known)
			}
			if s.stale {
				st.staleSeen(s)
			}
		}
		switch {
		case smp.TimeMs > run.future:
			run.rej[rejectTooFarAhead]++
			continue
		case s != nil:
		case smp.TimeMs < run.horizon:
			run.rej[rejectTooOld]++
			continue
		default:
			if !st.mayMakeNew(&b, &run) {
				// Spent: refused before any cap is looked at, so that a
				// source renaming thousands of series a scrape costs a
				// lookup each (churn_limit.go).
				run.rej[churnLimit]++
				continue
			}
			var why storeReject
			if s, why = st.create(&b, smp, &run); s == nil {
				if why != churnLimit && st.replaceable(b.Source, run.batch) != nil {
					waiting = append(waiting, i)
				} else {
					run.rej[why]++
				}
				continue
			}
			order[i] = s
			st.born(s, smp, &run)
		}
		st.store1(s, smp, &run)
	}
	for _, i := range waiting {
		smp := &b.Samples[i]
		s := st.lookup(b.Source, smp) // the same new series twice in the batch
		if s == nil {
			var why storeReject
			if s, why = st.createReplacing(&b, smp, &run); s == nil {
				run.rej[why]++
				continue
			}
			st.born(s, smp, &run)
		}
		order[i] = s
		st.store1(s, smp, &run)
	}
	// Positions past this batch would only keep series alive.
	clear(order[len(b.Samples):])
	st.batchOrder[b.Source] = order[:len(b.Samples)]
	if b.Complete {
		st.staleMissing(b.Source, gen, nowMs)
	}
	st.count(b.Source, &run)
}

// ingestRun is what ingest keeps of one batch.
type ingestRun struct {
	gen, batch      uint64 // the batch's numbers: complete ones, all
	nowMs           int64
	horizon, future int64 // the oldest and the newest time a sample may have
	ingested        uint64
	replaced        uint64
	rej             [numStoreRejects]uint64
	budget          *newSeriesBudget // the source's new series, once one came (churn_limit.go)
}

// born readies a series ingest just made for its first sample.
func (st *store) born(s *series, smp *Sample, run *ingestRun) {
	s.seenGen, s.seenBatch, s.noStale = run.gen, run.batch, smp.NoStaleness
	if st.reopen != nil {
		st.reopen(s)
	}
}

// store1 stores one sample in its series s, or counts why not.
func (st *store) store1(s *series, smp *Sample, run *ingestRun) {
	if s.hist.len() > 0 {
		switch {
		case smp.TimeMs < run.horizon:
			run.rej[rejectTooOld]++
			return
		case smp.TimeMs < s.last.t:
			run.rej[rejectOutOfOrder]++
			return
		case smp.TimeMs == s.last.t:
			if math.Float64bits(smp.Value) != math.Float64bits(s.last.v) {
				run.rej[rejectDuplicate]++
			} else if s.stale {
				st.markLive(s) // the target shows it again
			}
			return
		}
	}
	st.append(s, smp.TimeMs, smp.Value, run.nowMs)
	run.ingested++
}

// count adds what ingest did with one batch of source to the counters and
// to the source's warning.
func (st *store) count(source string, run *ingestRun) {
	st.stats.ingested.Add(run.ingested)
	st.stats.refused.Add(run.rej[seriesLimit])
	st.stats.refusedMemory.Add(run.rej[memoryLimit])
	st.stats.refusedChurn.Add(run.rej[churnLimit])
	for r, n := range run.rej[:numRejectReasons] {
		if n > 0 {
			st.stats.rejected[r].Add(n)
		}
	}
	noted := run.replaced > 0
	for _, n := range run.rej {
		noted = noted || n > 0
	}
	if noted {
		st.noteRejects(source, &run.rej, run.replaced, run.nowMs)
	}
}

func (st *store) lookup(source string, smp *Sample) *series {
	for s := st.byHash[identityHash(source, smp.Metric, smp.Labels)]; s != nil; s = s.collision {
		if s.sameIdentity(source, smp.Metric, smp.Labels) {
			return s
		}
	}
	return nil
}

// create makes a new series for a sample of b, or returns nil and the
// reason when a cap or the source's budget of new series refuses it.
func (st *store) create(b *Batch, smp *Sample, run *ingestRun) (*series, storeReject) {
	charge := st.seriesCharge(b.Interval)
	if why, ok := st.room(b.Source, charge, b.Known, nil); !ok {
		return nil, why
	}
	if !st.takeNew(b, run) {
		return nil, churnLimit
	}
	return st.createCharged(b, smp, charge), 0
}

// createReplacing is create at a cap: it makes room first by replacing
// the source's longest stale series the batch does not show, if the new
// series then fits.
func (st *store) createReplacing(b *Batch, smp *Sample, run *ingestRun) (*series, storeReject) {
	charge := st.seriesCharge(b.Interval)
	why, ok := st.room(b.Source, charge, b.Known, nil)
	if !ok {
		victim := st.replaceable(b.Source, run.batch)
		if victim == nil {
			return nil, why
		}
		if why, ok = st.room(b.Source, charge, b.Known, victim); !ok {
			return nil, why
		}
		if !st.takeNew(b, run) {
			return nil, churnLimit
		}
		st.replace(victim)
		run.replaced++
	} else if !st.takeNew(b, run) {
		return nil, churnLimit
	}
	return st.createCharged(b, smp, charge), 0
}

// createCharged makes a new series that room found room for.
func (st *store) createCharged(b *Batch, smp *Sample, charge float64) *series {
	h := identityHash(b.Source, smp.Metric, smp.Labels)
	key := h
	for st.byKey[key] != nil { // collision: take the next free id
		key++
	}
	s := st.createWithKey(b.Source, smp, key)
	st.chargeSeries(s, charge, b.Known)
	return s
}
