package configs

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// SourceSpec is a source type's own config: a pointer to a struct whose
// yaml-tagged fields are the type's keys (a field tagged `yaml:",inline"`,
// like the embedded HTTPClient, adds its keys as if they were the struct's
// own). Validate checks it on its own, after defaults, and returns the
// problems as *Error with paths relative to the source ("url",
// "series[1].metric"); Source.Validate nests them under the source.
type SourceSpec interface {
	Validate() error
}

// SourceType is what the config loader knows of one type of source. Each
// type registers one from an init function of its own file
// (source_http.go, …); the collectors register the code that runs it.
type SourceType struct {
	// Name is the value of a source's type key, like "http".
	Name string
	// Interval is the poll interval of a source that gives none.
	Interval Duration
	// New returns the type's config with every default set. Each call
	// returns a new value.
	New func() SourceSpec
}

// The source type registry. It is filled by init functions; the lock is
// for tests that register a type of their own while configs are parsed.
var (
	sourceTypesMu sync.RWMutex
	sourceTypes   = map[string]SourceType{}
)

// commonKeys are the keys of every source; no type may use one of them.
var commonKeys = structKeys(reflect.TypeFor[Source]())

// RegisterSourceType makes a source type known to Parse and Validate. It is
// meant for init functions. It panics, since each is a programming error,
// on an empty name, a name registered twice, a non-positive interval, a New
// that does not return a pointer to a struct, a field without a yaml key, a
// key that is a common key (name, type, …), or a key that another type
// uses with another Go type.
func RegisterSourceType(st SourceType) {
	if st.Name == "" || st.New == nil || st.Interval <= 0 {
		panic("configs: RegisterSourceType needs a name, a positive interval and New")
	}
	spec := st.New()
	t := reflect.TypeOf(spec)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("configs: source type %q: New must return a pointer to a struct, not %T", st.Name, spec))
	}
	fields := specFields(t.Elem()) // panics on a field without a key
	sourceTypesMu.Lock()
	defer sourceTypesMu.Unlock()
	if _, dup := sourceTypes[st.Name]; dup {
		panic(fmt.Sprintf("configs: source type %q registered twice", st.Name))
	}
	for _, f := range fields {
		if slices.Contains(commonKeys, f.key) {
			panic(fmt.Sprintf("configs: source type %q: key %q is common to every source", st.Name, f.key))
		}
		for _, other := range sourceTypes {
			for _, g := range specFields(specType(other)) {
				if g.key == f.key && g.typ != f.typ {
					panic(fmt.Sprintf("configs: source type %q: key %q is a %s, but a %s for %q", st.Name, f.key, f.typ, g.typ, other.Name))
				}
			}
		}
	}
	sourceTypes[st.Name] = st
}

// SourceTypes returns the registered source type names, sorted.
func SourceTypes() []string {
	sourceTypesMu.RLock()
	defer sourceTypesMu.RUnlock()
	return slices.Sorted(maps.Keys(sourceTypes))
}

// DefaultInterval returns a source type's poll interval when none is
// given, zero for an unknown type.
func DefaultInterval(typ string) Duration {
	st, _ := lookupSourceType(typ)
	return st.Interval
}

func lookupSourceType(name string) (SourceType, bool) {
	sourceTypesMu.RLock()
	defer sourceTypesMu.RUnlock()
	st, ok := sourceTypes[name]
	return st, ok
}

// registeredTypes returns every registered type, sorted by name.
func registeredTypes() []SourceType {
	sourceTypesMu.RLock()
	defer sourceTypesMu.RUnlock()
	out := make([]SourceType, 0, len(sourceTypes))
	for _, name := range slices.Sorted(maps.Keys(sourceTypes)) {
		out = append(out, sourceTypes[name])
	}
	return out
}

// specType is the struct type of a registered type's config.
func specType(st SourceType) reflect.Type { return reflect.TypeOf(st.New()).Elem() }

// specField is one key of a spec struct, found by reflection.
type specField struct {
	key   string
	index []int // through inline structs, for FieldByIndex
	typ   reflect.Type
}

// specFields lists the keys of a spec struct type in field order, the
// fields of inline structs in place.
func specFields(t reflect.Type) []specField {
	var out []specField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("yaml") == "-" {
			continue
		}
		if isInline(f) {
			for _, g := range specFields(f.Type) {
				g.index = append([]int{i}, g.index...)
				out = append(out, g)
			}
			continue
		}
		key := yamlName(f)
		if key == "" {
			panic(fmt.Sprintf("configs: field %s.%s has no yaml key", t, f.Name))
		}
		out = append(out, specField{key: key, index: []int{i}, typ: f.Type})
	}
	return out
}

func isInline(f reflect.StructField) bool {
	_, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return slices.Contains(strings.Split(opts, ","), "inline") && f.Type.Kind() == reflect.Struct
}

// allSpecFields lists the keys of every registered type, each once (the
// first type, by name, that uses it gives its Go type).
func allSpecFields() []specField {
	var out []specField
	seen := map[string]bool{}
	for _, st := range registeredTypes() {
		for _, f := range specFields(specType(st)) {
			if !seen[f.key] {
				seen[f.key] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// typesUsing lists the source types that use key, for error messages.
func typesUsing(key string) string {
	var types []string
	for _, st := range registeredTypes() {
		if slices.ContainsFunc(specFields(specType(st)), func(f specField) bool { return f.key == key }) {
			types = append(types, st.Name)
		}
	}
	return strings.Join(types, ", ")
}

// foreignFields lists the keys other types use and typ does not: given in
// a source of type typ they are decoded, then reported as unused. For an
// unknown type that is every type's keys.
func foreignFields(typ string) []specField {
	var own []specField
	if st, ok := lookupSourceType(typ); ok {
		own = specFields(specType(st))
	}
	var out []specField
	for _, f := range allSpecFields() {
		if !slices.ContainsFunc(own, func(g specField) bool { return g.key == f.key }) {
			out = append(out, f)
		}
	}
	return out
}
