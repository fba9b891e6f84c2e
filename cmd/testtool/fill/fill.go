// Package fill writes the stored history a pulseboard running a given
// config would have left in its data directory over a span of time, in
// seconds rather than days: for benchmarks of the stored history (RSS,
// range reads, bytes a sample) and for browser tests that need charts that
// reach back a day.
//
// It runs the real aggregator over the real store (storage.Open on the
// directory), with a clock of its own that jumps from one poll to the next:
// the config's simulated sources are polled through package collectors (the
// very value generators the program uses, their faults replayed from the
// same seed without their latency), host sources get synthesized values
// under the identities of a template (DefaultHost, or this machine's own
// series, MachineHost). Other source types are skipped and listed in
// Stats.Skipped.
package fill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/storage"
	"github.com/pulseboard/pulseboard/configs"
)

// Errors of Run.
var (
	// ErrBadRange is returned when From is not before To.
	ErrBadRange = errors.New("fill: the range is empty (from must be before to)")
	// ErrNothingToFill is returned when the config has no source Run can
	// generate (simulated or host).
	ErrNothingToFill = errors.New("fill: the config has no simulated or host source")
	// ErrShed is returned when the aggregator shed a batch: its queue stayed
	// full for a minute of real time, which only a stuck aggregator does.
	ErrShed = errors.New("fill: the aggregator shed a batch")
)

// Options say what Run writes where.
type Options struct {
	// Dir is the data directory (created if missing). It must not be in
	// use by a running pulseboard (storage.ErrLocked). What it holds
	// already is restored first, as the program does at start.
	Dir string
	// Config supplies the sources (their intervals, labels, seeds and
	// faults), the aggregator's history and windows, and the storage's
	// retention and flush interval; Config.Storage.Path is ignored.
	Config *configs.Config
	// From and To bound the polls: the first at From, none at or after To.
	// The store's retention is enforced on the fill's clock, so a span
	// longer than a tier's retention keeps only its end in that tier.
	From, To time.Time
	// Seed replaces the random seed of the simulated sources that have
	// none (mixed with the source's name), so that two runs store the same
	// data. Zero is a fixed seed too.
	Seed uint64
	// Host lists the series a host source shows, with their first values
	// (Metric, Labels, Kind, Value; TimeMs is ignored). Nil is DefaultHost.
	Host []aggregator.Sample
	// FlushEvery is the fill's clock time between two flushes. Zero is the
	// shorter of the config's storage.flush_interval times 30 and a third
	// of the history: each flush is one fsynced transaction, and the
	// stored blocks come out the same at any cadence (a growing block is
	// rewritten under the same key), as long as a flush comes before the
	// history drops a chunk, which a third of it guarantees.
	FlushEvery time.Duration
	// Logger receives the store's log lines; nil discards them.
	Logger *slog.Logger
}

// Stats say what Run wrote.
type Stats struct {
	Series      int   // series the fill produced
	Samples     int64 // samples pushed to the aggregator
	FailedPolls int64 // polls failed on purpose (faults.error_rate, hang_rate), pushed as failed batches
	Panics      int64 // polls that panicked on purpose (faults.panic_rate): nothing pushed
	Flushes     int
	// Skipped names the sources of types Run cannot generate.
	Skipped []string
	// Tiers is the store's size per tier after the fill (storage.Stats).
	Tiers   [storage.NumTiers]storage.TierStats
	Elapsed time.Duration // real time the fill took
}

// History fills dir with the history cfg would have stored between from and
// to, with the default options (fixed seed, DefaultHost). See Run.
func History(dir string, cfg *configs.Config, from, to time.Time) (Stats, error) {
	return Run(context.Background(), Options{Dir: dir, Config: cfg, From: from, To: to})
}

