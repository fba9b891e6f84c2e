package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/supervisor"
)

// errNoConfigFile: the program runs on the embedded config, so there is no
// file to read again. The reload route answers it, like a rejected config,
// with 422 and this text: the request cannot be carried out as it stands.
var errNoConfigFile = errors.New("no config file to reload (running on the embedded config)")

// rejectedError is a reload refused whole. Its text is the reasons, one a
// line (file:line:col lines for a bad config), which the reload route
// returns as they are.
type rejectedError struct {
	lines []string
	err   error
}

func (e *rejectedError) Error() string { return strings.Join(e.lines, "\n") }
func (e *rejectedError) Unwrap() error { return e.err }

// watchRetry is how long the reloader waits before watching the config
// file again after the watch failed (its directory gone, say). It doubles
// while the watch keeps failing without ever watching, up to
// maxWatchRetry, so a lasting failure does not fill the log.
const (
	watchRetry    = 5 * time.Second
	maxWatchRetry = 5 * time.Minute
)

// reloadSetup is what the command line tells the reloader.
type reloadSetup struct {
	// path is the config file; "" when running on the embedded config.
	path string
	// listen is the -listen override, applied to every reloaded config as
	// it was to the first, so that it does not read as a change.
	listen string
	// storagePath is the -storage.path override, likewise (nil: none).
	storagePath *string
	// hangups delivers SIGHUP. The caller registers it for the life of the
	// program: a SIGHUP nobody asked for would end the process.
	hangups <-chan os.Signal
	// noWatch leaves the file unwatched, for tests that trigger reloads
	// only by SIGHUP or the route.
	noWatch bool
	// onDelivery is the dashboard's Options.OnDelivery: the flight
	// recorder's, when the environment turns it on (nil: none).
	onDelivery func(time.Duration)
}

// reloaderDeps are the parts of the program a reload acts on.
type reloaderDeps struct {
	// apply makes the running sources those given (collectors.Manager.Apply).
	apply func([]configs.Source) error
	// applyAlerts makes the alert rules those given (alerting.Evaluator.Apply):
	// unchanged rules keep their alerts. Nil ignores rules.
	applyAlerts func([]configs.AlertRule) error
	// announcer tells the dashboards; nil tells nobody.
	announcer announcer
	registry  prometheus.Registerer
	log       *slog.Logger
	now       func() time.Time
	// load reads the config file; configs.Load when nil.
	load func(path string) (*configs.Config, error)
	// stat is the config file's state, compared before and after each
	// load (loadSettled); configs.StatFile when nil.
	stat func(path string) configs.FileState
	// loadBudget bounds one load (see loadWithin); loadBudget when zero.
	loadBudget time.Duration
	// freeMemory returns the memory of a rejected config to the system;
	// freeOSMemory when nil.
	freeMemory func()
}

// reloader re-reads the config file when it changes, on SIGHUP and on
// POST /api/v1/reload, and applies the difference: sources added, removed
// or changed are started, stopped or restarted, the others keep running.
// Keys that cannot change live keep their old values and are reported as
// needing a restart. A config that does not load is rejected whole.
//
// Reloads run one at a time, in Serve: a request that arrives while one
// runs waits for the next, which serves every request made meanwhile
// (each counted in pulseboard_config_reload_requests_total, the reload
// once in pulseboard_config_reloads_total; every POST it serves gets its
// result). Applying alert rules never waits for an evaluation
// (alerting.Evaluator.Apply hands them over), so a slow round cannot hold
// a reload up.
// What it keeps (the running config, the metrics) lives in the reloader,
// not in Serve, so a restart of Serve loses nothing.
type reloader struct {
	setup    reloadSetup
	deps     reloaderDeps
	metrics  *reloadMetrics
	watcher  *configs.Watcher // nil without a file, or with noWatch
	retry    time.Duration    // watchRetry; shorter in tests
	requests chan reloadRequest

	// stuckLoads counts the loads that ran past their budget and have not
	// ended yet (see loadWithin).
	stuckLoads atomic.Int32

	mu      sync.Mutex
	running *configs.Config
}

// reloadRequest is one reason to reload; reply, when set, gets the result.
type reloadRequest struct {
	trigger string
	reply   chan error
}

