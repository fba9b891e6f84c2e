package configs

import (
	"math"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const alertSources = `
sources:
  - {name: host, type: host}
  - {name: flaky, type: simulated, series: [{metric: jobs_total, shape: counter, rate: 1}]}
`

func parseAlerts(t *testing.T, alerts string) (*Config, error) {
	t.Helper()
	return Parse("a.yaml", []byte(alertSources+"alerts:\n"+alerts))
}

func TestAlertRulesParse(t *testing.T) {
	c, err := parseAlerts(t, `
  - name: HighCPU
    select: {source: host, metric: host_cpu_percent, labels: {cpu: total}, match: ['mode!~"idle|iowait"']}
    stat: mean
    warning: 80
    critical: 95
    clear: 70
    for: 30s
    keep_firing_for: 1m
    labels: {team: ops}
    annotations: {summary: "CPU at {{ $value | humanize }}% on {{ $labels.source }}"}
  - name: Listed
    select: ['metric="jobs_total"', source=flaky]
    stat: rate
    window: 5m
    below: true
    warning: 1
  - name: FlakyDown
    health: {source: flaky}
    severity: warning
  - name: Stale
    select: {source: flaky}
    stale: true
  - name: NoJobs
    select: {metric: jobs_total}
    absent: true
  - name: ThreeLines
    select: {source: host, metric: host_cpu_busy_percent}
    warning: 80
`)
	require.NoError(t, err)
	require.Len(t, c.Alerts, 6)
	require.Equal(t, "mean", c.Alerts[5].Stat, "default: the mean")
	require.Empty(t, c.Alerts[2].Stat, "a health rule has no stat")
	r := c.Alerts[0]
	require.Equal(t, AlertKindThreshold, r.Kind())
	require.Equal(t, Duration(time.Minute), r.Window, "default: the shortest window")
	require.Equal(t, 80.0, *r.Warning)
	require.Equal(t, []string{`mode!~"idle|iowait"`}, r.Select.Match)
	ms, err := r.Select.Matchers()
	require.NoError(t, err)
	require.Len(t, ms, 2)
	require.Equal(t, Matcher{Name: "cpu", Op: "=", Value: "total"}, ms[0])

	require.Equal(t, []string{`metric="jobs_total"`, "source=flaky"}, c.Alerts[1].Select.Match, "the list form")
	require.Equal(t, Duration(5*time.Minute), c.Alerts[1].Window)
	require.Equal(t, AlertKindHealth, c.Alerts[2].Kind())
	require.Equal(t, AlertKindStale, c.Alerts[3].Kind())
	require.Equal(t, AlertKindAbsent, c.Alerts[4].Kind())
	require.Zero(t, c.Alerts[2].Window, "no window for other kinds")

	again, err := parseAlerts(t, `
  - name: HighCPU
    select: {source: host, metric: host_cpu_percent, labels: {cpu: total}, match: ['mode!~"idle|iowait"']}
    stat: mean
    window: 1m
    warning: 80.0
    critical: 95
    clear: 70
    for: 30s
    keep_firing_for: 1m
    labels: {team: ops}
    annotations: {summary: "CPU at {{ $value | humanize }}% on {{ $labels.source }}"}
`)
	require.NoError(t, err)
	require.True(t, r.Equal(again.Alerts[0]), "the default written out is the same rule")
	again.Alerts[0].Labels["team"] = "dev"
	require.False(t, r.Equal(again.Alerts[0]))
}

func TestAlertRuleErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, path, msg string }{
		{"no name", "- {select: {metric: m}, stat: last, warning: 1}", "alerts[0].name", "is required"},
		{"no select", "- {name: a, stat: last, warning: 1}", "alerts[0].select", "is required"},
		{"no threshold", "- {name: a, select: {metric: m}, stat: last}", "alerts[0].warning", "needs warning, critical or both"},
		{"empty stat", "- {name: a, select: {metric: m}, stat: '', warning: 1}", "alerts[0].stat", "is required"},
		{"bad stat", "- {name: a, select: {metric: m}, stat: median, warning: 1}", "alerts[0].stat", `unknown statistic "median"`},
		{"window", "- {name: a, select: {metric: m}, stat: last, warning: 1, window: 2m}", "alerts[0].window", "2m is not one of aggregator.windows (1m, 5m, 15m)"},
		{"zero window", "- {name: a, select: {metric: m}, stat: last, warning: 1, window: 0s}", "alerts[0].window", "must be positive"},
		{"below order", "- {name: a, select: {metric: m}, stat: last, below: true, warning: 10, critical: 20}", "alerts[0].critical", "is not below warning"},
		{"clear", "- {name: a, select: {metric: m}, stat: last, warning: 10, clear: 11}", "alerts[0].clear", "must not be above the first threshold (10)"},
		{"clear below", "- {name: a, select: {metric: m}, stat: last, below: true, critical: 10, clear: 9}", "alerts[0].clear", "must not be below the first threshold (10)"},
		{"nan", "- {name: a, select: {metric: m}, stat: last, warning: .nan}", "alerts[0].warning", "must be a finite number"},
		{"negative for", "- {name: a, select: {metric: m}, stat: last, warning: 1, for: -1s}", "alerts[0].for", "must not be negative"},
		{"negative keep", "- {name: a, select: {metric: m}, stat: last, warning: 1, keep_firing_for: -1s}", "alerts[0].keep_firing_for", "must not be negative"},
		{"reserved label", "- {name: a, select: {metric: m}, stat: last, warning: 1, labels: {alertname: x}}", "alerts[0].labels.alertname", "set by the evaluator"},
		{"bad label", "- {name: a, select: {metric: m}, stat: last, warning: 1, labels: {a-b: x}}", "alerts[0].labels.a-b", "invalid label name"},
		{"bad select label", "- {name: a, select: {metric: m, labels: {a-b: x}}, stat: last, warning: 1}", "alerts[0].select.labels.a-b", "invalid label name"},
		{"bad metric", "- {name: a, select: {metric: 2m}, stat: last, warning: 1}", "alerts[0].select.metric", "invalid metric name"},
		{"select source", "- {name: a, select: {source: nope, metric: m}, stat: last, warning: 1}", "alerts[0].select.source", `no source is called "nope"`},
		{"matcher", "- {name: a, select: {metric: m, match: [cpu]}, stat: last, warning: 1}", "alerts[0].select.match[0]", "want name op"},
		{"quote", `- {name: a, select: {metric: m, match: ['cpu="x']}, stat: last, warning: 1}`, "alerts[0].select.match[0]", "not a well-quoted string"},
		{"stale and absent", "- {name: a, select: {metric: m}, stale: true, absent: true}", "alerts[0].absent", "stale or absent, not both"},
		{"stat on stale", "- {name: a, select: {metric: m}, stale: true, stat: last}", "alerts[0].stat", "not used by stale rules"},
		{"select on health", "- {name: a, health: {source: host}, select: {metric: m}}", "alerts[0].select", "not used by health rules"},
		{"health source", "- {name: a, health: {}}", "alerts[0].health.source", "is required"},
		{"severity", "- {name: a, health: {source: host}, severity: page}", "alerts[0].severity", `"page": want warning or critical`},
		{"severity on threshold", "- {name: a, select: {metric: m}, stat: last, warning: 1, severity: warning}", "alerts[0].severity", "not used by threshold rules"},
		{"template", "- {name: a, select: {metric: m}, stat: last, warning: 1, annotations: {s: '{{ $value'}}", "alerts[0].annotations.s", "template: line 1"},
		{"template loop", "- {name: a, select: {metric: m}, stat: last, warning: 1, annotations: {s: '{{range 30000000}}{{end}}x'}}", "alerts[0].annotations.s", "may range over $labels only"},
		{"duplicate", "- {name: a, health: {source: host}}\n- {name: a, health: {source: flaky}}", "alerts[1].name", `duplicate alert name "a"`},
		{"name line", "- {name: \"a\\nb\", health: {source: host}}", "alerts[0].name", "one line"},
		{"unknown key", "- {name: a, health: {source: host}, fore: 1s}", "alerts[0].fore", `unknown key "fore" (did you mean "for"?)`},
		{"select type", "- {name: a, select: 3, stat: last, warning: 1}", "alerts[0].select", ""},
		{"negative limit", "- {name: a, health: {source: host}, limit: -1}", "alerts[0].limit", "must not be negative"},
		{"limit over max_alerts", "- {name: a, select: {metric: m}, stat: last, warning: 1, limit: 10001}", "alerts[0].limit", "10001 is more than alerting.max_alerts (10000)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAlerts(t, tc.yaml)
			require.Error(t, err)
			var found bool
			for _, e := range Errors(err) {
				if e.Path == tc.path && strings.Contains(e.Msg, tc.msg) {
					found = true
					require.Positive(t, e.Line, "every error has a position")
				}
			}
			require.True(t, found, "want %s: %s, got:\n%v", tc.path, tc.msg, err)
		})
	}
}

