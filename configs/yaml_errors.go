package configs

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/token"
)

// yamlError turns an error from go-yaml's parser or decoder, whose text
// spans several lines with a source excerpt, into a one-line *Error with the
// field path. doc is nil for a syntax error (there is no document yet).
func yamlError(filename string, doc positions, err error) *Error {
	return decodeError(filename, doc, tokenPaths{}, err)
}

// tokenPaths names the path of each token of the expanded document, and
// the alias each copied token came through: a copy's tokens all stand at
// its alias, so a position alone cannot tell its paths apart.
type tokenPaths struct {
	paths map[*token.Token]string
	via   map[*token.Token]aliasUse
}

// decodeError is yamlError for the decoder's errors on the expanded
// document: the path is that of the node the decoder names, and an error
// in a copy says which alias it came through.
func decodeError(filename string, doc positions, tp tokenPaths, err error) *Error {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		at := unknownPos(doc)
		return &Error{File: filename, Line: at.line, Col: at.col, Msg: shorten(firstLine(err.Error()))}
	}
	at, path := tokenPos(ye.GetToken()), ""
	switch {
	case at == (pos{}):
		at = unknownPos(doc)
	case doc != nil:
		var found string
		found, at = doc.pathAt(at) // a block mapping's ":" moves to its first key
		path = found
		if p, ok := tp.paths[ye.GetToken()]; ok {
			path = p // exact, where copies share a position
		}
	}
	e := &Error{File: filename, Line: at.line, Col: at.col, Path: path, Msg: firstLine(ye.GetMessage())}
	switch ye := ye.(type) {
	case *yaml.UnknownFieldError:
		e.Msg = unknownKeyMessage(ye.Token.Value, parentPath(e.Path))
	case *yaml.TypeError:
		want, got := describeType(ye.DstType), describeType(ye.SrcType)
		if want == got {
			// go-yaml refuses some values of the right kind, such as
			// "!!int 7"; "want an integer, got an integer" would puzzle.
			e.Msg = fmt.Sprintf("cannot decode this value as %s", want)
		} else {
			e.Msg = fmt.Sprintf("want %s, got %s", want, got)
		}
	case *yaml.OverflowError:
		e.Msg = fmt.Sprintf("%s does not fit in %s", ye.SrcNum, describeType(ye.DstType))
	case *yaml.UnexpectedNodeTypeError:
		e.Msg = fmt.Sprintf("want a %s, got a %s", ye.Expected.YAMLName(), ye.Actual.YAMLName())
	}
	if u, ok := tp.via[ye.GetToken()]; ok {
		e.Msg += " " + u.note()
	}
	e.Msg = shorten(e.Msg)
	return e
}

// unknownPos is where to point for an error go-yaml gives without a
// position: the start of the document, so that every config error has a
// file:line:col an editor can jump to. The limits checked before decoding
// catch the known cases (an alias to no anchor, too deep a nesting) with
// their own position.
func unknownPos(doc positions) pos {
	if at := doc.locate("", false); at != (pos{}) {
		return at
	}
	return pos{1, 1}
}

// unknownKeyMessage names an unknown key of the mapping at parent and
// suggests the closest known key, or lists them all.
func unknownKeyMessage(key, parent string) string {
	msg := fmt.Sprintf("unknown key %q", key)
	known := keysOf(typeAt(typeOfConfig(), parent))
	if len(known) == 0 {
		return msg
	}
	if best := closest(key, known); best != "" {
		return fmt.Sprintf("%s (did you mean %q?)", msg, best)
	}
	return fmt.Sprintf("%s (known keys: %s)", msg, strings.Join(known, ", "))
}

// typeAt follows a path ("sources[2].faults") through the Go types.
func typeAt(t reflect.Type, path string) reflect.Type {
	for _, seg := range splitPath(path) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case strings.HasPrefix(seg, "["):
			if t.Kind() != reflect.Slice && t.Kind() != reflect.Map {
				return nil
			}
			t = t.Elem()
		case t.Kind() == reflect.Map:
			t = t.Elem()
		case t.Kind() == reflect.Struct:
			f, ok := fieldByKey(t, seg)
			if !ok {
				return nil
			}
			t = f.Type
		default:
			return nil
		}
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func splitPath(path string) []string {
	var segs []string
	for _, part := range strings.Split(path, ".") {
		for part != "" {
			i := strings.IndexByte(part[1:], '[')
			if i < 0 {
				segs = append(segs, part)
				break
			}
			segs = append(segs, part[:i+1])
			part = part[i+1:]
		}
	}
	return segs
}

// fieldByKey finds the field of struct type t for key. A source's keys
// include those of every registered type: which one applies depends on
// the value of its type key, which is not at hand here.
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		switch {
		case f.Type == sourceSpecType:
			for _, g := range allSpecFields() {
				if g.key == key {
					return reflect.StructField{Name: g.key, Type: g.typ}, true
				}
			}
		case isInline(f):
			if g, ok := fieldByKey(f.Type, key); ok {
				return g, true
			}
		case yamlName(f) == key:
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// keysOf lists a struct type's YAML keys, those of inline structs and, for
// a source, of every registered type included.
func keysOf(t reflect.Type) []string {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	out := structKeys(t)
	for i := range t.NumField() {
		switch f := t.Field(i); {
		case f.Type == sourceSpecType:
			for _, g := range allSpecFields() {
				out = append(out, g.key)
			}
		case isInline(f):
			out = append(out, keysOf(f.Type)...)
		}
	}
	return out
}

// structKeys lists the keys of a struct type's own fields, in order.
func structKeys(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// closest returns the known key within a small edit distance of key, "" if
// none is close enough to be a likely typo.
func closest(key string, known []string) string {
	best, bestDist := "", max(1, len(key)/3)+1
	for _, k := range known {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// describeType names what a YAML value of Go type t looks like.
func describeType(t reflect.Type) string {
	if t == nil {
		return "nothing"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// fractionErrors reports numbers with a fractional part given for integer
// keys ("max_series: 1.5"), which go-yaml would truncate without a word.
func fractionErrors(filename string, doc positions) []*Error {
	var out []*Error
	for path, e := range doc {
		if !e.fraction {
			continue
		}
		if t := typeAt(typeOfConfig(), path); t != nil && describeType(t) == "an integer" {
			out = append(out, &Error{File: filename, Line: e.value.line, Col: e.value.col, Path: path, Msg: "want an integer, got a number with a fraction"})
		}
	}
	sortErrors(out)
	return out
}

func typeOfConfig() reflect.Type { return reflect.TypeFor[Config]() }
