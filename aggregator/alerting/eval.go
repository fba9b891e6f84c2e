package alerting

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/configs"
)

// ErrAlreadyServing is returned by Serve while another Serve of the same
// Evaluator runs.
var ErrAlreadyServing = errors.New("alerting: already serving")

// Defaults of Options.
const (
	DefaultInterval    = time.Second
	DefaultResendDelay = time.Minute
)

// Options configure an Evaluator.
type Options struct {
	// Store is the aggregator whose windows the rules read and which
	// carries the alerts to the dashboards (SetAlerts). Required.
	Store *aggregator.Aggregator
	// Interval is the evaluation period (default 1s).
	Interval time.Duration
	// ResendDelay is how often a firing alert, and for 15 minutes a
	// resolved one, is sent again (default 1m).
	ResendDelay time.Duration
	// Sender receives the alerts to deliver; nil delivers nothing.
	Sender Sender
	// GeneratorURL links an alert to the dashboard: its series, or its
	// source. Called on the evaluating goroutine; nil leaves it empty.
	GeneratorURL func(protocol.Alert) string
	// Now is the clock of the state machine; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Evaluator evaluates the alert rules on the aggregator's windows every
// Interval, keeps each alert's state, and hands changes to the aggregator
// (for the dashboards and /api/v1/alerts) and alerts to deliver to the
// Sender. Build it with New, give it rules with Apply (at any time, from
// any goroutine), run Serve under a supervisor. The rules and the alerts'
// state belong to the Evaluator, not to Serve: a restart of Serve keeps
// them.
type Evaluator struct {
	opts    Options
	serving atomic.Bool
	// applied wakes an idle Serve when Apply changed the rules (capacity
	// 1: a pending wake says it all).
	applied chan struct{}

	// mu guards everything below; an evaluation holds it throughout, so
	// Apply and Collect wait for the round in progress.
	mu       sync.Mutex
	rules    []*ruleState
	round    uint64
	resolved []resolvedAlert
	// lastRound is the duration of the latest evaluation.
	lastRound time.Duration
	rounds    uint64
}

// ruleState is a compiled rule and its alerts.
type ruleState struct {
	rule      *rule
	instances map[string]*instance // by key: series id, source name, ""
}

// New returns an Evaluator without rules.
func New(opts Options) *Evaluator {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.ResendDelay <= 0 {
		opts.ResendDelay = DefaultResendDelay
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.GeneratorURL == nil {
		opts.GeneratorURL = func(protocol.Alert) string { return "" }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Evaluator{opts: opts, applied: make(chan struct{}, 1)}
}

// Apply makes rules the rules in force. A rule whose name and config are
// those of a rule in force keeps that rule's alerts and their state
// (pending time, firing since, what was sent); the alerts of a rule that
// is gone or changed resolve in the next evaluation. It fails, changing
// nothing, when a rule does not compile (see ErrRule). Safe from any
// goroutine; it waits for an evaluation in progress.
func (e *Evaluator) Apply(rules []configs.AlertRule) error {
	next := make([]*ruleState, 0, len(rules))
	e.mu.Lock()
	defer e.mu.Unlock()
	kept := map[*ruleState]bool{}
	for _, cfg := range rules {
		if old := e.find(cfg); old != nil && !kept[old] {
			kept[old] = true
			next = append(next, old)
			continue
		}
		r, err := compile(cfg, e.opts.Store.WindowIndex)
		if err != nil {
			return err
		}
		next = append(next, &ruleState{rule: r, instances: map[string]*instance{}})
	}
	var gone []*ruleState
	for _, rs := range e.rules {
		if !kept[rs] {
			gone = append(gone, rs)
		}
	}
	e.rules = next
	e.retire(gone)
	select {
	case e.applied <- struct{}{}:
	default:
	}
	return nil
}

func (e *Evaluator) find(cfg configs.AlertRule) *ruleState {
	for _, rs := range e.rules {
		if rs.rule.name == cfg.Name && rs.rule.cfg.Equal(cfg) {
			return rs
		}
	}
	return nil
}

// retire resolves the alerts of rules that left, at once.
func (e *Evaluator) retire(gone []*ruleState) {
	if len(gone) == 0 {
		return
	}
	now := e.opts.Now()
	box := e.outbox(now)
	var changed []protocol.Alert
	for _, rs := range gone {
		for _, in := range rs.instances {
			in.ended = true
			pa := rs.protocolAlert(in, now)
			changed = append(changed, pa)
			box.resolve(&in.delivery, in, pa)
		}
	}
	e.opts.Store.SetAlerts(changed)
	e.send(box.out)
}

// Serve evaluates every Interval until ctx is cancelled, then returns nil.
// A second Serve while one runs returns ErrAlreadyServing. With no rules
// and no resolved alert left to send again it does not wake at all (a
// config without alerts costs nothing a second) until Apply gives it
// rules; the first evaluation then follows an Interval later.
func (e *Evaluator) Serve(ctx context.Context) error {
	if !e.serving.CompareAndSwap(false, true) {
		return ErrAlreadyServing
	}
	defer e.serving.Store(false)
	t := time.NewTicker(e.opts.Interval)
	defer t.Stop()
	for {
		if e.idle() {
			t.Stop()
			select {
			case <-ctx.Done():
				return nil
			case <-e.applied:
			}
			t.Reset(e.opts.Interval)
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			e.Evaluate()
		case <-e.applied: // rules changed: see whether any are left
		}
	}
}

// idle reports whether an evaluation would do nothing: no rules, and no
// resolved alert still being sent again.
func (e *Evaluator) idle() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.rules) == 0 && len(e.resolved) == 0
}

// Evaluate runs one evaluation of every rule now: Serve calls it every
// Interval; tests call it directly.
func (e *Evaluator) Evaluate() {
	e.mu.Lock()
	defer e.mu.Unlock()
	start := time.Now()
	now := e.opts.Now()
	e.round++
	box := e.outbox(now)
	box.resend()
	var changed []protocol.Alert
	var srcs []aggregator.SourceInfo
	for _, rs := range e.rules {
		switch rs.rule.kind {
		case configs.AlertKindHealth:
			if srcs == nil {
				srcs = e.opts.Store.Sources()
			}
			rs.evalHealth(srcs, now, e.round)
		case configs.AlertKindAbsent:
			rs.evalAbsent(e.opts.Store, now, e.round)
		default:
			rs.evalSeries(e.opts.Store, now, e.round)
		}
		changed = rs.collect(now, e.round, changed, &box)
	}
	e.opts.Store.SetAlerts(changed)
	e.send(box.out)
	e.lastRound = time.Since(start)
	e.rounds++
}

func (e *Evaluator) outbox(now time.Time) outbox {
	return outbox{
		now: now, resendDelay: e.opts.ResendDelay,
		validFor: 4 * max(e.opts.ResendDelay, e.opts.Interval),
		url:      e.opts.GeneratorURL, resolved: &e.resolved,
	}
}

func (e *Evaluator) send(out []Alert) {
	if len(out) > 0 && e.opts.Sender != nil {
		e.opts.Sender.Send(out)
	}
}

// Stats reports the evaluations so far and how long the latest took.
func (e *Evaluator) Stats() (rounds uint64, last time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rounds, e.lastRound
}

// Alerts returns the active alerts (pending and firing), as the protocol
// shows them, in no particular order.
func (e *Evaluator) Alerts() []protocol.Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.opts.Now()
	var out []protocol.Alert
	for _, rs := range e.rules {
		for _, in := range rs.instances {
			out = append(out, rs.protocolAlert(in, now))
		}
	}
	return out
}
