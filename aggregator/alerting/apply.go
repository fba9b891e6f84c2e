package alerting

import (
	"errors"
	"fmt"
	"time"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/configs"
)

// ErrTooManyRules is returned by Apply when it is given more rules than
// Options.MaxRules.
var ErrTooManyRules = errors.New("alerting: too many rules")

// Apply makes rules the rules in force. A rule whose name and config are
// those of a rule in force keeps that rule's alerts and their state
// (pending time, firing since, what was sent); the alerts of a rule that
// is gone or changed resolve when the new rules go in force. It fails,
// changing nothing, when a rule does not compile (see ErrRule) or there
// are more than Options.MaxRules (ErrTooManyRules).
//
// Safe from any goroutine, and it never waits for an evaluation: the
// reloader calls it, and a reload must not wedge behind a slow round. It
// compiles the rules, hands them over and returns; they go in force at
// once when no evaluation runs, else when the round in progress ends
// (within Options.Budget, about). Everything that reads the rules
// (Evaluate, Alerts, the metrics) sees the latest rules handed over.
func (e *Evaluator) Apply(rules []configs.AlertRule) error {
	if len(rules) > e.opts.MaxRules {
		return fmt.Errorf("%w: %d rules, more than the %d allowed (alerting.max_rules)", ErrTooManyRules, len(rules), e.opts.MaxRules)
	}
	next := make([]*rule, 0, len(rules))
	for _, cfg := range rules {
		r, err := compile(cfg, e.opts.Store.WindowIndex, e.selected)
		if err != nil {
			return err
		}
		next = append(next, r)
	}
	e.nextMu.Lock()
	e.next = &next
	e.nextMu.Unlock()
	// A lock that is free is taken to put the rules in force now; a lock
	// held by an evaluation is left alone: that evaluation adopts them
	// when it ends.
	if e.mu.TryLock() {
		e.adopt()
		e.mu.Unlock()
	}
	select {
	case e.applied <- struct{}{}:
	default:
	}
	return nil
}

// adopt puts in force the rules Apply handed over last, if any: a rule
// configured as one in force takes that rule's state, the others start
// without alerts, and the alerts of the rules that left resolve. Must
// hold e.mu.
func (e *Evaluator) adopt() {
	e.nextMu.Lock()
	next := e.next
	e.next = nil
	e.nextMu.Unlock()
	if next == nil {
		return
	}
	rules := make([]*ruleState, 0, len(*next))
	kept := map[*ruleState]bool{}
	for _, r := range *next {
		if old := e.find(r.cfg); old != nil && !kept[old] {
			kept[old] = true
			rules = append(rules, old)
			continue
		}
		rules = append(rules, &ruleState{rule: r, instances: map[string]*instance{}, templateErrors: &e.counts.templateErrors})
	}
	var gone []*ruleState
	for _, rs := range e.rules {
		if !kept[rs] {
			gone = append(gone, rs)
		}
	}
	held := selectionsOf(e.rules) // before shareSelections changes the kept rules'
	shareSelections(rules)
	releaseSelections(held, rules)
	e.rules, e.cursor = rules, 0
	e.retire(gone)
	e.counts.selected.Store(int64(e.selected.Used()))
}

func (e *Evaluator) find(cfg configs.AlertRule) *ruleState {
	for _, rs := range e.rules {
		if rs.rule.name == cfg.Name && rs.rule.cfg.Equal(cfg) {
			return rs
		}
	}
	return nil
}

// retire resolves the alerts of rules that left, at once. Must hold e.mu.
func (e *Evaluator) retire(gone []*ruleState) {
	if len(gone) == 0 {
		return
	}
	now := e.opts.Now()
	box := e.outbox(now)
	var changed []protocol.Alert
	for _, rs := range gone {
		e.active -= len(rs.instances)
		if rs.overLimit {
			e.counts.rulesOver.Add(-1)
		}
		changed = e.endAll(rs, now, &box, changed)
	}
	e.opts.Store.SetAlerts(changed)
	e.send(box.out)
	e.counts.active.Store(int64(e.active))
}

// endAll ends and forgets every alert of a rule: those the dashboards
// were shown go to changed as resolved, those sent firing are sent
// resolved. The caller keeps e.active. Must hold e.mu.
func (e *Evaluator) endAll(rs *ruleState, now time.Time, box *outbox, changed []protocol.Alert) []protocol.Alert {
	for key, in := range rs.instances {
		in.ended = true
		pa := rs.protocolAlert(in, now)
		if in.shown {
			changed = append(changed, pa)
		}
		box.resolve(&in.delivery, in, pa)
		delete(rs.instances, key)
	}
	return changed
}
