package configs

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"
)

// AlertRule is one entry of the `alerts:` list. Its kind is given by the
// keys it has (see Kind):
//
//   - threshold: select, stat (of window), warning and/or critical, with
//     below, clear; one alert per selected series;
//   - stale: select and stale: true; one alert per selected series that is
//     stale;
//   - absent: select and absent: true; one alert for the rule when no live
//     series matches;
//   - health: health: {source: name}; one alert while the source is down.
//
// Every kind takes for, keep_firing_for, labels and annotations.
type AlertRule struct {
	// Name is the alertname label, unique among the rules.
	Name string `yaml:"name"`
	// Select picks the series a threshold, stale or absent rule watches.
	Select *AlertSelect `yaml:"select"`
	// Health makes a rule on one source's health.
	Health *AlertHealth `yaml:"health"`
	// Stat is the window statistic compared with the thresholds: last,
	// min, max, mean (the default), rate, p50, p90, p99 or count.
	Stat string `yaml:"stat"`
	// Window is the span of the statistic: one of aggregator.windows
	// (default the shortest).
	Window Duration `yaml:"window"`
	// Warning and Critical are the thresholds: the alert fires when the
	// statistic is above one (below, with Below).
	Warning  *float64 `yaml:"warning"`
	Critical *float64 `yaml:"critical"`
	Below    bool     `yaml:"below"`
	// Clear is the hysteresis threshold: a firing alert resolves only
	// once the statistic is below it (above it, with Below). Default: the
	// lower threshold given (the higher, with Below).
	Clear *float64 `yaml:"clear"`
	// Stale makes a stale rule, Absent an absent rule (see above).
	Stale  bool `yaml:"stale"`
	Absent bool `yaml:"absent"`
	// Severity is the severity of a stale, absent or health alert:
	// warning or critical (the default).
	Severity string `yaml:"severity"`
	// For is how long the condition must hold before the alert fires.
	For Duration `yaml:"for"`
	// KeepFiringFor keeps a firing alert firing that long after its
	// condition stopped holding.
	KeepFiringFor Duration `yaml:"keep_firing_for"`
	// Labels are added to the alert's labels; Annotations are templates
	// (see ParseAlertTemplate).
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
	// Limit is the most alerts (pending or firing) the rule may hold, as
	// Prometheus' rule limit: past it the rule's evaluation fails, its
	// alerts end and the failure is logged and counted until it is back
	// within. 0 means DefaultAlertLimit; at most alerting.max_alerts.
	Limit int `yaml:"limit"`
}

// AlertSelect picks series: those of Source (if given) named Metric (if
// given) that have every label of Labels and pass every matcher of Match.
//
// In YAML it is a mapping, {source, metric, labels, match}, or a list of
// matchers alone, where the names "source" and "metric" match the series'
// source and metric name: ['metric="host_cpu_percent"', 'cpu!="total"'].
type AlertSelect struct {
	Source string            `yaml:"source"`
	Metric string            `yaml:"metric"`
	Labels map[string]string `yaml:"labels"`
	// Match are matchers, `name op "value"` with op one of =, !=, =~, !~
	// (regular expressions anchored at both ends, as in Prometheus); the
	// quotes are optional.
	Match []string `yaml:"match"`
}

// AlertHealth names the source a health rule watches.
type AlertHealth struct {
	Source string `yaml:"source"`
}

// Alert rule kinds, as Kind returns them.
const (
	AlertKindThreshold = "threshold"
	AlertKindStale     = "stale"
	AlertKindAbsent    = "absent"
	AlertKindHealth    = "health"
)

// Kind returns the rule's kind: health when it has Health, stale or
// absent when it says so, threshold otherwise.
func (r AlertRule) Kind() string {
	switch {
	case r.Health != nil:
		return AlertKindHealth
	case r.Stale:
		return AlertKindStale
	case r.Absent:
		return AlertKindAbsent
	}
	return AlertKindThreshold
}

