package notify

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/supervisor"
)

// kind tells an Alertmanager from a webhook: where to POST, in which shape.
type kind int

const (
	kindAlertmanager kind = iota
	kindWebhook
)

// maxRetryDelay caps the delay between two tries of one batch.
const maxRetryDelay = 30 * time.Second

// alertsPath is where Alertmanager's v2 API takes alerts.
const alertsPath = "/api/v2/alerts"

// dropLogEvery bounds how often one target logs that its queue overflows:
// with a dead target and a busy engine that is every evaluation.
const dropLogEvery = time.Minute

// target is one URL to deliver to: its queue, filled by Send on any
// goroutine, and its sender, run by Serve on a goroutine of its own.
type target struct {
	n       *Notifier
	kind    kind
	url     string // as sent; never printed
	name    string // masked: for logs, errors and the metrics' label
	secrets []string
	bad     error // the URL does not parse: every batch fails with this
	log     *slog.Logger

	// mu guards the queue and the drop log; wake (capacity 1) tells the
	// sender there is work, without Send ever blocking on it.
	mu          sync.Mutex
	queue       []item
	wake        chan struct{}
	lastDropLog time.Time
	unlogged    int

	// held is the batch being tried and attempts how often it was: only
	// the sender touches them, and they outlive a Serve so that a restart
	// resumes the batch.
	held     []item
	attempts int

	sent, errors, dropped atomic.Uint64
	latency               histogram
}

func newTarget(n *Notifier, raw string, k kind) *target {
	t := &target{n: n, kind: k, url: raw, name: configs.RedactURL(raw), wake: make(chan struct{}, 1)}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		t.bad = &deliveryError{msg: "not an http or https URL with a host; fix the config"}
		return t
	}
	if k == kindAlertmanager && !strings.HasSuffix(u.Path, alertsPath) {
		u.Path = strings.TrimSuffix(u.Path, "/") + alertsPath
		if u.RawPath != "" {
			u.RawPath = strings.TrimSuffix(u.RawPath, "/") + alertsPath
		}
		t.url = u.String()
		t.name = configs.RedactURL(t.url)
	}
	t.secrets = secretsOf(u)
	return t
}

// enqueue appends items to the queue, dropping the oldest beyond its
// capacity, and wakes the sender. It never blocks on the sender.
func (t *target) enqueue(items []item) {
	capacity := t.n.opts.QueueCapacity
	drop := 0
	if len(items) > capacity {
		drop = len(items) - capacity
		items = items[drop:]
	}
	t.mu.Lock()
	if over := len(t.queue) + len(items) - capacity; over > 0 {
		clear(t.queue[:over]) // let the dropped bytes go
		t.queue = t.queue[over:]
		drop += over
	}
	t.queue = append(t.queue, items...)
	var logNow int
	if drop > 0 {
		t.unlogged += drop
		if now := time.Now(); now.Sub(t.lastDropLog) >= dropLogEvery {
			logNow, t.unlogged, t.lastDropLog = t.unlogged, 0, now
		}
	}
	t.mu.Unlock()
	if drop > 0 {
		t.dropped.Add(uint64(drop))
	}
	if logNow > 0 {
		t.log.Warn("notification queue full: oldest alerts dropped", "dropped", logNow, "capacity", capacity)
	}
	select {
	case t.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// next takes up to MaxBatch alerts off the front of the queue.
func (t *target) next() []item {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := min(len(t.queue), t.n.opts.MaxBatch)
	if k == 0 {
		return nil
	}
	batch := append([]item(nil), t.queue[:k]...)
	clear(t.queue[:k])
	t.queue = t.queue[k:]
	if len(t.queue) == 0 {
		t.queue = nil // let the emptied array go
	}
	return batch
}

// queued is the length of the queue.
func (t *target) queued() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.queue)
}

// run is the sender: it delivers batch after batch until ctx is
// cancelled, waiting for Send when the queue is empty.
//
// How a batch ends: delivered (counted as sent); failed for a reason that
// may pass, tried again after a backoff up to Attempts tries; failed for
// good, or out of tries, dropped. Each failed try counts its alerts as
// errors. A try cut short by ctx counts nothing: the batch stays held for
// the next Serve.
func (t *target) run(ctx context.Context) {
	opts := &t.n.opts
	for {
		if t.held == nil {
			t.held = t.next()
		}
		if t.held == nil {
			select {
			case <-ctx.Done():
				return
			case <-t.wake:
				continue
			}
		}
		start := time.Now()
		err := t.post(ctx, t.held)
		if err == nil {
			t.latency.observe(time.Since(start).Seconds())
			t.sent.Add(uint64(len(t.held)))
			t.held, t.attempts = nil, 0
			continue
		}
		if ctx.Err() != nil {
			return // the try was cut short: it counts for nothing
		}
		t.errors.Add(uint64(len(t.held)))
		t.attempts++
		if !err.retry || t.attempts >= opts.Attempts {
			// Counted before it is told, so whoever reads the log finds
			// the count already there.
			t.dropped.Add(uint64(len(t.held)))
			t.log.Error("alerts not delivered; dropped", "alerts", len(t.held), "tries", t.attempts, "err", err)
			t.held, t.attempts = nil, 0
			continue
		}
		delay := supervisor.Jitter(supervisor.Doubling(opts.RetryInitial, maxRetryDelay, t.attempts-1), retryJitter, opts.Rand())
		t.log.Warn("alerts not delivered; will retry", "alerts", len(t.held), "try", t.attempts, "retry_in", delay, "err", err)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}
