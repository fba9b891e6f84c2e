package alerting

import (
	"sync/atomic"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/configs"
)

// Bounds on the work and memory of the rules, whatever the config:
//
//   - a rule holds at most its limit of alerts (configs.AlertRule.Limit,
//     Prometheus' rule limit), and all rules together at most
//     Options.MaxAlerts. A threshold or stale rule that would hold more
//     fails its evaluation, as in Prometheus: all its alerts end (firing
//     ones are sent resolved), none is made, the failure is counted and
//     logged, and while it lasts each round only counts the series in
//     trouble (no memory, no allocation) until they are few enough again.
//     Health and absent rules hold one alert at most and are never refused;
//   - the rules' selects list at most Options.MaxSelectedSeries series
//     together (aggregator.SelectionBudget): a select with matchers, or
//     with both a source and a metric, keeps the list of its series (8
//     bytes each), and rules with different selects keep one each, so
//     1,000 rules over a million series would keep 8 GB. A rule whose
//     selection would pass it fails its evaluation the same way, whatever
//     its kind (an absent rule too), as a Prometheus query past
//     --query.max-samples fails; its selection holds nothing, and is
//     counted again only when the store's series change or another
//     selection gives series back. Rules evaluated first (file order)
//     keep theirs. A select of one metric, or of one source, reads the
//     store's index and lists nothing;
//   - Apply takes at most Options.MaxRules rules;
//   - an evaluation stops starting rules once it has run Options.Budget;
//     the rules left out are counted and go first in the next round.

// Reasons a rule is over its limit, as the counter's label says.
const (
	reasonLimit          = "limit"               // the rule's own limit
	reasonMaxAlerts      = "max_alerts"          // what the other rules left of MaxAlerts
	reasonSelectedSeries = "max_selected_series" // what the other selections left of MaxSelectedSeries
)

const defaultLimit = configs.DefaultAlertLimit

// limitLogEvery is how often at most a rule's failures on its limit are
// logged.
const limitLogEvery = 5 * time.Minute

// counters are the evaluator's counts for /metrics, read without e.mu.
type counters struct {
	overLimit     atomic.Uint64 // evaluations failed on the rule's limit
	overMaxAlerts atomic.Uint64 // evaluations failed on MaxAlerts
	overSelected  atomic.Uint64 // evaluations failed on MaxSelectedSeries
	selected      atomic.Int64  // series the rules' selections list
	skipped       atomic.Uint64 // rule evaluations left out by the budget
	active        atomic.Int64  // alerts held, pending or firing
	rulesOver     atomic.Int64  // rules over their limit now
	// annotation expansions that failed (the template's error, or its
	// functions' work budget): the alert shows "<error expanding template: …>"
	templateErrors atomic.Uint64
}

// limit is the rule's own limit: its config's, or the default.
func (rs *ruleState) limit() int {
	if n := rs.rule.cfg.Limit; n > 0 {
		return n
	}
	return defaultLimit
}

// room is how many alerts rs may hold this round: its limit, or what the
// other rules leave of MaxAlerts when that is less. Must hold e.mu.
func (e *Evaluator) room(rs *ruleState) int {
	others := e.active - len(rs.instances)
	return max(0, min(rs.limit(), e.opts.MaxAlerts-others))
}

// countTrouble counts, without making anything, the series of a threshold
// or stale rule that would have an alert: an evaluation of a rule over its
// limit. listed is false when the selection's budget refused it.
func (rs *ruleState) countTrouble(st *aggregator.Aggregator, nowMs int64) (n int, listed bool) {
	r := rs.rule
	listed = st.Select(r.sel, r.window, func(v aggregator.SeriesView) {
		if x := r.seriesInput(v, nowMs); !x.noData && x.level > 0 {
			n++
		}
	})
	return n, listed
}

// overLimit fails a rule's evaluation: its alerts end, it is counted, and
// logged when it was within its limit before. want is how many alerts it
// would have held (at least), room how many it may. Must hold e.mu.
func (e *Evaluator) overLimit(rs *ruleState, want, room int, now time.Time, box *outbox, changed []protocol.Alert) []protocol.Alert {
	reason := reasonLimit
	if room < rs.limit() {
		reason = reasonMaxAlerts
		e.counts.overMaxAlerts.Add(1)
	} else {
		e.counts.overLimit.Add(1)
	}
	if e.failing(rs, now) {
		e.opts.Logger.Warn("alert rule exceeded its limit: its alerts are dropped until it is back within",
			"rule", rs.rule.name, "alerts", want, "room", room, "limit", rs.limit(),
			"max_alerts", e.opts.MaxAlerts, "reason", reason)
	}
	return e.endAll(rs, now, box, changed)
}

// failing marks rs over a limit (counted in rulesOver once until it is
// back within) and reports whether its failure is due a log line: a rule
// near its limit flaps over and back every round or so, so one line every
// limitLogEvery says it and the counters say how often. Must hold e.mu.
func (e *Evaluator) failing(rs *ruleState, now time.Time) bool {
	if !rs.overLimit {
		rs.overLimit = true
		e.counts.rulesOver.Add(1)
	}
	if !rs.warnedAt.IsZero() && now.Sub(rs.warnedAt) < limitLogEvery {
		return false
	}
	rs.warnedAt = now
	return true
}

// unlisted fails the evaluation of a rule whose selection the budget of
// selected series refused, as overLimit fails one over its limit. Must
// hold e.mu.
func (e *Evaluator) unlisted(rs *ruleState, now time.Time, box *outbox, changed []protocol.Alert) []protocol.Alert {
	e.counts.overSelected.Add(1)
	if e.failing(rs, now) {
		e.opts.Logger.Warn("alert rule's select matches more series than the other rules' selects leave of alerting.max_selected_series: its alerts are dropped until it fits",
			"rule", rs.rule.name, "max_selected_series", e.opts.MaxSelectedSeries, "selected", e.selected.Used(),
			"reason", reasonSelectedSeries)
	}
	return e.endAll(rs, now, box, changed)
}

// withinLimit notes that a rule over its limit is back within.
func (e *Evaluator) withinLimit(rs *ruleState) {
	if rs.overLimit {
		rs.overLimit = false
		e.counts.rulesOver.Add(-1)
		e.opts.Logger.Debug("alert rule back within its limit", "rule", rs.rule.name, "limit", rs.limit())
	}
}