// applyDefaults gives a threshold rule without a window the shortest of
// windows, and without a stat the mean (what Grafana and Netdata reduce a
// window to by default).
func (r *AlertRule) applyDefaults(k keys, windows []Duration) {
	if r.Kind() != AlertKindThreshold {
		return
	}
	if !k.has("window") && len(windows) > 0 {
		r.Window = slices.Min(windows)
	}
	if !k.has("stat") {
		r.Stat = "mean"
	}
}

// Equal reports whether two rules are configured alike; a reload keeps
// the state of the alerts of a rule whose new config is Equal to the old.
func (r AlertRule) Equal(o AlertRule) bool {
	return equalValues(reflect.ValueOf(r), reflect.ValueOf(o))
}

// alertStats are the statistics a rule may compare, as the aggregator
// names them.
var alertStats = []string{"last", "min", "max", "mean", "rate", "p50", "p90", "p99", "count"}

// AlertStats lists the statistics a threshold rule may take.
func AlertStats() []string { return slices.Clone(alertStats) }

// Severity names.
const (
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// reservedAlertLabels are set by the evaluator itself.
var reservedAlertLabels = []string{"alertname", "alertstate", "severity"}

// validateAlerts checks every rule, the uniqueness of their names, what
// they refer to (sources, windows), their number against
// alerting.max_rules and their limits against alerting.max_alerts.
func (c *Config) validateAlerts(p *problems) {
	if max := c.Alerting.MaxRules; max > 0 && len(c.Alerts) > max {
		p.addf(index("alerts", max), "%d rules is more than alerting.max_rules (%d)", len(c.Alerts), max)
	}
	seen := map[string]int{}
	for i := range c.Alerts {
		r := &c.Alerts[i]
		path := index("alerts", i)
		p.nest(path, r.validate(c))
		if max := c.Alerting.MaxAlerts; max > 0 && r.Limit > max {
			p.addf(joinPath(path, "limit"), "%d is more than alerting.max_alerts (%d)", r.Limit, max)
		}
		if first, dup := seen[r.Name]; dup && r.Name != "" {
			p.addf(joinPath(path, "name"), "duplicate alert name %q (first used by alerts[%d])", r.Name, first)
		} else {
			seen[r.Name] = i
		}
	}
}

// Validate checks the rule on its own: its kind's keys, the thresholds'
// order, the matchers, labels and templates. Config.Validate also checks
// that its sources exist and its window is one of aggregator.windows.
func (r *AlertRule) Validate() error { return r.validate(nil) }

func (r *AlertRule) validate(c *Config) error {
	var p problems
	switch {
	case r.Name == "":
		p.addf("name", "is required")
	case !utf8.ValidString(r.Name) || strings.ContainsAny(r.Name, "\x00\n\r"):
		p.addf("name", "must be valid UTF-8 on one line")
	}
	kind := r.Kind()
	unused := func(key string, given bool) {
		if given {
			p.keyf(key, "not used by %s rules", kind)
		}
	}
	switch kind {
	case AlertKindHealth:
		unused("select", r.Select != nil)
		unused("stale", r.Stale)
		unused("absent", r.Absent)
		if r.Health.Source == "" {
			p.addf("health.source", "is required: the name of a source")
		} else if c != nil {
			checkSourceRef(&p, c, "health.source", r.Health.Source)
		}
	default:
		if r.Select == nil {
			p.addf("select", "is required: the series to watch (or health: {source: name} for a rule on a source)")
		} else {
			r.Select.validate(&p, c)
		}
		if r.Stale && r.Absent {
			p.keyf("absent", "a rule is stale or absent, not both")
		}
	}
	if kind == AlertKindThreshold {
		r.validateThresholds(&p, c)
		unused("severity", r.Severity != "")
	} else {
		for key, given := range map[string]bool{
			"stat": r.Stat != "", "window": r.Window != 0, "warning": r.Warning != nil,
			"critical": r.Critical != nil, "below": r.Below, "clear": r.Clear != nil,
		} {
			unused(key, given)
		}
		if r.Severity != "" && r.Severity != SeverityWarning && r.Severity != SeverityCritical {
			p.addf("severity", "%q: want warning or critical", r.Severity)
		}
	}
	if r.For < 0 {
		p.addf("for", "must not be negative, got %s", r.For)
	}
	if r.KeepFiringFor < 0 {
		p.addf("keep_firing_for", "must not be negative, got %s", r.KeepFiringFor)
	}
	if r.Limit < 0 {
		p.addf("limit", "must not be negative, got %d (0 means the default, %d)", r.Limit, DefaultAlertLimit)
	}
	for _, name := range sortedKeys(r.Labels) {
		path := joinPath("labels", name)
		switch {
		case slices.Contains(reservedAlertLabels, name):
			p.keyf(path, "label name %q is set by the evaluator", name)
		case !validAlertLabelName(name):
			p.keyf(path, "invalid label name %q: want letters, digits and '_', not starting with a digit", name)
		}
	}
	for _, name := range sortedKeys(r.Annotations) {
		if _, err := ParseAlertTemplate(name, r.Annotations[name]); err != nil {
			p.addf(joinPath("annotations", name), "%v", err)
		}
	}
	return p.err()
}

func validAlertLabelName(name string) bool {
	return checkLabelName(name) == "" || name == LabelSource
}

// validateThresholds checks a threshold rule's stat, window and numbers.
func (r *AlertRule) validateThresholds(p *problems, c *Config) {
	switch {
	case r.Stat == "":
		p.addf("stat", "is required: one of %s", strings.Join(alertStats, ", "))
	case !slices.Contains(alertStats, r.Stat):
		p.addf("stat", "unknown statistic %q: want one of %s", r.Stat, strings.Join(alertStats, ", "))
	}
	if c != nil && r.Window > 0 && !slices.Contains(c.Aggregator.Windows, r.Window) {
		p.addf("window", "%s is not one of aggregator.windows (%s)", r.Window, durationList(c.Aggregator.Windows))
	}
	if r.Window < 0 || (c != nil && r.Window == 0) {
		p.addf("window", "must be positive, got %s", r.Window)
	}
	if r.Warning == nil && r.Critical == nil {
		p.addf("warning", "a threshold rule needs warning, critical or both")
	}
	for key, v := range map[string]*float64{"warning": r.Warning, "critical": r.Critical, "clear": r.Clear} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			p.addf(key, "must be a finite number, got %v", *v)
		}
	}
	// above: fire at > warning, escalate at > critical, clear at < clear;
	// below mirrors it.
	before := func(a, b float64) bool { // a comes first on the way up to trouble
		if r.Below {
			return a >= b
		}
		return a <= b
	}
	word := map[bool]string{false: "above", true: "below"}[r.Below]
	if r.Warning != nil && r.Critical != nil && !before(*r.Warning, *r.Critical) {
		p.addf("critical", "%v is not %s warning (%v): critical is the worse level", *r.Critical, word, *r.Warning)
	}
	if r.Clear != nil {
		first := r.Warning
		if first == nil {
			first = r.Critical
		}
		if first != nil && !before(*r.Clear, *first) {
			p.addf("clear", "%v would clear the alert while it fires: it must not be %s the first threshold (%v)", *r.Clear, word, *first)
		}
	}
}

func durationList(ds []Duration) string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return strings.Join(out, ", ")
}

// checkSourceRef reports a source name that no configured source has.
func checkSourceRef(p *problems, c *Config, path, name string) {
	if _, ok := c.SourceByName(name); ok {
		return
	}
	names := make([]string, len(c.Sources))
	for i, s := range c.Sources {
		names[i] = s.Name
	}
	if best := closest(name, names); best != "" {
		p.addf(path, "no source is called %q (did you mean %q?)", name, best)
		return
	}
	p.addf(path, "no source is called %q", name)
}
