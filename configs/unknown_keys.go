package configs

import (
	"reflect"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// unknownKeyErrors reports every key of doc that the struct it is written
// in does not have, in file order. Keys of free mappings (labels,
// headers) are anyone's. They are found on the position index rather
// than by the decoder, which stops at its first error: all come at once.
func unknownKeyErrors(filename string, doc positions) []*Error {
	var errs []*Error
	for path, e := range doc {
		parent := parentPath(path)
		key := strings.TrimPrefix(path[len(parent):], ".")
		if e.key == (pos{}) || strings.HasPrefix(key, "[") {
			continue
		}
		t := typeAt(typeOfConfig(), parent)
		if t == nil || t.Kind() != reflect.Struct {
			continue
		}
		if _, known := fieldByKey(t, key); known {
			continue
		}
		errs = append(errs, &Error{File: filename, Line: e.key.line, Col: e.key.col, Path: path,
			Msg: shorten(unknownKeyMessage(key, parent)), atKey: true})
	}
	sortErrors(errs)
	return errs
}

// cutUnknownKeys takes out of n every pair whose path is in unknown,
// including those merged in ("<<: {…}"), which the position index lists
// under the mapping they are merged into.
func cutUnknownKeys(n ast.Node, unknown map[string]bool) {
	walkPairs(n, "", func(path string, m *ast.MappingNode) {
		kept := m.Values[:0]
		for _, mv := range m.Values {
			if !isMergeKey(mv) && unknown[pairPath(path, mv)] {
				continue
			}
			kept = append(kept, mv)
		}
		clear(m.Values[len(kept):])
		m.Values = kept
	})
}
