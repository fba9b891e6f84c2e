// Package alerting evaluates pulseboard's alert rules (the config's
// `alerts:`) on the aggregator's live windows, keeps each alert's state,
// and hands the results on: to the aggregator, which carries them to the
// dashboards in snapshots and deltas and serves GET /api/v1/alerts; to a
// Sender (the notifier), which delivers them to Alertmanagers and
// webhooks; and to /metrics as ALERTS and ALERTS_FOR_STATE.
//
// # Evaluation
//
// Every Options.Interval (1s) Evaluate runs every rule once, one rule at a
// time, each under one short hold of the store's read lock
// (Aggregator.Select): a threshold rule reads one statistic of one window
// of each series it selects, without allocating; a stale rule reads each
// series' staleness; an absent rule counts the live series; a health rule
// reads its source's state. The aggregator remembers each rule's series
// between rounds (a Selection) and looks again only when series come or
// go, from its index by metric name (or source). An instance, the alert
// of one rule on one series (or source), exists only while it is pending
// or firing: a series in good health costs one statistic a round, no
// memory. BenchmarkEvaluate1000Rules100kSeries measures 1,000 rules over
// 100k series.
//
// # Bounds
//
// Whatever the config, the work and memory of the rules are bounded (see
// limits.go): a threshold or stale rule holds at most its limit of alerts
// (1,000 by default) and all rules together at most Options.MaxAlerts; a
// rule past either fails its evaluation as a Prometheus rule past its
// limit does (its alerts end, the failure is counted and logged) and then
// costs one statistic per series a round, no memory, until it is back
// within. One alert costs about 1 KB (its state, its labels shared with
// the store's copy, the store's entry, the events' record). The lists of
// series the rules' selects keep are bounded together by
// Options.MaxSelectedSeries; a rule whose select would pass it fails the
// same way. A round stops
// starting rules once it has run Options.Budget (a fifth of the Interval); the
// rules it left out go first in the next. Apply never waits for a round.
//
// # States
//
// Prometheus' state machine, with Netdata's hysteresis and severities (see
// rule.step for the exact rules):
//
//	inactive ──condition──▶ pending ──held for `for`──▶ firing
//	    ▲                     │                          │
//	    └────── condition gone (dropped, never sent) ◀───┘ past `clear`,
//	                                                       then keep_firing_for
//	                                                       (resolved, sent)
//
// activeAt is when it went pending, firedAt when it fired, resolvedAt
// when it resolved. The severity is critical while the statistic is past
// critical, else warning; a change of severity while firing is, for
// Alertmanager, the old alert resolved and a new one firing (severity is a
// label).
//
// # No data
//
// A stale series, an empty window, a NaN or undefined statistic, or a
// health rule's source missing is no data. No data holds the instance as
// it is (pending stays pending, firing keeps firing, no value shown) for
// the longer of the rule's `for` and `keep_firing_for`, counted from when
// the series went stale; then the alert ends (a firing one resolves). A
// source that misses a poll or two thus does not flap its alerts, while a
// source that is gone does not keep them firing for ever. Rules on the
// absence of data itself are the stale, absent and health kinds.
//
// # Delivery
//
// On each evaluation the Sender gets, as Prometheus' rule manager does:
// alerts that just fired; firing alerts again every ResendDelay, with
// EndsAt four resend delays ahead (Alertmanager resolves them by itself if
// pulseboard stops); resolved alerts with EndsAt at their resolution, sent
// again every ResendDelay for 15 minutes. Pending alerts are never sent.
//
// # Reload
//
// Apply replaces the rules; a rule with the same name and config as one in
// force keeps that rule's instances, so a reload that does not touch a
// rule keeps its alerts pending or firing since when they were. The
// rules and instances live in the Evaluator, not in Serve: a restart of
// Serve by its supervisor keeps them too.
package alerting
