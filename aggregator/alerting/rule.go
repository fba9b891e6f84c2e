package alerting

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/configs"
)

// ErrRule wraps every reason a rule cannot be compiled (a config that
// skipped validation, or a window the aggregator does not keep).
var ErrRule = errors.New("alerting: bad rule")

// rule is a configs.AlertRule compiled against one Aggregator.
type rule struct {
	cfg  configs.AlertRule
	name string
	kind string

	// sel is shared by the rules in force whose select is the same
	// (see shareSelections): a selection remembers its series.
	sel    *aggregator.Selection
	stat   aggregator.Stat
	window int // index among the aggregator's windows

	// Thresholds, as "distance into trouble": for a below rule every
	// number is negated, so that one comparison serves both directions.
	warning, critical, clear float64 // NaN when not given
	below                    bool
	severity                 string // stale, absent and health rules

	forDur, keepFiringFor time.Duration
	labels                map[string]string
	annotations           map[string]*configs.AlertTemplate
}

// compile builds a rule; windowIndex maps the rule's window to the
// aggregator's, and budget bounds what its selection lists.
func compile(cfg configs.AlertRule, windowIndex func(time.Duration) int, budget *aggregator.SelectionBudget) (*rule, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrRule, cfg.Name, err)
	}
	r := &rule{
		cfg: cfg, name: cfg.Name, kind: cfg.Kind(),
		warning: math.NaN(), critical: math.NaN(), clear: math.NaN(),
		below: cfg.Below, severity: cfg.Severity,
		forDur: cfg.For.D(), keepFiringFor: cfg.KeepFiringFor.D(),
		labels: cfg.Labels, annotations: map[string]*configs.AlertTemplate{},
	}
	if r.severity == "" {
		r.severity = protocol.SeverityCritical
	}
	if cfg.Select != nil {
		matchers, err := cfg.Select.Matchers()
		if err != nil {
			return nil, fmt.Errorf("%w %q: %v", ErrRule, cfg.Name, err)
		}
		sel := selection(cfg.Select.Source, cfg.Select.Metric, matchers)
		sel.Budget = budget
		r.sel = &sel
	}
	if r.kind == configs.AlertKindThreshold {
		stat, ok := aggregator.ParseStat(cfg.Stat)
		if !ok {
			return nil, fmt.Errorf("%w %q: unknown statistic %q", ErrRule, cfg.Name, cfg.Stat)
		}
		r.stat = stat
		if r.window = windowIndex(cfg.Window.D()); r.window < 0 {
			return nil, fmt.Errorf("%w %q: the aggregator keeps no %s window", ErrRule, cfg.Name, cfg.Window)
		}
		sign := 1.0
		if r.below {
			sign = -1
		}
		if cfg.Warning != nil {
			r.warning = sign * *cfg.Warning
		}
		if cfg.Critical != nil {
			r.critical = sign * *cfg.Critical
		}
		switch {
		case cfg.Clear != nil:
			r.clear = sign * *cfg.Clear
		case cfg.Warning != nil:
			r.clear = r.warning
		default:
			r.clear = r.critical
		}
	}
	for name, text := range cfg.Annotations {
		t, err := configs.ParseAlertTemplate(name, text)
		if err != nil {
			return nil, fmt.Errorf("%w %q: annotation %s: %v", ErrRule, cfg.Name, name, err)
		}
		r.annotations[name] = t
	}
	return r, nil
}

// shareSelections makes the rules whose select is the same read one
// Selection: a Selection with matchers keeps the list of its series, and
// a file of many rules over one selection of many series would otherwise
// keep as many copies. Evaluations read a Selection one at a time (under
// the evaluator's lock), which is all Select asks.
func shareSelections(rules []*ruleState) {
	first := map[string]*aggregator.Selection{}
	for _, rs := range rules {
		r := rs.rule
		if r.cfg.Select == nil {
			continue
		}
		key := fmt.Sprintf("%#v", *r.cfg.Select) // maps print sorted
		if sel, ok := first[key]; ok {
			r.sel = sel
		} else {
			first[key] = r.sel
		}
	}
}

// selectionsOf lists the selections rules read.
func selectionsOf(rules []*ruleState) []*aggregator.Selection {
	var out []*aggregator.Selection
	for _, rs := range rules {
		if rs.rule.sel != nil {
			out = append(out, rs.rule.sel)
		}
	}
	return out
}

// releaseSelections gives back to their budget the series listed by the
// selections of held that rules no longer read: a rule's that left, or a
// kept rule's whose select shareSelections now reads through another
// rule's selection.
func releaseSelections(held []*aggregator.Selection, rules []*ruleState) {
	inUse := map[*aggregator.Selection]bool{}
	for _, rs := range rules {
		inUse[rs.rule.sel] = true
	}
	for _, sel := range held {
		if !inUse[sel] {
			sel.Release()
		}
	}
}

// selection turns a select into an aggregator Selection: source and metric
// exact when given, the matchers (on labels, and on "source" and "metric")
// in Match.
func selection(source, metric string, matchers []configs.Matcher) aggregator.Selection {
	sel := aggregator.Selection{Source: source, Metric: metric}
	for _, m := range matchers { // an = matcher on source or metric indexes too
		if m.Op != "=" {
			continue
		}
		switch {
		case m.Name == "metric" && sel.Metric == "":
			sel.Metric = m.Value
		case m.Name == "source" && sel.Source == "":
			sel.Source = m.Value
		}
	}
	if len(matchers) > 0 {
		sel.Match = func(source, metric string, labels aggregator.Labels) bool {
			for _, m := range matchers {
				var v string
				switch m.Name {
				case "source":
					v = source
				case "metric", "__name__":
					v = metric
				default:
					v = labels.Get(m.Name)
				}
				if !m.Matches(v) {
					return false
				}
			}
			return true
		}
	}
	return sel
}

// level says how far into trouble v (already signed) is: 2 past critical,
// 1 past warning, 0 neither; and whether a firing alert still holds
// (hysteresis: not yet past clear).
func (r *rule) level(v float64) (lvl int, holds bool) {
	switch {
	case v > r.critical:
		lvl = 2
	case v > r.warning:
		lvl = 1
	}
	return lvl, lvl > 0 || v >= r.clear
}

// threshold returns the configured threshold of a severity, as written.
func (r *rule) threshold(severity string) *float64 {
	if r.kind != configs.AlertKindThreshold {
		return nil
	}
	v := r.warning
	if severity == protocol.SeverityCritical && !math.IsNaN(r.critical) {
		v = r.critical
	}
	if math.IsNaN(v) {
		v = r.critical
	}
	if r.below {
		v = -v
	}
	return &v
}

// lowest is the severity of the rule's first threshold: a firing alert in
// the hysteresis band shows it.
func (r *rule) lowest() string {
	if math.IsNaN(r.warning) {
		return protocol.SeverityCritical
	}
	return protocol.SeverityWarning
}

// noDataHold is how long an active alert keeps its state without data
// before it ends: the longer of for and keep_firing_for.
func (r *rule) noDataHold() time.Duration { return max(r.forDur, r.keepFiringFor) }

func severityOf(lvl int) string {
	if lvl == 2 {
		return protocol.SeverityCritical
	}
	return protocol.SeverityWarning
}
