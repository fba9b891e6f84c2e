package configs

import (
	"reflect"
	"strings"
)

// withUnknownKeys adds to a decode error every unknown key of the
// document: the decoder stops at its first error, which need not be the
// unknown key written first ("a: &x 1" then "interval: *x" reported the
// interval alone). A key is unknown when the struct it is written in has
// no such key; keys of mappings (labels, headers) are anyone's. Errors
// are in file order, the decode error once.
func withUnknownKeys(filename string, doc positions, decodeErr *Error) error {
	errs := []*Error{decodeErr}
	for path, e := range doc {
		parent := parentPath(path)
		key := strings.TrimPrefix(path[len(parent):], ".")
		if e.key == (pos{}) || strings.HasPrefix(key, "[") || e.key == (pos{decodeErr.Line, decodeErr.Col}) {
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
	return join(errs)
}
