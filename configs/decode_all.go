package configs

import (
	"errors"
	"reflect"
	"slices"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Bounds on the decode errors (wrong type, bad duration) reported for one
// file. go-yaml stops at its first error, so each one found costs a
// decode again of the part that held it (see decodeAll): at most
// MaxDecodeErrors are reported, and a part is decoded no more often than
// keeps the nodes decoded again under maxRedecodeNodes (twice at least).
// Past either, loading stops with what it found, and validation, which
// needs the whole file decoded, does not run.
const (
	MaxDecodeErrors  = 16
	maxRedecodeNodes = 4_000
)

// listKeys are the top-level lists decodeAll decodes element by element:
// the ones a file holds many of, each costly to decode (a source is
// decoded twice, into a struct made for its type).
var listKeys = []string{"sources", "alerts"}

// decoded is what decodeAll made of a document: the config, the errors
// found on the way, and the paths whose values were taken out so that
// decoding could go on.
type decoded struct {
	cfg  *Config
	errs []*Error
	// cut holds the paths left out of cfg: an unknown key, or a value the
	// decoder refused. Such a path keeps its default, and validation's
	// errors at it or under it are dropped: they would only repeat the
	// decode error, or be about the default that stands in for it.
	cut map[string]bool
	// complete: decoding reached the end; validation may run on cfg.
	complete bool
}

// decodeAll decodes body into a Default config, reporting every unknown
// key and every value the decoder refuses rather than the first: an
// unknown key written above a bad value used to hide it, and the
// validation errors of the whole file with it.
//
// How it works: unknown keys (found on doc, unknownKeyErrors) are taken
// out of body first, in one pass. Then the document is decoded in parts:
// each element of the top-level lists (listKeys) on its own, and the rest
// of the document as one. When the decoder refuses a value of a part, the
// pair that holds it is taken out (a list element refused whole becomes
// null, so the others keep their index and their paths) and that part
// alone is decoded again, within the bounds above: an error in the
// hundredth source costs a decode of that source, not of the file. body
// is changed in place: it is the expanded copy that parse made for the
// decoder.
//
// An error the decoder gives with no token, or one whose token is not in
// the part (a panic of the decoder, say), ends decoding: complete is
// false.
func decodeAll(filename string, body ast.Node, doc positions, tp tokenPaths) decoded {
	d := &decoded{cut: map[string]bool{}}
	d.errs = unknownKeyErrors(filename, doc)
	for _, e := range d.errs {
		d.cut[e.Path] = true
	}
	cutUnknownKeys(body, d.cut)
	p := partDecoder{filename: filename, doc: doc, tp: tp, d: d, seen: map[pos]bool{}}
	for _, e := range d.errs {
		p.seen[pos{e.Line, e.Col}] = true
	}
	rest, lists := splitLists(body)
	var cfg *Config
	if !p.decode(rest, "", func() any { cfg = Default(); return cfg }) {
		return *d
	}
	for _, key := range listKeys {
		seq := lists[key]
		if seq == nil {
			continue
		}
		field, _ := fieldByKey(typeOfConfig(), key)
		list := reflect.MakeSlice(field.Type, len(seq.Values), len(seq.Values))
		for i, el := range seq.Values {
			at := index(key, i)
			if _, null := el.(*ast.NullNode); null {
				continue // a zero element, as the decoder makes of it
			}
			ok := p.decode(el, at, func() any {
				list.Index(i).SetZero()
				return list.Index(i).Addr().Interface()
			})
			switch {
			case !ok && d.cut[at]:
				list.Index(i).SetZero() // refused whole: as null
			case !ok:
				return *d
			}
		}
		reflect.ValueOf(cfg).Elem().FieldByIndex(field.Index).Set(list)
	}
	d.cfg, d.complete = cfg, true
	return *d
}

// splitLists parts the document's top-level mapping into the lists of
// listKeys, when they are written as plain lists, and the rest: a copy of
// the mapping without them. A document of another shape is all rest.
func splitLists(body ast.Node) (ast.Node, map[string]*ast.SequenceNode) {
	m, ok := body.(*ast.MappingNode)
	if !ok {
		return body, nil
	}
	lists := map[string]*ast.SequenceNode{}
	rest := *m
	rest.Values = nil
	for _, mv := range m.Values {
		if seq, ok := mv.Value.(*ast.SequenceNode); ok && !isMergeKey(mv) && slices.Contains(listKeys, pairPath("", mv)) {
			lists[pairPath("", mv)] = seq
			continue
		}
		rest.Values = append(rest.Values, mv)
	}
	return &rest, lists
}

// partDecoder decodes the parts of one document, sharing the bound on
// errors and the errors found.
type partDecoder struct {
	filename string
	doc      positions
	tp       tokenPaths
	d        *decoded
	seen     map[pos]bool // positions already reported
}

// decode decodes n, the part at path, into what fresh returns (called
// before each try: a failed decode leaves its target half written),
// taking out what the decoder refuses and trying again. It reports false
// when the part could not be decoded: its node itself was refused (then
// path is in cut), or decoding must stop.
func (p *partDecoder) decode(n ast.Node, path string, fresh func() any) bool {
	decodes := max(2, maxRedecodeNodes/nodeCount(n))
	for round := 1; ; round++ {
		err := decodeBody(n, fresh())
		if err == nil {
			return true
		}
		e := decodeError(p.filename, p.doc, p.tp, err)
		if !p.seen[pos{e.Line, e.Col}] {
			p.seen[pos{e.Line, e.Col}] = true
			p.d.errs = append(p.d.errs, e)
		}
		var ye yaml.Error
		if !errors.As(err, &ye) || ye.GetToken() == nil {
			return false
		}
		switch (cutter{tok: ye.GetToken(), cut: p.d.cut}).node(n, path) {
		case cutHere:
			p.d.cut[path] = true
			return false
		case cutAbsent:
			return false
		}
		if round >= decodes || len(p.d.errs) >= MaxDecodeErrors {
			e.Msg = shorten(e.Msg + "; checking stopped here, more errors may follow: fix these and check again")
			return false
		}
	}
}

// nodeCount is the number of nodes of n, at least 1: what a decode of it
// costs, about.
func nodeCount(n ast.Node) int {
	count := 1
	switch n := n.(type) {
	case *ast.MappingNode:
		for _, mv := range n.Values {
			count += 1 + nodeCount(mv.Value)
		}
	case *ast.MappingValueNode:
		count += 1 + nodeCount(n.Value)
	case *ast.SequenceNode:
		for _, v := range n.Values {
			count += nodeCount(v)
		}
	case *ast.TagNode:
		count += nodeCount(n.Value)
	}
	return count
}

// walkPairs calls f with every mapping under n and its path, the mapping
// itself before its values.
func walkPairs(n ast.Node, path string, f func(string, *ast.MappingNode)) {
	switch n := n.(type) {
	case *ast.MappingNode:
		f(path, n)
		for _, mv := range n.Values {
			walkPairs(mv.Value, pairPath(path, mv), f)
		}
	case *ast.MappingValueNode:
		walkPairs(n.Value, pairPath(path, n), f)
	case *ast.SequenceNode:
		for i, v := range n.Values {
			walkPairs(v, index(path, i), f)
		}
	case *ast.TagNode:
		walkPairs(n.Value, path, f)
	}
}

func isMergeKey(mv *ast.MappingValueNode) bool {
	_, ok := mv.Key.(*ast.MergeKeyNode)
	return ok
}

// pairPath is the path of a pair's value: a merged mapping's keys belong
// to the mapping it is merged into.
func pairPath(path string, mv *ast.MappingValueNode) string {
	if mv.Key == nil || isMergeKey(mv) {
		return path
	}
	return joinPath(path, keyToken(mv.Key).Value)
}

// cutResult says what cutter.node did with a subtree.
type cutResult int

const (
	cutAbsent cutResult = iota // the token is not in the subtree
	cutDone                    // found, and the node holding it taken out
	cutHere                    // the subtree's own node holds it: its parent must take it out
)

// cutter takes out of a document the node that holds tok: the innermost
// pair holding it, or, for a list element, the element (as a null, so the
// other elements keep their index and their paths). It records the path
// taken out in cut.
type cutter struct {
	tok *token.Token
	cut map[string]bool
}

func (c cutter) node(n ast.Node, path string) cutResult {
	switch n := n.(type) {
	case nil:
		return cutAbsent
	case *ast.MappingNode:
		if n.Start == c.tok || n.End == c.tok {
			return cutHere
		}
		for i, mv := range n.Values {
			if r := c.pair(mv, path); r != cutAbsent {
				if r == cutHere {
					n.Values = append(n.Values[:i], n.Values[i+1:]...)
				}
				return cutDone
			}
		}
		return cutAbsent
	case *ast.MappingValueNode:
		// A single pair standing for its mapping: it cannot go on its own.
		if c.pair(n, path) == cutAbsent {
			return cutAbsent
		}
		return cutHere
	case *ast.SequenceNode:
		if n.Start == c.tok || n.End == c.tok {
			return cutHere
		}
		for i, v := range n.Values {
			switch c.node(v, index(path, i)) {
			case cutDone:
				return cutDone
			case cutHere:
				if _, null := v.(*ast.NullNode); null {
					return cutHere // a null refused: the list as a whole is wrong
				}
				n.Values[i] = ast.Null(token.New("null", "null", v.GetToken().Position))
				c.cut[index(path, i)] = true
				return cutDone
			}
		}
		return cutAbsent
	case *ast.TagNode:
		if n.Start == c.tok {
			return cutHere
		}
		return c.node(n.Value, path)
	case *ast.LiteralNode:
		if n.Start == c.tok || n.Value != nil && n.Value.GetToken() == c.tok {
			return cutHere
		}
		return cutAbsent
	}
	if n.GetToken() == c.tok {
		return cutHere
	}
	return cutAbsent
}

// pair is node for one pair: cutHere when the pair must go as a whole (its
// key, its ":" or its value holds the token), recording its path.
func (c cutter) pair(mv *ast.MappingValueNode, path string) cutResult {
	child := pairPath(path, mv)
	held := mv.Start == c.tok || mv.Key != nil && (mv.Key.GetToken() == c.tok || c.node(mv.Key, child) != cutAbsent)
	if !held {
		switch c.node(mv.Value, child) {
		case cutAbsent:
			return cutAbsent
		case cutDone:
			return cutDone
		}
	}
	if isMergeKey(mv) {
		// The merged mapping as a whole is refused: its keys are the
		// mapping's own, whose path is path.
		c.cut[path] = true
	} else {
		c.cut[child] = true
	}
	return cutHere
}

// without returns p less the paths in cut and everything under them, so
// that a value taken out reads as not given and takes its default.
func (p positions) without(cut map[string]bool) positions {
	if len(cut) == 0 {
		return p
	}
	out := make(positions, len(p))
	for path, e := range p {
		if !underAny(path, cut) {
			out[path] = e
		}
	}
	return out
}

// underAny reports whether path is in cut or under a path that is.
func underAny(path string, cut map[string]bool) bool {
	for {
		if cut[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parentPath(path)
	}
}
