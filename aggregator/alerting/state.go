package alerting

import (
	"github.com/pulseboard/pulseboard/configs"
	"math"
	"time"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// state is an alert instance's place in Prometheus' state machine. An
// inactive instance is not kept: it is the absence of one.
type state uint8

const (
	statePending state = iota + 1
	stateFiring
)

func (s state) String() string {
	if s == stateFiring {
		return protocol.AlertFiring
	}
	return protocol.AlertPending
}

// input is what one evaluation says of one instance's target.
type input struct {
	noData bool    // stale series, empty window, NaN or undefined statistic, source gone
	level  int     // 0: condition false; 1 warning; 2 critical
	holds  bool    // for a firing alert: not yet past clear (hysteresis)
	value  float64 // as written (not signed); NaN with noData
	// since is when a stale series went stale: no data since then, not
	// since the evaluation that noticed. Zero for other kinds of no data.
	since time.Time
}

// instance is one alert: one rule on one series, source or (absent rules)
// on nothing. It lives in its rule's state and outlives reloads that keep
// the rule.
type instance struct {
	key    string // series id, source name, or "" for an absent rule
	id     string
	series string
	source string
	labels map[string]string // without severity, which changes
	// shownLabels are labels with severity, made once per severity and
	// shared, read-only, by every protocol alert and every delivery of
	// the instance: a round in which only the value changed copies no
	// map.
	shownLabels map[string]string

	state           state
	severity        string
	value           float64
	activeAt        time.Time
	firedAt         time.Time
	keepFiringSince time.Time // zero unless keep_firing_for holds it
	noDataSince     time.Time // zero while there is data
	annotations     map[string]string

	seen    uint64 // the last evaluation round that saw its target
	changed bool   // state, severity, value or annotations changed this round
	ended   bool   // resolved (firing) or dropped (pending) this round
	shown   bool   // handed to the store (the dashboards) at least once

	delivery delivery
}

// step moves an instance by one evaluation of its rule; now is the
// evaluation's time. It sets changed, and ended when the alert is over:
//
//   - pending: stays pending while the level is above 0; fires once it has
//     been active for `for`; ends (silently: pending alerts are never
//     sent) when the level drops to 0.
//   - firing: stays firing while the level is above 0 or the value has
//     not passed clear (hysteresis); its severity follows the level (in
//     the band between clear and the first threshold, the rule's lowest
//     severity). Past clear it resolves at once, or after keep_firing_for
//     if the condition does not come back meanwhile.
//   - no data (see input.noData): the state, severity and timers are held,
//     the value is none; once no data has lasted the rule's noDataHold,
//     the alert ends (a firing one resolves). So a series that goes stale
//     for a poll or two does not flap its alert.
func (r *rule) step(in *instance, x input, now time.Time) {
	old := *in
	defer func() {
		in.changed = in.changed || in.state != old.state || in.severity != old.severity || in.ended ||
			!sameValue(in.value, old.value) || !in.keepFiringSince.Equal(old.keepFiringSince)
	}()
	if x.noData {
		in.value = math.NaN()
		if in.noDataSince.IsZero() {
			in.noDataSince = now
			if !x.since.IsZero() && x.since.Before(now) {
				in.noDataSince = x.since
			}
		}
		if now.Sub(in.noDataSince) >= r.noDataHold() {
			in.ended = true
		}
		return
	}
	in.noDataSince = time.Time{}
	in.value = x.value
	switch in.state {
	case 0: // new: the caller makes an instance only for level > 0
		in.state, in.activeAt, in.severity = statePending, now, r.severityFor(x.level)
		if r.forDur == 0 {
			in.state, in.firedAt = stateFiring, now
		}
	case statePending:
		if x.level == 0 {
			in.ended = true
			return
		}
		in.severity = r.severityFor(x.level)
		if now.Sub(in.activeAt) >= r.forDur {
			in.state, in.firedAt = stateFiring, now
		}
	case stateFiring:
		switch {
		case x.level > 0:
			in.severity, in.keepFiringSince = r.severityFor(x.level), time.Time{}
		case x.holds:
			in.severity, in.keepFiringSince = r.lowest(), time.Time{}
		case r.keepFiringFor == 0:
			in.ended = true
		default:
			if in.keepFiringSince.IsZero() {
				in.keepFiringSince = now
			}
			if now.Sub(in.keepFiringSince) >= r.keepFiringFor {
				in.ended = true
			}
		}
	}
}

// severityFor is the severity of a level: for threshold rules by the
// threshold passed, for the others the rule's own.
func (r *rule) severityFor(lvl int) string {
	if r.kind != kindThreshold {
		return r.severity
	}
	return severityOf(lvl)
}

func sameValue(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

const kindThreshold = configs.AlertKindThreshold
