package configs

import (
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Validate checks one source on its own (Config.Validate also checks that
// names are unique). Call ApplyDefaults first on a Config built in code.
func (s Source) Validate() error { return s.validate(valuesOf(&s)) }

func (s *Source) validate(k keys) error {
	var p problems
	switch {
	case s.Name == "":
		p.addf("name", "is required")
	case !sourceNameRE.MatchString(s.Name):
		p.addf("name", "invalid source name %q: want up to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", s.Name)
	}
	st, known := lookupSourceType(s.Type)
	switch {
	case s.Type == "":
		p.addf("type", "is required (one of: %s)", strings.Join(SourceTypes(), ", "))
	case !known:
		p.addf("type", "unknown source type %q (known: %s)", s.Type, strings.Join(SourceTypes(), ", "))
	}
	if known || s.Interval != 0 { // an unknown type has no default interval
		atLeast(&p, "interval", s.Interval, minInterval)
	}
	if s.Interval > 0 {
		atLeast(&p, "timeout", s.Timeout, 1)
		if s.Timeout > s.Interval {
			p.addf("timeout", "%s is longer than the interval (%s)", s.Timeout, s.Interval)
		}
	}
	checkLabels(&p, "labels", s.Labels)
	if !known {
		return p.err()
	}
	for _, f := range foreignFields(s.Type) {
		if k.has(f.key) {
			p.keyf(f.key, "not used by %s sources (it is for %s)", s.Type, typesUsing(f.key))
		}
	}
	switch want := reflect.TypeOf(st.New()); {
	case s.Spec == nil:
		p.addf("", "a %s source needs its config (%s): build it with ApplyDefaults", s.Type, want)
	case reflect.TypeOf(s.Spec) != want:
		p.addf("", "a %s source's config is a %s, not a %T", s.Type, want, s.Spec)
	default:
		p.nest("", s.Spec.Validate())
		checkConfiguredLabels(&p, s.Labels, s.Spec)
	}
	return p.err()
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	return slices.Sorted(maps.Keys(m))
}