// A file with more rules than alerting.max_rules is refused at the first
// rule past it, with its position.
func TestAlertRulesMaxRules(t *testing.T) {
	src := "alerting: {max_rules: 2, max_alerts: 50}\nalerts:\n" +
		"  - {name: a, select: {metric: m}, warning: 1}\n" +
		"  - {name: b, select: {metric: m}, warning: 1, limit: 50}\n" +
		"  - {name: c, select: {metric: m}, warning: 1}\n"
	_, err := Parse("a.yaml", []byte(src))
	require.Error(t, err)
	errs := Errors(err)
	require.Len(t, errs, 1, "%v", err)
	require.Equal(t, "alerts[2]", errs[0].Path)
	require.Contains(t, errs[0].Msg, "3 rules is more than alerting.max_rules (2)")
	require.Equal(t, 5, errs[0].Line)

	c, err := Parse("a.yaml", []byte(strings.Replace(src, "max_rules: 2", "max_rules: 3", 1)))
	require.NoError(t, err)
	require.Equal(t, 50, c.Alerts[1].Limit)
	require.Zero(t, c.Alerts[0].Limit, "0: the evaluator's default")
}

func TestMatchers(t *testing.T) {
	for _, tc := range []struct {
		text, yes, no string
	}{
		{`cpu="total"`, "total", "totals"},
		{`cpu!="total"`, "0", "total"},
		{`cpu=~"cpu[0-9]+"`, "cpu12", "xcpu1"},
		{`cpu!~"idle|iowait"`, "user", "idle"},
		{`cpu = total`, "total", "tot"},
		{"cpu=~`a.b`", "axb", "ab"},
	} {
		m, err := ParseMatcher(tc.text)
		require.NoError(t, err, tc.text)
		require.True(t, m.Matches(tc.yes), tc.text)
		require.False(t, m.Matches(tc.no), tc.text)
	}
	for _, bad := range []string{"", "cpu", "=x", `cpu=~"("`, `cpu=~"a)|(b"`, `cpu=~"` + strings.Repeat("a", maxRegexLen+1) + `"`, `1cpu="x"`} {
		_, err := ParseMatcher(bad)
		require.Error(t, err, bad)
	}
}

