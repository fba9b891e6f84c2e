package configs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// The select of an alert rule: its two YAML forms and its matchers.

// UnmarshalYAML takes the mapping form or the matcher-list form.
func (s *AlertSelect) UnmarshalYAML(node ast.Node) error {
	if seq, ok := node.(*ast.SequenceNode); ok {
		var list []string
		if err := yaml.NodeToValue(seq, &list, yaml.Strict()); err != nil {
			return err
		}
		*s = AlertSelect{Match: list}
		return nil
	}
	type plain AlertSelect // without this method
	return yaml.NodeToValue(node, (*plain)(s), yaml.Strict())
}

// Matcher is one label matcher of a select.
type Matcher struct {
	Name  string // a label name, or "source" or "metric"
	Op    string // =, !=, =~ or !~
	Value string
	re    *regexp.Regexp
	// prefix begins every value the regular expression matches: a value
	// without it is decided without running the expression. An alert
	// rule's selection matches every series of its index when it is
	// first listed, and `instance=~"12.*"` over 10,000 series is mostly
	// misses: 6 ns a miss instead of 300.
	prefix string
}

// Matches reports whether v passes the matcher.
func (m Matcher) Matches(v string) bool {
	switch m.Op {
	case "=":
		return v == m.Value
	case "!=":
		return v != m.Value
	case "=~":
		return strings.HasPrefix(v, m.prefix) && m.re.MatchString(v)
	default:
		return !strings.HasPrefix(v, m.prefix) || !m.re.MatchString(v)
	}
}

// matcherRE splits `name op value`: the value is a quoted string or the
// rest of the text.
var matcherRE = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$`)

// maxRegexLen bounds a matcher's regular expression: Go's engine is
// linear in the input, but compiling a huge one is not free.
const maxRegexLen = 1024

// ParseMatcher parses `name op "value"` (quotes optional; Go or
// Prometheus escapes inside them) and compiles a regular expression,
// anchored at both ends.
func ParseMatcher(text string) (Matcher, error) {
	m := matcherRE.FindStringSubmatch(text)
	if m == nil {
		return Matcher{}, fmt.Errorf("matcher %q: want name op \"value\" with op one of =, !=, =~, !~", text)
	}
	out := Matcher{Name: m[1], Op: m[2], Value: m[3]}
	if strings.HasPrefix(out.Value, `"`) || strings.HasPrefix(out.Value, "'") || strings.HasPrefix(out.Value, "`") {
		v, err := strconv.Unquote(out.Value)
		if err != nil {
			return Matcher{}, fmt.Errorf("matcher %q: the value is not a well-quoted string", text)
		}
		out.Value = v
	}
	if out.Op == "=~" || out.Op == "!~" {
		if len(out.Value) > maxRegexLen {
			return Matcher{}, fmt.Errorf("matcher %q: the regular expression is longer than %d bytes", text, maxRegexLen)
		}
		if _, err := regexp.Compile(out.Value); err != nil {
			return Matcher{}, fmt.Errorf("matcher %q: invalid regular expression: %v", text, unwrapRegexError(err))
		}
		re, err := regexp.Compile("^(?:" + out.Value + ")$")
		if err != nil { // "a)|(b" compiles alone, not inside the group
			return Matcher{}, fmt.Errorf("matcher %q: invalid regular expression: %v", text, unwrapRegexError(err))
		}
		out.re = re
		// Anchored at the start, a match begins with the literal prefix
		// (none under (?i): LiteralPrefix stops at a case-folded rune).
		out.prefix, _ = re.LiteralPrefix()
	}
	return out, nil
}

func unwrapRegexError(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// Matchers returns the select's matchers: Labels as = matchers (sorted by
// name), then Match parsed, each regular expression compiled. Source and
// Metric are not among them. The error names the first bad matcher.
func (s *AlertSelect) Matchers() ([]Matcher, error) {
	var out []Matcher
	for _, name := range sortedKeys(s.Labels) {
		out = append(out, Matcher{Name: name, Op: "=", Value: s.Labels[name]})
	}
	for _, text := range s.Match {
		m, err := ParseMatcher(text)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// validate checks a select's names and matchers.
func (s *AlertSelect) validate(p *problems, c *Config) {
	if s.Metric != "" && checkMetricName(s.Metric) != "" && !strings.HasPrefix(s.Metric, reservedMetricPrefix) {
		p.addf("select.metric", "%s", checkMetricName(s.Metric))
	}
	if s.Source != "" && c != nil {
		checkSourceRef(p, c, "select.source", s.Source)
	}
	for _, name := range sortedKeys(s.Labels) {
		if !validAlertLabelName(name) {
			p.keyf(joinPath("select.labels", name), "invalid label name %q", name)
		}
	}
	key := "select.match"
	if s.Source == "" && s.Metric == "" && len(s.Labels) == 0 {
		key = "select" // the list form: its paths are select[i]
	}
	for i, text := range s.Match {
		if _, err := ParseMatcher(text); err != nil {
			p.addf(index(key, i), "%v", err)
		}
	}
}
