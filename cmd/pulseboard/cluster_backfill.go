package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/cluster"
)

// History on join and after a break (docs/cluster.md, "Wiring").
//
// When a peer comes Up, for the first time or after it was Down, this
// node asks it for the raw points of its own series since it was last
// seen (see backfillSince) and stores them as that peer's remote series,
// the live samples' way; with storage, those older than this node's
// history go to its stored tiers instead (cluster_backfill_stored.go). The
// aggregator refuses a sample older than its series' newest, so the
// backfill must come first: from the moment a peer is not known live
// (never seen, or Down) its live samples are held back, bounded, and
// stored once the backfill has ended, well or not. The two are merged
// series by series: a backfilled point at or after the first live sample
// held of its series is left out (the live one covers it), as is a live
// sample held at or before the last point backfilled of its series.
//
// A backfill that fails (busy, timed out, peer unreachable) is tried again
// with backoff until holdFor has passed since it started; then the held
// samples are stored anyway and the gap stays, counted. A chunk that
// cannot be read ends it at once (asking again gets the same). Nothing
// here blocks the dispatcher beyond the storing of one peer's held
// samples, nor the liveness goroutine beyond a cancel.

// backfillSettings are the bounds of the backfills; tests shorten them.
type backfillSettings struct {
	holdFor            time.Duration // a backfill's whole time, retries included; the longest hold
	maxHeld            int           // live samples held per peer; past it they are stored at once
	retryMin, retryMax time.Duration // backoff between attempts
}

var defaultBackfill = backfillSettings{holdFor: 10 * time.Second, maxHeld: 1 << 16,
	retryMin: 100 * time.Millisecond, retryMax: 2 * time.Second}

// backfillFetch is cluster.Node.Backfill's shape: tests give fakes.
type backfillFetch func(ctx context.Context, peer string, since time.Time, each func([]byte) error) (int64, error)

// backfiller runs the backfills of one clusterLink and gates its peers'
// live samples while they run.
type backfiller struct {
	set   backfillSettings
	fetch backfillFetch
	agg   *aggregator.Aggregator
	// deliver pushes a peer's samples, grouped by source as named here,
	// into the aggregator and empties batches; it returns how many
	// samples were stored and shed (clusterLink.deliver).
	deliver func(peer string, batches map[string][]aggregator.Sample) (stored, shed int)
	refused prometheus.Counter // live samples of unreadable identity
	log     *slog.Logger
	now     func() time.Time
	metrics backfillMetrics

	mu    sync.Mutex
	run   context.Context // the link's Serve's; nil while it is not running
	wg    sync.WaitGroup  // the backfill goroutines of that Serve
	peers map[string]*peerSync
}

// peerSync is one peer's gate. Its lock orders everything stored of that
// peer: live samples are stored under it, and the held ones are released
// under it, so none overtakes another.
type peerSync struct {
	mu        sync.Mutex
	holding   bool
	held      [][]cluster.Sample
	heldN     int
	holdStart time.Time
	firstHeld map[string]int64 // by series identity: the time of its first live sample held
	gen       uint64           // bumped by every Up and Down: an older backfill ends without releasing
	cancel    context.CancelFunc
	// lost says live samples of the peer could not be decoded since the
	// hold began (catchUp); firstHeldCh, while set, is closed when the
	// first live sample is held.
	lost        bool
	firstHeldCh chan struct{}
}

// backfillMetrics are the backfills' counters, on /metrics.
type backfillMetrics struct {
	results  *prometheus.CounterVec // by result
	samples  *prometheus.CounterVec // backfilled samples by fate
	retries  prometheus.Counter
	overflow prometheus.Counter
}

func newBackfillMetrics() backfillMetrics {
	return backfillMetrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_cluster_backfills_total",
			Help: "Backfills from peers by result: done, refused (a chunk could not be read), not_served, truncated (over the byte bound), gave_up (failed until the hold ran out), cancelled (the peer went down or the node stopped).",
		}, []string{"result"}),
		samples: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_cluster_backfill_samples_total",
			Help: "Backfilled samples by fate: stored (handed to memory, which may still refuse some, counted there), written (older than the history: merged into the stored tiers), duplicate (stored already), unwritten (older than the raw tier keeps, a series id taken, or the write failed), overlap (live samples cover them), shed (the ingest queue was full), refused (unreadable series identity).",
		}, []string{"fate"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_cluster_backfill_retries_total",
			Help: "Backfill attempts that failed (busy, timed out, unreachable) and were tried again.",
		}),
		overflow: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_cluster_backfill_hold_overflows_total",
			Help: "Times a peer's live samples held during a backfill passed their bound and were stored before the backfill ended.",
		}),
	}
}