func newReloader(running *configs.Config, setup reloadSetup, deps reloaderDeps) (*reloader, error) {
	if deps.log == nil {
		deps.log = slog.New(slog.DiscardHandler)
	}
	if deps.now == nil {
		deps.now = time.Now
	}
	r := &reloader{}
	if deps.load == nil {
		// The running aggregator's limits, not the file's: those need a
		// restart, and a source past them would be applied now.
		deps.load = func(path string) (*configs.Config, error) {
			return configs.LoadInForce(path, r.config().Aggregator)
		}
	}
	if deps.stat == nil {
		deps.stat = configs.StatFile
	}
	if deps.loadBudget == 0 {
		deps.loadBudget = loadBudget
	}
	if deps.freeMemory == nil {
		deps.freeMemory = freeOSMemory
	}
	metrics, err := newReloadMetrics(deps.registry, deps.now())
	if err != nil {
		return nil, err
	}
	*r = reloader{
		setup: setup, deps: deps, metrics: metrics, running: running,
		retry: watchRetry, requests: make(chan reloadRequest),
	}
	if setup.path != "" && !setup.noWatch {
		if r.watcher, err = configs.NewWatcher(setup.path, configs.WatchOptions{}); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// config returns the running config.
func (r *reloader) config() *configs.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running
}

// Reload is the reload route's handler: it asks Serve for a reload and
// returns its result, an error when the new config was rejected (a
// *rejectedError) or when there is no file (errNoConfigFile). It gives up
// waiting when ctx ends; the reload may still happen.
func (r *reloader) Reload(ctx context.Context) error {
	if r.setup.path == "" {
		return errNoConfigFile
	}
	req := reloadRequest{trigger: triggerAPI, reply: make(chan error, 1)}
	select {
	case r.requests <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Serve watches the file and carries out reloads until ctx is cancelled;
// it then returns nil. A failing file watch does not end it (nor, through
// the root's restart intensity, the program): SIGHUP and the route still
// work while the watch is tried again, after r.retry, doubling.
func (r *reloader) Serve(ctx context.Context) error {
	w := r.watch(ctx)
	defer func() { w.stop() }()
	failures := 0 // consecutive watch failures, for the doubling retry delay
	retryTimer := time.NewTimer(r.retry)
	retryTimer.Stop()
	defer retryTimer.Stop()
	var retry <-chan time.Time // retryTimer.C while a retry is due
	for {
		var req reloadRequest
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.ended:
			if w.watched() {
				failures = 0 // it worked for a while: a new failure
			}
			delay := supervisor.Doubling(r.retry, maxWatchRetry, failures)
			failures++
			r.deps.log.Warn("config file not watched; reload with SIGHUP or the API meanwhile",
				"path", r.setup.path, "err", err, "retry_in", delay)
			w.stop()
			w = idleWatch()
			retryTimer.Reset(delay)
			retry = retryTimer.C
			continue
		case <-retry:
			retry = nil
			w = r.watch(ctx)
			continue
		case <-w.changes:
			req.trigger = triggerFile
		case sig := <-r.setup.hangups:
			req.trigger = "signal " + sig.String()
		case req = <-r.requests:
		}
		batch := r.coalesce([]reloadRequest{req}, w.changes)
		for _, b := range batch {
			r.metrics.requested(b.trigger)
		}
		err := r.reload(ctx, triggers(batch))
		for _, b := range batch {
			if b.reply != nil {
				b.reply <- err
			}
		}
	}
}

// coalesce adds to batch every reason to reload that is already waiting:
// one reload serves them all.
func (r *reloader) coalesce(batch []reloadRequest, changes <-chan struct{}) []reloadRequest {
	for {
		select {
		case <-changes:
			batch = append(batch, reloadRequest{trigger: triggerFile})
		case sig := <-r.setup.hangups:
			batch = append(batch, reloadRequest{trigger: "signal " + sig.String()})
		case req := <-r.requests:
			batch = append(batch, req)
		default:
			return batch
		}
	}
}

// triggers names what asked for a reload, for the log: "file",
// "signal hangup", "api", or several of them ("api,file").
func triggers(batch []reloadRequest) string {
	var out []string
	for _, b := range batch {
		out = append(out, b.trigger)
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ",")
}

// reload reads the file and applies it, or rejects it with everything it
// holds left as it was. When ctx ends while the file loads, it returns
// ctx's error and counts nothing: the program is stopping.
func (r *reloader) reload(ctx context.Context, trigger string) error {
	log := r.deps.log.With("trigger", trigger)
	if r.setup.path == "" {
		log.Warn("reload asked for, but there is " + errNoConfigFile.Error())
		return errNoConfigFile
	}
	next, err := r.loadWithin(ctx)
	if err != nil && ctx.Err() != nil {
		return err
	}
	if err == nil && r.setup.storagePath != nil {
		next.Storage.Path = *r.setup.storagePath
	}
	if err == nil && r.setup.listen != "" {
		next.Server.Listen = r.setup.listen
	}
	if err != nil {
		return r.reject(log, err)
	}
	running := r.config()
	d := diffConfigs(running, next)
	if d.alertsChanged && r.deps.applyAlerts != nil {
		// Before the sources: it changes nothing when it fails.
		if err := r.deps.applyAlerts(next.Alerts); err != nil {
			return r.reject(log, fmt.Errorf("alerts: %w", err))
		}
	}
	if d.sourcesChanged() {
		if err := r.deps.apply(d.sources); err != nil {
			if !errors.Is(err, supervisor.ErrStuck) {
				// Apply builds every new source before it changes anything;
				// the rules go back to the running ones.
				if d.alertsChanged && r.deps.applyAlerts != nil {
					if aerr := r.deps.applyAlerts(running.Alerts); aerr != nil {
						log.Error("the running alert rules could not be restored", "err", aerr)
					}
				}
				return r.reject(log, fmt.Errorf("sources: %w", err))
			}
			// Applied, but a stopped collector ignored its cancellation.
			log.Warn("a stopped source did not stop in time and was abandoned", "err", firstLine(err.Error()))
		}
	}
	adopted := *running // keys that cannot change live keep their old values
	adopted.Sources = d.sources
	adopted.Alerts = next.Alerts
	r.mu.Lock()
	r.running = &adopted
	r.mu.Unlock()

	at := r.deps.now()
	r.metrics.succeeded(at)
	log.Info("config reloaded", "added", d.added, "removed", d.removed, "changed", d.changed, "alert_rules_changed", d.alertsChanged)
	if len(d.needsRestart) > 0 {
		log.Warn("config changes need a restart to take effect; their old values stay in force", "keys", d.needsRestart)
	}
	r.announce(successEvent(at, d))
	return nil
}

// reject counts, logs and announces a rejected reload, and returns it.
// What the rejected config took is given back to the system: a load that
// ran past its budget gives it back when it ends.
func (r *reloader) reject(log *slog.Logger, err error) error {
	lines := configErrorLines(err)
	for i, line := range lines {
		// Config errors redact their URLs; a source's refusal may not.
		lines[i] = configs.RedactURLsIn(line)
	}
	var timeout *loadTimeoutError
	var changing *stillChangingError
	switch {
	case errors.As(err, &timeout):
		r.metrics.timedOut()
	case errors.As(err, &changing):
		r.metrics.postponed()
		r.deps.freeMemory()
	case errors.Is(err, configs.ErrReadTimeout):
		// The load ended, at a read that hung: a timeout all the same.
		r.metrics.timedOut()
		r.deps.freeMemory()
	default:
		r.metrics.failed()
		r.deps.freeMemory()
	}
	for _, line := range lines {
		if changing != nil {
			log.Warn("config reload postponed; the running config is unchanged", "err", line)
			continue
		}
		log.Error("config reload rejected; the running config is unchanged", "err", line)
	}
	r.announce(failureEvent(r.deps.now(), lines))
	return &rejectedError{lines: lines, err: err}
}

func (r *reloader) announce(e reloadEvent) {
	if r.deps.announcer == nil {
		return
	}
	if err := r.deps.announcer.announce(e); err != nil {
		r.deps.log.Error("reload not announced to the dashboards", "err", err)
	}
}

// watchRun is one run of the file watcher, on a goroutine of Serve's.
type watchRun struct {
	changes  <-chan struct{}
	ended    <-chan error    // the watcher's error when it stops on its own
	watching <-chan struct{} // closed once this run watched
	stop     func()          // stops the run and waits for it; idempotent
}

// idleWatch is no watch at all: its channels are never ready.
func idleWatch() *watchRun { return &watchRun{stop: func() {}} }

// watched reports whether the run got as far as watching the file.
func (w *watchRun) watched() bool {
	select {
	case <-w.watching:
		return true
	default:
		return false
	}
}

func (r *reloader) watch(ctx context.Context) *watchRun {
	if r.watcher == nil {
		return idleWatch()
	}
	ctx, cancel := context.WithCancel(ctx)
	ended := make(chan error, 1)
	done := make(chan struct{})
	watching := r.watcher.Watching() // before Serve, which may end and renew it
	go func() {
		defer close(done)
		if err := r.watcher.Serve(ctx); err != nil {
			ended <- err
		}
	}()
	return &watchRun{
		changes: r.watcher.Changes(), ended: ended, watching: watching,
		stop: func() { cancel(); <-done },
	}
}

// watching is closed once the file is watched; never without a watcher.
func (r *reloader) watching() <-chan struct{} {
	if r.watcher == nil {
		return nil
	}
	return r.watcher.Watching()
}
