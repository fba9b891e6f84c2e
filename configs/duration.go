package configs

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Duration is a time.Duration written in YAML as "500ms", "1m" or "1h30m".
// It is a type of its own so that a bad value is reported with its position.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String renders the duration the way it is written in YAML: "1m" and
// "1h30m" rather than time.Duration's "1m0s" and "1h30m0s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// durationSyntax is what time.ParseDuration reads: a text it matches and
// ParseDuration still refuses is a duration too large for it.
var durationSyntax = regexp.MustCompile(`^[-+]?(0|((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$`)

// UnmarshalText parses a Go duration string of at most MaxDuration. A
// well-formed one longer than time.Duration holds (about 292 years) is
// "too large", not a missing unit.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		if why := negativeReason(string(b), parseGoDuration, "500ms, 10s or 1m"); why != "" {
			return fmt.Errorf("invalid duration %q: %s", string(b), why)
		}
		if durationSyntax.Match(b) {
			return fmt.Errorf("invalid duration %q: too long: the most is %s", string(b), MaxDuration)
		}
		return fmt.Errorf("invalid duration %q: want a number with a unit, like 500ms, 10s or 1m", string(b))
	}
	if v > MaxDuration.D() {
		return fmt.Errorf("invalid duration %q: too long: the most is %s", string(b), MaxDuration)
	}
	*d = Duration(v)
	return nil
}

// MaxDuration is the longest value any duration key takes. Longer ones
// serve no dashboard and break arithmetic on the clock: a 2562047h poll
// interval added to now passes what UnixNano holds, and a latency with
// half again as jitter overflows. It is checked where every duration is
// decoded, so the error has the key's line and column.
const MaxDuration = Duration(24 * time.Hour)

// UnmarshalYAML decodes a duration from its YAML node. go-yaml prefers this
// to UnmarshalText and, unlike there, the node is at hand: a bad value is
// reported with its line and column.
func (d *Duration) UnmarshalYAML(node ast.Node) error {
	switch n := node.(type) {
	case *ast.NullNode:
		return nil // "interval:" with no value leaves the default
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode:
		text := n.GetToken().Value
		if s, ok := n.(*ast.StringNode); ok {
			text = s.Value
		}
		if err := d.UnmarshalText([]byte(text)); err != nil {
			return &yaml.SyntaxError{Message: err.Error(), Token: n.GetToken()}
		}
		return nil
	default:
		tok := node.GetToken()
		if m, ok := node.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
			tok = m.Values[0].Key.GetToken() // a block mapping's own token is its first ":"
		}
		return &yaml.SyntaxError{
			Message: fmt.Sprintf("invalid duration: want a string like 500ms, 10s or 1m, got a %s", node.Type().YAMLName()),
			Token:   tok,
		}
	}
}

// parseGoDuration is time.ParseDuration's verdict on text.
func parseGoDuration(text string) error {
	_, err := time.ParseDuration(text)
	return err
}

// digitRuns are the numbers written in a value.
var digitRuns = regexp.MustCompile(`[0-9]+`)

// wellFormed reports whether parse takes text but for the size of its
// numbers: "99999999999999999999y" is a span too long, not a span
// misspelt ("1y" parses). Which of the two it is decides the reason given.
func wellFormed(text string, parse func(string) error) bool {
	return parse(digitRuns.ReplaceAllString(text, "1")) == nil
}

// bareNumber is a number written without a unit.
var bareNumber = regexp.MustCompile(`^([0-9]+\.?[0-9]*|\.[0-9]+)$`)

// negativeReason is the reason to give for text that is a value below
// zero, "" for any other: a value parse takes but for its leading minus
// sign (whatever the size of its numbers: "-9999999999h" is negative
// before it is too long), or a bare number ("-1": negative, and without
// the unit examples show). No size, span or duration key takes a
// negative value; the ones a parser reads with their sign ("-1s") are
// refused by the key's own check, which says what the key wants.
func negativeReason(text string, parse func(string) error, examples string) string {
	abs, ok := strings.CutPrefix(text, "-")
	switch {
	case !ok || !strings.ContainsAny(abs, "123456789"):
		return ""
	case wellFormed(abs, parse):
		return "must not be negative"
	case bareNumber.MatchString(abs):
		return "must not be negative, and wants a unit, like " + examples
	}
	return ""
}