func (m backfillMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.results, m.samples, m.retries, m.overflow}
}

func newBackfiller(l *clusterLink, fetch backfillFetch) *backfiller {
	return &backfiller{set: defaultBackfill, fetch: fetch, agg: l.agg, deliver: l.deliver, refused: l.refused,
		log: l.log, now: time.Now, metrics: newBackfillMetrics(), peers: map[string]*peerSync{}}
}

// serve makes Up peers' backfills run under ctx while f runs, and waits
// for them after: the link's Serve.
func (b *backfiller) serve(ctx context.Context, f func(context.Context) error) error {
	run, cancel := context.WithCancel(ctx)
	b.mu.Lock()
	b.run = run
	b.mu.Unlock()
	err := f(ctx)
	b.mu.Lock()
	b.run = nil
	b.mu.Unlock()
	cancel()
	b.wg.Wait()
	return err
}

// peer returns name's gate; a peer met for the first time is held until
// its first backfill.
func (b *backfiller) peer(name string) *peerSync {
	b.mu.Lock()
	defer b.mu.Unlock()
	ps := b.peers[name]
	if ps == nil {
		ps = &peerSync{holding: true}
		b.peers[name] = ps
	}
	return ps
}

// gate stores a peer's live samples with store, or holds them while the
// peer is being backfilled. Called on the dispatcher goroutine.
func (b *backfiller) gate(peer string, samples []cluster.Sample, store func([]cluster.Sample)) {
	ps := b.peer(peer)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.holding {
		switch {
		case ps.heldN+len(samples) > b.set.maxHeld:
			b.metrics.overflow.Inc()
			b.log.Warn("cluster: live samples held during a backfill passed their bound: stored now", "peer", peer)
		case ps.cancel == nil && ps.heldN > 0 && b.now().Sub(ps.holdStart) > b.set.holdFor:
			// Held for a peer that never came Up: nothing will release them.
		default:
			if ps.heldN == 0 {
				ps.holdStart = b.now()
				ps.firstHeld = map[string]int64{}
				if ps.firstHeldCh != nil {
					close(ps.firstHeldCh)
					ps.firstHeldCh = nil
				}
			}
			for _, s := range samples {
				if _, ok := ps.firstHeld[s.Series]; !ok {
					ps.firstHeld[s.Series] = s.Time
				}
			}
			ps.held = append(ps.held, samples)
			ps.heldN += len(samples)
			return
		}
		b.releaseLocked(ps, nil, store)
	}
	store(samples)
}

// releaseLocked stores what ps holds (leaving out what the backfill gave
// already: at or before lastDone of its series) and lets the live samples
// through from then on.
func (b *backfiller) releaseLocked(ps *peerSync, lastDone map[string]int64, store func([]cluster.Sample)) {
	for _, held := range ps.held {
		kept := held[:0]
		for _, s := range held {
			if t, ok := lastDone[s.Series]; !ok || s.Time > t {
				kept = append(kept, s)
			}
		}
		if len(kept) > 0 {
			store(kept)
		}
	}
	ps.holding, ps.held, ps.heldN, ps.firstHeld, ps.lost = false, nil, 0, nil, false
}

// peerUp starts a backfill of peer from missedSince (zero: from what this
// node holds of it, see backfillSince). Called on the liveness goroutine.
func (b *backfiller) peerUp(peer string, missedSince time.Time) {
	since := backfillSince(b.agg, peer, missedSince, b.now())
	ps := b.peer(peer)
	b.mu.Lock()
	run := b.run
	b.mu.Unlock()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.supersede()
	if run == nil {
		// Not serving (a test's link, or a change delivered at the end of
		// Serve): nothing can be asked.
		b.releaseLocked(ps, nil, newBackfillRun(b, ps, peer).storeLive)
		return
	}
	ctx, cancel := context.WithTimeout(run, b.set.holdFor)
	ps.cancel, ps.holding = cancel, true
	gen := ps.gen
	b.wg.Go(func() {
		defer cancel()
		res := newBackfillRun(b, ps, peer)
		result := res.fetchAll(ctx, since)
		for result == "done" && res.catchUp(ctx) {
			result = res.fetchAll(ctx, res.resumeFrom(since))
		}
		b.metrics.results.WithLabelValues(result).Inc()
		ps.mu.Lock()
		defer ps.mu.Unlock()
		if ps.gen != gen {
			return // the peer went Down (or Up again) meanwhile: the next one releases
		}
		ps.cancel = nil
		b.releaseLocked(ps, res.lastDone, res.storeLive)
	})
}

