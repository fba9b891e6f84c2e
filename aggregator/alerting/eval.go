package alerting

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
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
	// DefaultBudgetShare is the default Budget, as a share of the
	// Interval. It was half: 1,000 rules whose selects list 1,000,000
	// series took half a core every second, and the stream's readers,
	// on the same core, waited twice as long for each delta (issue 14).
	DefaultBudgetShare = 5
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
	Now func() time.Time
	// MaxRules bounds the rules Apply takes (default
	// configs.DefaultMaxRules); MaxAlerts the alerts of all rules together
	// (default configs.DefaultMaxAlerts). See limits.go.
	MaxRules, MaxAlerts int
	// MaxSelectedSeries bounds the series that the rules' selects list
	// together (default configs.DefaultMaxSelectedSeries). See limits.go.
	MaxSelectedSeries int
	// Budget bounds the time of one evaluation: the rules not reached
	// within it wait for the next round, which starts with them, and are
	// counted as skipped. Default a fifth of the Interval (DefaultBudgetShare),
	// so that evaluation takes at most that share of a core and Apply,
	// /metrics and shutdown never wait for more than that.
	Budget time.Duration
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

	// nextMu guards next: the rules Apply compiled and handed over, not
	// yet in force. Apply never waits for mu (an evaluation in progress):
	// whoever holds mu next puts them in force (see adopt).
	nextMu sync.Mutex
	next   *[]*rule

	// clock measures the evaluation budget; time.Now but in tests.
	clock func() time.Time

	// mu guards everything below; an evaluation holds it throughout (at
	// most about Budget), so Collect and adoption wait for the round in
	// progress.
	mu       sync.Mutex
	rules    []*ruleState
	round    uint64
	resolved []resolvedAlert
	// cursor is the rule the next evaluation starts with: the first one
	// the budget left out, so that every rule gets its turn.
	cursor int
	// active counts the instances of every rule (see limits.go).
	active int
	// selected bounds the series the rules' selections list (limits.go).
	selected *aggregator.SelectionBudget
	// scratch holds a rule's new alerts during its Select (evalSeries).
	scratch []candidate
	// lastRound is the duration of the latest evaluation.
	lastRound time.Duration
	rounds    uint64

	counts counters // read by Collector without mu
}

// ruleState is a compiled rule and its alerts.
type ruleState struct {
	rule      *rule
	instances map[string]*instance // by key: series id, source name, ""
	// overLimit: the latest evaluation found more alerts than the rule
	// may hold; it holds none until an evaluation finds it within (see
	// limits.go).
	overLimit bool
	warnedAt  time.Time // when its failure on the limit was last logged
	// templateErrors counts its annotations' failed expansions: the
	// evaluator's counters.templateErrors.
	templateErrors *atomic.Uint64
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
	if opts.MaxRules <= 0 {
		opts.MaxRules = configs.DefaultMaxRules
	}
	if opts.MaxAlerts <= 0 {
		opts.MaxAlerts = configs.DefaultMaxAlerts
	}
	if opts.MaxSelectedSeries <= 0 {
		opts.MaxSelectedSeries = configs.DefaultMaxSelectedSeries
	}
	if opts.Budget <= 0 {
		opts.Budget = opts.Interval / DefaultBudgetShare
	}
	return &Evaluator{opts: opts, applied: make(chan struct{}, 1), clock: time.Now,
		selected: aggregator.NewSelectionBudget(opts.MaxSelectedSeries)}
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
	e.adopt()
	return len(e.rules) == 0 && len(e.resolved) == 0
}

// Evaluate runs one evaluation now: Serve calls it every Interval; tests
// call it directly. It puts rules handed to Apply in force first, then
// evaluates the rules in turn from the one the previous round's budget
// left out, until all have run or the Budget is spent (the others are
// counted as skipped and go first next time).
func (e *Evaluator) Evaluate() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.adopt()
	start := e.clock()
	now := e.opts.Now()
	e.round++
	box := e.outbox(now)
	box.resend()
	var changed []protocol.Alert
	var srcs []aggregator.SourceInfo
	n := len(e.rules)
	for i := range n {
		k := (e.cursor + i) % n
		if i > 0 && e.clock().Sub(start) >= e.opts.Budget {
			e.cursor = k
			e.counts.skipped.Add(uint64(n - i))
			break
		}
		if i > 0 {
			// Let the stream go first: on a busy core the broadcaster and
			// the WebSocket writers waited for a round's whole slice (up to
			// 10 ms, the scheduler's preemption) at every tick.
			runtime.Gosched()
		}
		rs := e.rules[k]
		before := len(rs.instances)
		switch rs.rule.kind {
		case configs.AlertKindHealth:
			if srcs == nil {
				srcs = e.opts.Store.Sources()
			}
			rs.evalHealth(srcs, now, e.round)
		case configs.AlertKindAbsent:
			if !rs.evalAbsent(e.opts.Store, now, e.round) {
				changed = e.unlisted(rs, now, &box, changed)
				e.active += len(rs.instances) - before
				continue
			}
			e.withinLimit(rs)
		default:
			room := e.room(rs)
			switch want, v := rs.evalSeries(e.opts.Store, now, e.round, room, &e.scratch); v {
			case overRoom:
				changed = e.overLimit(rs, want, room, now, &box, changed)
				e.active += len(rs.instances) - before
				continue
			case overSelected:
				changed = e.unlisted(rs, now, &box, changed)
				e.active += len(rs.instances) - before
				continue
			}
			e.withinLimit(rs)
		}
		changed = rs.collect(now, e.round, changed, &box)
		e.active += len(rs.instances) - before
	}
	e.opts.Store.SetAlerts(changed)
	e.send(box.out)
	e.lastRound = e.clock().Sub(start)
	e.rounds++
	e.counts.active.Store(int64(e.active))
	e.counts.selected.Store(int64(e.selected.Used()))
	// Rules Apply handed over while this round ran go in force now, not
	// a round later.
	e.adopt()
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
	e.adopt()
	now := e.opts.Now()
	var out []protocol.Alert
	for _, rs := range e.rules {
		for _, in := range rs.instances {
			out = append(out, rs.protocolAlert(in, now))
		}
	}
	return out
}
