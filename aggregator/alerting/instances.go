package alerting

import (
	"hash/fnv"
	"maps"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/configs"
)

// candidate is a series in trouble that has no alert yet: Select
// remembers it, and the alert is made after Select, once the rule is
// known to have room for all of them.
type candidate struct {
	id, source string
	labels     aggregator.Labels // the store's: they never change
	x          input
}

// verdict is how a rule's evaluation ended.
type verdict int

const (
	evaluated    verdict = iota
	overRoom             // it would hold more alerts than its room
	overSelected         // its selection was refused: alerting.max_selected_series
)

// evalSeries evaluates a threshold or stale rule on its series, making at
// most room alerts. It runs inside Select, under the store's read lock: an
// instance is looked up only when the rule has some or the series is in
// trouble. New alerts are made after Select, and only when the rule's
// alerts, old and new, fit in room; else it reports overRoom, with how
// many the rule would hold (at least), having made nothing, and the caller
// fails the rule (see limits.go); overSelected when the selection's budget
// refused to list its series. A rule that failed before only counts its
// series in trouble, and evaluates for real once they fit. scratch is the
// evaluator's, reused from rule to rule.
func (rs *ruleState) evalSeries(st *aggregator.Aggregator, now time.Time, round uint64, room int, scratch *[]candidate) (int, verdict) {
	r := rs.rule
	nowMs := now.UnixMilli()
	if rs.overLimit {
		n, listed := rs.countTrouble(st, nowMs)
		switch {
		case !listed:
			return 0, overSelected
		case n > room:
			return n, overRoom
		}
	}
	fresh := (*scratch)[:0]
	defer func() { clear(fresh); *scratch = fresh[:0] }()
	refused := 0
	listed := st.Select(r.sel, r.window, func(v aggregator.SeriesView) {
		x := r.seriesInput(v, nowMs)
		if len(rs.instances) == 0 && (x.noData || x.level == 0) {
			return
		}
		in := rs.instances[v.ID()]
		if in == nil {
			switch {
			case x.noData || x.level == 0:
			case len(rs.instances)+len(fresh) >= room:
				refused++
			default:
				fresh = append(fresh, candidate{id: v.ID(), source: v.Source(), labels: v.Labels(), x: x})
			}
			return
		}
		in.seen = round
		r.step(in, x, now)
	})
	switch {
	case !listed:
		return 0, overSelected
	case refused > 0:
		return len(rs.instances) + len(fresh) + refused, overRoom
	}
	for _, c := range fresh {
		in := rs.add(c.id, c.source, c.id, seriesLabels(r.name, c.source, c.labels))
		in.seen = round
		r.step(in, c.x, now)
	}
	rs.missing(now, round)
	return len(rs.instances), evaluated
}

// missing steps the instances whose target the round did not see (the
// series was evicted, the source removed) as having no data.
func (rs *ruleState) missing(now time.Time, round uint64) {
	for _, in := range rs.instances {
		if in.seen != round {
			in.seen = round
			rs.rule.step(in, input{noData: true, value: math.NaN()}, now)
		}
	}
}

// seriesInput is what one series says to a threshold or stale rule.
func (r *rule) seriesInput(v aggregator.SeriesView, nowMs int64) input {
	stale, since := v.Stale()
	if r.kind == configs.AlertKindStale {
		if !stale {
			return input{}
		}
		return input{level: 1, value: float64(nowMs-since) / 1000}
	}
	if stale {
		return input{noData: true, value: math.NaN(), since: time.UnixMilli(since)}
	}
	val, ok := v.Stat(r.stat)
	if !ok || math.IsNaN(val) {
		return input{noData: true, value: math.NaN()}
	}
	signed := val
	if r.below {
		signed = -val
	}
	lvl, holds := r.level(signed)
	return input{level: lvl, holds: holds, value: val}
}

// evalHealth evaluates a health rule: its source is down when its latest
// poll failed (up false after a poll, or a collector in backoff or failed).
// A source missing from the list is no data.
func (rs *ruleState) evalHealth(srcs []aggregator.SourceInfo, now time.Time, round uint64) {
	name := rs.rule.cfg.Health.Source
	x := input{noData: true, value: math.NaN()}
	for i := range srcs {
		s := &srcs[i]
		if s.Name != name {
			continue
		}
		down := !s.Up && (s.Polls > 0 || s.State == protocol.StateBackoff || s.State == protocol.StateFailed)
		x = input{}
		if down {
			x = input{level: 1, value: 1}
		}
	}
	rs.evalOne(name, name, x, now, round, func() map[string]string {
		return map[string]string{"alertname": rs.rule.name, configs.LabelSource: name}
	})
}