// peerDown cancels a running backfill and holds the peer's next samples
// until it is back and backfilled. Called on the liveness goroutine.
func (b *backfiller) peerDown(peer string) {
	ps := b.peer(peer)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.supersede()
	ps.holding = true
}

// supersede ends the peer's running backfill, if any, and makes whatever
// it would still do moot (a newer Up or a Down came). The caller holds
// ps.mu.
func (ps *peerSync) supersede() {
	ps.gen++
	if ps.cancel != nil {
		ps.cancel()
		ps.cancel = nil
	}
}

// backfillRun is one backfill of one peer, on its own goroutine.
type backfillRun struct {
	b        *backfiller
	ps       *peerSync
	peer     string
	cache    map[string]remoteSeries // identities read, this run's own
	batches  map[string][]aggregator.Sample
	lastDone map[string]int64 // by identity: the newest point stored
	// cutMs: older samples go to the stored tiers (writeOld), newer ones
	// to memory; one time for the whole run (see aggregator.WriteHistory).
	cutMs     int64
	writeErrs int // failed writes to the stored tiers, logged the first time
}

func newBackfillRun(b *backfiller, ps *peerSync, peer string) *backfillRun {
	return &backfillRun{b: b, ps: ps, peer: peer, cache: map[string]remoteSeries{},
		batches: map[string][]aggregator.Sample{}, lastDone: map[string]int64{}, cutMs: backfillCut(b)}
}

// fetchAll asks until the backfill is done, refused, or out of time, and
// returns the result for the metrics.
func (r *backfillRun) fetchAll(ctx context.Context, since time.Time) string {
	delay := r.b.set.retryMin
	for {
		r.ps.mu.Lock()
		if r.ps.heldN > 0 {
			r.ps.lost = false // lost before a sample held: this answer, read after, covers them
		}
		r.ps.mu.Unlock()
		_, err := r.b.fetch(ctx, r.peer, since, r.store)
		switch {
		case err == nil:
			return "done"
		case errors.Is(err, errBackfillChunk):
			r.b.log.Warn("cluster: backfill refused", "peer", r.peer, "err", err)
			return "refused"
		case errors.Is(err, cluster.ErrNotServed):
			return "not_served"
		case errors.Is(err, cluster.ErrBackfillTruncated):
			r.b.log.Warn("cluster: backfill stopped at its bound", "peer", r.peer)
			return "truncated"
		case errors.Is(ctx.Err(), context.Canceled):
			return "cancelled"
		case ctx.Err() != nil:
			r.b.log.Warn("cluster: backfill given up", "peer", r.peer, "err", err)
			return "gave_up"
		}
		r.b.metrics.retries.Inc()
		r.b.log.Debug("cluster: backfill failed, trying again", "peer", r.peer, "err", err, "in", delay)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		delay = min(2*delay, r.b.set.retryMax)
	}
}

// store decodes one chunk and hands its samples to the aggregator, merged
// with the live ones held (see the file's comment).
func (r *backfillRun) store(chunk []byte) error {
	samples, err := decodeChunk(chunk)
	if err != nil {
		return err
	}
	r.ps.mu.Lock()
	first := r.ps.firstHeld
	kept := samples[:0]
	overlap := 0
	for _, s := range samples {
		live, held := first[s.Series]
		if done, ok := r.lastDone[s.Series]; (held && s.Time >= live) || (ok && s.Time <= done) {
			overlap++
			continue
		}
		kept = append(kept, s)
	}
	r.ps.mu.Unlock()
	r.b.metrics.samples.WithLabelValues("overlap").Add(float64(overlap))
	bad := groupRemote(r.peer, kept, r.cache, r.batches)
	for _, s := range kept {
		r.lastDone[s.Series] = max(r.lastDone[s.Series], s.Time)
	}
	r.writeOld()
	stored, shed := r.b.deliver(r.peer, r.batches)
	r.b.metrics.samples.WithLabelValues("refused").Add(float64(bad))
	r.b.metrics.samples.WithLabelValues("stored").Add(float64(stored))
	r.b.metrics.samples.WithLabelValues("shed").Add(float64(shed))
	return nil
}

// storeLive stores live samples held during the run, with the run's
// identity cache (the dispatcher's is its own).
func (r *backfillRun) storeLive(samples []cluster.Sample) {
	r.b.refused.Add(float64(groupRemote(r.peer, samples, r.cache, r.batches)))
	r.b.deliver(r.peer, r.batches)
}
