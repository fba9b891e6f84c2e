package configs

import (
	"errors"

	"github.com/goccy/go-yaml/ast"
)

// ErrNoSources is matched (errors.Is) by the error of a config file that
// does not say which sources to run: an empty file, one of only comments
// or whitespace, one without a sources key, or one whose sources key has
// no value. Such a file is what a save cut short leaves (`: > file`, a
// slow copy caught half-way, a full disk), and applying it would stop
// every source and drop their series; a file that means to run with none
// says `sources: []`. errors.Is(err, ErrInvalid) holds too.
var ErrNoSources = errors.New("the config file lists no sources")

// Advice given with ErrNoSources: how to say "none" on purpose.
const noSourcesAdvice = "list the sources under `sources:`, or write `sources: []` to run with none"

// sourcesStated checks that a config file the user gave says which
// sources to run (see ErrNoSources). body is the document's body (nil
// for a file with no document: empty, only whitespace or comments) and
// doc its positions. It returns nil when sources is there with a value,
// `sources: []` included. Called by load for files, after the file is
// otherwise valid; not by Parse, whose callers (tests, the embedded demo,
// tools) build configs in memory.
func sourcesStated(filename string, body ast.Node, doc positions) *Error {
	e := &Error{File: filename, Line: 1, Col: 1, cause: ErrNoSources}
	if body == nil {
		e.Msg = "the file is empty (nothing but whitespace or comments), as a save cut short leaves it: " + noSourcesAdvice
		return e
	}
	src, ok := doc["sources"]
	switch {
	case !ok:
		if at := doc.locate("", false); at.line > 0 {
			e.Line, e.Col = at.line, at.col
		}
		e.Msg = "no sources key, as a save cut short may leave it: " + noSourcesAdvice
	case src.null:
		e.Line, e.Col = src.key.line, src.key.col
		e.Path = "sources"
		e.atKey = true
		e.Msg = "no value, as a save cut short may leave it: " + noSourcesAdvice
	default:
		return nil
	}
	return e
}
