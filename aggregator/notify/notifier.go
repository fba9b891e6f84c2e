package notify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero fields of Options.
const (
	DefaultQueueCapacity    = 10_000
	DefaultMaxBatch         = 64
	DefaultTimeout          = 10 * time.Second
	DefaultAttempts         = 4
	DefaultRetryInitial     = 500 * time.Millisecond
	DefaultMaxResponseBytes = 64 << 10
)

// maxResponseHeaderBytes bounds the headers of a receiver's answer, as
// MaxResponseBytes bounds the part of its body that is read: Go's default
// of 10 MiB let a hostile endpoint have each answer parsed into a map of
// hundreds of thousands of headers (issue 14, round 8, F3, found on
// sources, which have the same bound). Past it the delivery fails and is
// retried as any other failure.
const maxResponseHeaderBytes = 64 << 10

// retryJitter spreads each retry delay over ±20 % of itself.
const retryJitter = 0.2

// ErrAlreadyServing is returned by Serve while another Serve of the same
// Notifier runs.
var ErrAlreadyServing = errors.New("notify: already serving")

// Options configure a Notifier. URLs are taken as validated by configs
// (http or https with a host); one that does not parse still gets its
// target, whose every batch fails (logged and counted as dropped).
type Options struct {
	// Alertmanagers are base URLs; alerts go to <url>/api/v2/alerts, the
	// path prefix kept. A URL already ending in /api/v2/alerts is used as is.
	Alertmanagers []string
	// Webhooks receive the webhook payload (see the package doc) as is.
	Webhooks []string

	// QueueCapacity bounds each target's queue, in alerts.
	QueueCapacity int
	// MaxBatch is the most alerts in one request.
	MaxBatch int
	// Timeout bounds each request, from connecting to the end of the body.
	Timeout time.Duration
	// Attempts is how many times a batch is tried (1 means no retry).
	Attempts int
	// RetryInitial is the delay before the first retry; it doubles with
	// each further one, with jitter.
	RetryInitial time.Duration
	// MaxResponseBytes bounds the response body read.
	MaxResponseBytes int64

	// UserAgent is sent with every request, e.g. "pulseboard/1.2.0".
	UserAgent string
	// Transport sends the requests; nil means a transport of the
	// Notifier's own, cloned from http.DefaultTransport. Tests put an
	// in-memory one here.
	Transport http.RoundTripper
	// Logger gets delivery failures and drops; nil discards them.
	Logger *slog.Logger
	// Rand returns numbers in [0,1) for the retry jitter; nil means
	// math/rand/v2.
	Rand func() float64
}

func (o *Options) applyDefaults() {
	setDefault(&o.QueueCapacity, DefaultQueueCapacity)
	setDefault(&o.MaxBatch, DefaultMaxBatch)
	setDefault(&o.Timeout, DefaultTimeout)
	setDefault(&o.Attempts, DefaultAttempts)
	setDefault(&o.RetryInitial, DefaultRetryInitial)
	setDefault(&o.MaxResponseBytes, DefaultMaxResponseBytes)
	if o.UserAgent == "" {
		o.UserAgent = "pulseboard"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Notifier delivers alerts to its targets. Build it with New; call Send
// from any goroutine; run Serve under a supervisor. The targets are fixed
// at New: a change of them needs a new Notifier.
type Notifier struct {
	opts    Options
	client  *http.Client
	owned   *http.Transport // the transport New made, if any, to close on Serve's end
	targets []*target
	serving atomic.Bool
	prom    sync.Once
	col     *collector
}

// New builds a Notifier with one target per distinct URL (a URL listed
// twice is one target), Alertmanagers first. It starts nothing: Send
// queues from the start, Serve delivers.
func New(opts Options) *Notifier {
	opts.applyDefaults()
	n := &Notifier{opts: opts}
	rt := opts.Transport
	if rt == nil {
		n.owned = http.DefaultTransport.(*http.Transport).Clone()
		n.owned.MaxResponseHeaderBytes = maxResponseHeaderBytes
		rt = n.owned
	}
	n.client = &http.Client{
		Transport: rt,
		// A redirect is answered, not followed: a POST redirected with 301,
		// 302 or 303 would arrive as a GET without its alerts, and the
		// basic auth of the URL must not follow it to another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	seen := map[string]bool{}
	names := map[string]int{}
	add := func(raw string, k kind) {
		if seen[raw] {
			return
		}
		seen[raw] = true
		t := newTarget(n, raw, k)
		// Two URLs that differ only in their secrets would get one name.
		if names[t.name]++; names[t.name] > 1 {
			t.name = t.name + " #" + strconv.Itoa(names[t.name])
		}
		t.log = opts.Logger.With("target", t.name)
		n.targets = append(n.targets, t)
	}
	for _, u := range opts.Alertmanagers {
		add(u, kindAlertmanager)
	}
	for _, u := range opts.Webhooks {
		add(u, kindWebhook)
	}
	return n
}

// Targets names the targets, masked, in order: Alertmanagers, then
// webhooks. These are the metrics' target label values.
func (n *Notifier) Targets() []string {
	out := make([]string, len(n.targets))
	for i, t := range n.targets {
		out[i] = t.name
	}
	return out
}

// Send queues alerts for every target and returns at once: it never
// waits for the network, whatever state the targets are in. Each alert is
// encoded before Send returns, so the caller keeps its maps. An alert that
// cannot be encoded (a time outside years 0–9999) is logged and counted
// as dropped. Safe from any goroutine; the evaluator calls it once per
// evaluation with the alerts that need sending (see the package doc).
func (n *Notifier) Send(alerts []Alert) {
	if len(n.targets) == 0 || len(alerts) == 0 {
		return
	}
	now := time.Now()
	items := make([]item, 0, len(alerts))
	bad := 0
	for _, a := range alerts {
		it, err := encode(a, now)
		if err != nil {
			bad++
			n.opts.Logger.Warn("alert cannot be encoded; dropped", "alertname", a.Labels["alertname"], "err", err)
			continue
		}
		items = append(items, it)
	}
	for _, t := range n.targets {
		t.dropped.Add(uint64(bad))
		t.enqueue(items)
	}
}

// Serve runs one sender per target until ctx is cancelled, then returns
// nil once they have all stopped; with no targets it just waits. What is
// queued, and a batch being tried, stay for the next Serve. A second Serve
// while one runs returns ErrAlreadyServing. Runs as a supervised child.
func (n *Notifier) Serve(ctx context.Context) error {
	if !n.serving.CompareAndSwap(false, true) {
		return ErrAlreadyServing
	}
	defer n.serving.Store(false)
	var wg sync.WaitGroup
	for _, t := range n.targets {
		wg.Go(func() { t.run(ctx) })
	}
	<-ctx.Done()
	wg.Wait()
	if n.owned != nil {
		n.owned.CloseIdleConnections() // their reader goroutines end with them
	}
	return nil
}