func TestHumanize(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 1234567: "1.235M", 0.0012: "1.2m", 999: "999", -2500: "-2.5k", 1e30: "1e+06Y"} {
		require.Equal(t, want, Humanize(v), "%v", v)
	}
	require.Equal(t, "1.5ki", Humanize1024(1536))
	require.Equal(t, "1", Humanize1024(1))
	require.Equal(t, "1d 1h 1m 1.5s", HumanizeDuration(90061.5))
	require.Equal(t, "-1m 0s", HumanizeDuration(-60))
	require.Equal(t, "1.5ms", HumanizeDuration(0.0015))
	require.Equal(t, "0s", HumanizeDuration(0))
	require.Equal(t, "NaN", HumanizeDuration(math.NaN()))
	tmpl, err := ParseAlertTemplate("t", `{{ humanizePercentage $value }} {{ $labels.x | toUpper }} {{ title "a b" }}`)
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, tmpl.Execute(&b, AlertTemplateData{Labels: map[string]string{"x": "y"}, Value: 0.5}))
	require.Equal(t, "50% Y A B", b.String())
	_, err = ParseAlertTemplate("t", strings.Repeat("x", maxTemplateLen+1))
	require.Error(t, err)
}

// Every key of a rule has its row in REFERENCE.md.
func TestReferenceDocumentsAlertKeys(t *testing.T) {
	documented, _ := documentedKeys(t)
	keys := map[string]string{}
	nestedKeys(reflect.TypeFor[AlertRule](), "alerts[]", keys)
	require.Contains(t, keys, "match")
	for key, where := range keys {
		require.True(t, documented[key], "REFERENCE.md has no row for key %q (%s)", key, where)
	}
}

// A regular expression's literal prefix decides the values without it
// before the expression runs, and the decision is always the
// expression's own.
func TestMatcherPrefixAgreesWithTheExpression(t *testing.T) {
	values := []string{"", "1", "12", "123", "1234", "21", "x12", "12\n", "AB", "ab", "abc", "b", "ba"}
	for _, re := range []string{`12.*`, `12`, `(12).*`, `12|3.*`, `(?i)ab.*`, `a?b`, `ab|abc`, `.*12`, `12\d*`, `1(2|3)`, ``, `.*`} {
		want := regexp.MustCompile("^(?:" + re + ")$")
		for _, op := range []string{"=~", "!~"} {
			m, err := ParseMatcher("x" + op + "`" + re + "`")
			require.NoError(t, err)
			for _, v := range values {
				require.Equal(t, want.MatchString(v) == (op == "=~"), m.Matches(v), "%s%s %q", op, re, v)
			}
		}
	}
	m, err := ParseMatcher(`instance=~"12.*"`)
	require.NoError(t, err)
	require.Equal(t, "12", m.prefix, "a value not beginning 12 is a miss without the expression")
	m, err = ParseMatcher(`instance=~"(?i)ab.*"`)
	require.NoError(t, err)
	require.Empty(t, m.prefix, "no prefix under case folding")
}
