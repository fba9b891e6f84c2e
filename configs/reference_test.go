package configs

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The error examples in REFERENCE.md are what loading the fixtures prints,
// so the reference cannot drift from the code.
func TestReferenceErrorExamples(t *testing.T) {
	doc, err := os.ReadFile("REFERENCE.md")
	require.NoError(t, err)
	example := regexp.MustCompile(`^([a-z_]+\.yaml):\d+:\d+: `)
	checked := 0
	for _, line := range strings.Split(string(doc), "\n") {
		m := example.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		_, err := Load(filepath.Join("testdata", m[1]))
		require.Error(t, err, m[1])
		var got []string
		for _, e := range Errors(err) {
			got = append(got, strings.TrimPrefix(e.Error(), "testdata/"))
		}
		require.Contains(t, got, line)
		checked++
	}
	require.Greater(t, checked, 30)
}

// documentedKeys returns the keys named in the first cell of REFERENCE.md's
// table rows ("| `key` |", "| `server.listen` |").
func documentedKeys(t *testing.T) (map[string]bool, string) {
	t.Helper()
	doc, err := os.ReadFile("REFERENCE.md")
	require.NoError(t, err)
	keys := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		for _, k := range strings.Split(cells[1], ",") {
			keys[strings.Trim(strings.TrimSpace(k), "`")] = true
		}
	}
	return keys, string(doc)
}

// nestedKeys lists the keys of t's fields and, for fields that hold
// structs (a list of series, the faults), of theirs, each with the path of
// the struct it belongs to. Inline structs add their keys in place.
func nestedKeys(t reflect.Type, prefix string, out map[string]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if isInline(f) {
			nestedKeys(f.Type, prefix, out)
			continue
		}
		key := yamlName(f)
		if key == "" || key == "-" {
			continue
		}
		out[key] = prefix
		inner := f.Type
		for inner.Kind() == reflect.Pointer || inner.Kind() == reflect.Slice {
			inner = inner.Elem()
		}
		if inner.Kind() == reflect.Struct {
			nestedKeys(inner, joinPath(prefix, key), out)
		}
	}
}

// Every key is documented: each top-level key by its dotted path, each key
// of a source (common, of every registered type, and of the structs they
// hold) by its name. Adding a key without its line in REFERENCE.md fails
// here. Each registered type has its section, with its default interval.
func TestReferenceDocumentsEveryKey(t *testing.T) {
	documented, doc := documentedKeys(t)

	var top func(prefix string, t reflect.Type)
	var paths []string
	top = func(prefix string, t reflect.Type) {
		for i := range t.NumField() {
			path := joinPath(prefix, yamlName(t.Field(i)))
			if path == "sources" {
				continue
			}
			ft := t.Field(i).Type
			if ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct {
				ft = ft.Elem() // an optional block (cluster:): its keys are documented
			}
			if ft.Kind() == reflect.Struct {
				top(path, ft)
			} else {
				paths = append(paths, path)
			}
		}
	}
	top("", typeOfConfig())
	require.Contains(t, paths, "server.auth.admin_token")
	for _, p := range paths {
		require.True(t, documented[p], "REFERENCE.md has no row for %s", p)
	}

	keys := map[string]string{}
	nestedKeys(reflect.TypeFor[Source](), "sources[]", keys)
	for _, st := range registeredTypes() {
		nestedKeys(specType(st), st.Name+" sources", keys)

		heading := "### `" + st.Name + "` sources"
		at := strings.Index(doc, heading)
		require.GreaterOrEqual(t, at, 0, "REFERENCE.md has no section %q", heading)
		section := doc[at+len(heading):]
		if next := strings.Index(section, "\n##"); next >= 0 {
			section = section[:next]
		}
		require.Contains(t, section, "Default interval `"+st.Interval.String()+"`", heading)
	}
	require.Contains(t, keys, "error_rate", "the keys of nested structs are walked")
	require.Contains(t, keys, "url", "the keys of inline structs are walked")
	for key, where := range keys {
		require.True(t, documented[key], "REFERENCE.md has no row for key %q (%s)", key, where)
	}
}