// evalAbsent evaluates an absent rule: active while no live series
// matches. It reports false, evaluating nothing, when the selection's
// budget refused to list its series.
func (rs *ruleState) evalAbsent(st *aggregator.Aggregator, now time.Time, round uint64) bool {
	r := rs.rule
	live := 0
	listed := st.Select(r.sel, 0, func(v aggregator.SeriesView) {
		if stale, _ := v.Stale(); !stale {
			live++
		}
	})
	if !listed {
		return false
	}
	x := input{value: float64(live)}
	if live == 0 {
		x.level = 1
	}
	rs.evalOne("", r.cfg.Select.Source, x, now, round, func() map[string]string {
		ls := map[string]string{"alertname": r.name}
		if src := r.cfg.Select.Source; src != "" {
			ls[configs.LabelSource] = src
		}
		return ls
	})
	return true
}

// evalOne steps the rule's single instance for key (made when x is in
// trouble, with labels).
func (rs *ruleState) evalOne(key, source string, x input, now time.Time, round uint64, labels func() map[string]string) {
	in := rs.instances[key]
	if in == nil {
		if x.noData || x.level == 0 {
			return
		}
		in = rs.add(key, source, "", labels())
	}
	in.seen = round
	rs.rule.step(in, x, now)
}

// add makes an instance with the rule's labels over labels.
func (rs *ruleState) add(key, source, series string, labels map[string]string) *instance {
	for k, v := range rs.rule.labels {
		labels[k] = v
	}
	labels["alertname"] = rs.rule.name
	in := &instance{
		key: key, id: alertID(rs.rule.name, rs.rule.kind, key),
		source: source, series: series, labels: labels, value: math.NaN(),
	}
	rs.instances[key] = in
	return in
}

// seriesLabels are an alert's labels from its series: the series' labels,
// source and alertname.
func seriesLabels(name, source string, ls aggregator.Labels) map[string]string {
	out := make(map[string]string, len(ls)+4)
	for _, l := range ls {
		out[l.Name] = l.Value
	}
	out[configs.LabelSource] = source
	out["alertname"] = name
	return out
}

// alertID is 16 hex digits of FNV-1a over the rule's name, kind and key:
// stable across reloads and restarts.
func alertID(name, kind, key string) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(key))
	s := strconv.FormatUint(h.Sum64(), 16)
	return strings.Repeat("0", 16-len(s)) + s
}

// collect turns the round's changes of the rule's instances into protocol
// alerts (appended to changed) and deliveries (into box), and forgets the
// instances that ended.
func (rs *ruleState) collect(now time.Time, round uint64, changed []protocol.Alert, box *outbox) []protocol.Alert {
	for key, in := range rs.instances {
		if in.changed {
			rs.expand(in)
		}
		firing := in.state == stateFiring && !in.ended
		// A firing alert that did not change and is not due to be sent
		// costs nothing: most of them, most rounds.
		if !in.changed && !(firing && box.due(in)) {
			continue
		}
		pa := rs.protocolAlert(in, now)
		if in.changed {
			changed = append(changed, pa)
			in.shown = true
		}
		switch {
		case in.ended:
			box.resolve(&in.delivery, in, pa)
			delete(rs.instances, key)
		case firing:
			box.firing(in, pa.Labels, pa)
		}
		in.changed = false
	}
	return changed
}

// labelsShown returns the instance's labels with its severity: the same
// map while the severity stays. Nobody may modify it: the store, the
// dashboards' deltas and the Sender share it.
func (in *instance) labelsShown() map[string]string {
	if in.shownLabels == nil || in.shownLabels["severity"] != in.severity {
		labels := make(map[string]string, len(in.labels)+1)
		maps.Copy(labels, in.labels)
		labels["severity"] = in.severity
		in.shownLabels = labels
	}
	return in.shownLabels
}

// protocolAlert is the instance as the dashboards see it.
func (rs *ruleState) protocolAlert(in *instance, now time.Time) protocol.Alert {
	pa := protocol.Alert{
		ID: in.id, Name: rs.rule.name, State: in.state.String(), Severity: in.severity,
		Labels: in.labelsShown(), Annotations: in.annotations,
		Threshold: rs.rule.threshold(in.severity), Series: in.series, Source: in.source,
		ActiveAt: in.activeAt.UnixMilli(),
	}
	if !math.IsNaN(in.value) && !math.IsInf(in.value, 0) {
		v := in.value
		pa.Value = &v
	}
	if !in.firedAt.IsZero() {
		pa.FiredAt = in.firedAt.UnixMilli()
	}
	if !in.keepFiringSince.IsZero() {
		pa.KeepFiringSince = in.keepFiringSince.UnixMilli()
	}
	if in.ended {
		pa.State, pa.ResolvedAt, pa.KeepFiringSince = protocol.AlertResolved, now.UnixMilli(), 0
	}
	return pa
}