// Run fills o.Dir: it opens the store, restores what it holds, then polls
// every feed at its interval on the fill's clock, pushes each poll's batch
// to a serving aggregator, flushes every FlushEvery and, at To, stops the
// aggregator the way the program stops (open minutes and hours closed and
// flushed) and closes the store. It returns once everything is on disk and
// every goroutine it started has ended. Called from any goroutine; a
// cancelled ctx stops it early with ctx's error (what was flushed stays).
//
// The same options give the same stored series and blocks: the clock only
// moves with the polls, and the aggregator takes every batch before a flush
// reads it (see barrier).
func Run(ctx context.Context, o Options) (Stats, error) {
	begun := time.Now()
	var st Stats
	if !o.From.Before(o.To) {
		return st, ErrBadRange
	}
	feeds, skipped, err := newFeeds(o)
	if err != nil {
		return st, err
	}
	st.Skipped = skipped
	if len(feeds) == 0 {
		return st, ErrNothingToFill
	}
	var clock fakeClock
	clock.set(o.From)
	db, err := storage.Open(storage.Options{
		Dir:       o.Dir,
		Retention: retention(o.Config.Storage.Retention),
		Logger:    o.Logger,
		Now:       clock.now,
	})
	if err != nil {
		return st, fmt.Errorf("fill: %w", err)
	}
	defer db.Close()
	agg := aggregator.New(aggregatorOptions(o.Config, db, clock.now))
	if err := agg.Restore(); err != nil {
		return st, fmt.Errorf("fill: %w", err)
	}
	sctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- agg.Serve(sctx) }()
	r := runner{agg: agg, clock: &clock, feeds: feeds, stats: &st}
	err = r.run(ctx, o.From, o.To, flushEvery(o))
	if err == nil {
		err = r.barrier(ctx) // the last polls are stored before Serve stops
	}
	stop()
	if serr := <-served; err == nil {
		err = serr
	}
	if err != nil {
		return st, err
	}
	// Serve flushed once more on its way out; a failure there is counted,
	// not returned: flush again to see it.
	if err := agg.Flush(); err != nil {
		return st, fmt.Errorf("fill: %w", err)
	}
	st.Flushes++
	st.Tiers = db.Stats()
	for _, f := range feeds {
		st.Series += f.series()
	}
	if err := db.Close(); err != nil {
		return st, fmt.Errorf("fill: closing the store: %w", err)
	}
	st.Elapsed = time.Since(begun)
	return st, nil
}

// aggregatorOptions are the program's aggregator options for cfg
// (cmd/pulseboard's newProgram), on the fill's clock. The queue holds one
// batch, so that the aggregator is never more than two batches behind the
// clock, and a push waits for room rather than shed. The aggregator's own
// flush loop runs on real time: it is pushed out of the way, the fill
// flushes on its clock instead.
func aggregatorOptions(cfg *configs.Config, db aggregator.Storage, now func() time.Time) aggregator.Options {
	r := cfg.Storage.Retention
	ws := make([]time.Duration, len(cfg.Aggregator.Windows))
	for i, w := range cfg.Aggregator.Windows {
		ws[i] = w.D()
	}
	return aggregator.Options{
		History:                       cfg.Aggregator.History.D(),
		Windows:                       ws,
		MaxSeries:                     cfg.Aggregator.MaxSeries,
		MaxSeriesPerSource:            cfg.Aggregator.MaxSeriesPerSource,
		MaxNewSeriesPerHour:           cfg.Aggregator.MaxNewSeriesPerHour,
		MaxNewSeriesPerHourAllSources: cfg.Aggregator.MaxNewSeriesPerHourAllSources,
		QueueSize:                     1,
		PushWait:                      time.Minute,
		BroadcastInterval:             cfg.Broadcast.Interval.D(),
		Now:                           now,
		Storage:                       db,
		FlushInterval:                 100 * 365 * 24 * time.Hour,
		Retention:                     [storage.NumTiers]time.Duration{r.Raw.Time.D(), r.Minute.Time.D(), r.Hour.Time.D()},
	}
}

func retention(r configs.Retention) [storage.NumTiers]storage.Limit {
	return [storage.NumTiers]storage.Limit{
		storage.Raw:    {Time: r.Raw.Time.D(), Size: int64(r.Raw.Size)},
		storage.Minute: {Time: r.Minute.Time.D(), Size: int64(r.Minute.Size)},
		storage.Hour:   {Time: r.Hour.Time.D(), Size: int64(r.Hour.Size)},
	}
}

func flushEvery(o Options) time.Duration {
	if o.FlushEvery > 0 {
		return o.FlushEvery
	}
	d := o.Config.Aggregator.History.D() / 3
	if fi := 30 * o.Config.Storage.FlushInterval.D(); fi > 0 && fi < d {
		d = fi
	}
	return max(d, time.Second)
}

// fakeClock is the fill's clock, read by the aggregator's goroutine and the
// store as well as the fill's.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *fakeClock) now() time.Time  { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(t time.Time) {
	if t.UnixNano() > c.ns.Load() {
		c.set(t)
	}
}
