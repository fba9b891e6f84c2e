package configs

import (
	"cmp"
	"math"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// pos is a 1-based line and column in the YAML source.
type pos struct{ line, col int }

func tokenPos(t *token.Token) pos {
	if t == nil || t.Position == nil {
		return pos{}
	}
	return pos{t.Position.Line, t.Position.Column}
}

// entry is what the parsed YAML holds at one path.
type entry struct {
	key   pos // the key's position; zero for the root and sequence elements
	value pos // the value's position (a mapping: its first key, or its "{")
	null  bool
	// raw is a block mapping's own token, its first ":", which is where
	// go-yaml points when a mapping is where something else was expected.
	raw pos
	// fraction: the value is a number with a fractional part, which go-yaml
	// would silently truncate into an integer field.
	fraction bool
	// via is the alias the value was copied through; its name is "" for a
	// value written where it is used.
	via aliasUse
}

// positions maps every path in a parsed YAML document ("sources[1].interval")
// to where its key and value are. It is how validation errors, found on the
// decoded structs, are pointed back at the source text.
type positions map[string]entry

func indexNode(root ast.Node) positions {
	p, _ := indexTokens(root, nil)
	return p
}

// indexTokens is indexNode, and the path of each key's and value's token.
// via, from expandAliases, marks the entries copied through an alias.
func indexTokens(root ast.Node, via map[*token.Token]aliasUse) (positions, map[*token.Token]string) {
	ix := indexer{p: positions{}, anchors: map[string]ast.Node{}, tokens: map[*token.Token]string{}}
	ix.walk("", pos{}, root)
	// Several copied tokens may index one path (a pair's ":" and its
	// value, a flow mapping's "{" and its first key): the one written last
	// in the text is the value's own, whichever order the map gives.
	for tk, path := range ix.tokens {
		if u, ok := via[tk]; ok {
			e := ix.p[path]
			if w := e.via.written; e.via.name == "" || u.written.line > w.line || u.written.line == w.line && u.written.col > w.col {
				e.via = u
				ix.p[path] = e
			}
		}
	}
	return ix.p, ix.tokens
}

// indexer walks the document once. Parse gives it the document with its
// aliases expanded (expandAliases), so that each copy is indexed under the
// path where it is used; it still resolves aliases itself for a document
// that was not expanded. It resolves merge keys ("<<: *base") the way the
// decoder does, so that a key given through one counts as given and keeps
// its value rather than the default.
type indexer struct {
	p       positions
	anchors map[string]ast.Node
	tokens  map[*token.Token]string
	depth   int // guards against alias cycles
}

func (ix *indexer) walk(path string, key pos, n ast.Node) {
	if ix.depth > 64 {
		return
	}
	ix.depth++
	defer func() { ix.depth-- }()
	if n != nil {
		if _, alias := n.(*ast.AliasNode); !alias {
			if _, seen := ix.tokens[n.GetToken()]; !seen {
				ix.tokens[n.GetToken()] = path
			}
		}
	}
	switch n := n.(type) {
	case nil:
	case *ast.AnchorNode:
		ix.anchors[n.Name.GetToken().Value] = n.Value
		ix.walk(path, key, n.Value)
	case *ast.AliasNode:
		if target := ix.anchors[n.Value.GetToken().Value]; target != nil {
			ix.walk(path, key, target)
		}
		// Point at the alias itself for the value as a whole.
		e := ix.p[path]
		e.key, e.value = key, tokenPos(n.GetToken())
		ix.p[path] = e
	case *ast.TagNode:
		ix.walk(path, key, n.Value)
	case *ast.MappingNode:
		ix.p[path] = entry{key: key, value: mappingPos(n), raw: tokenPos(n.GetToken())}
		ix.walkPairs(path, n.Values)
	case *ast.MappingValueNode:
		ix.p[path] = entry{key: key, value: tokenPos(n.Key.GetToken())}
		ix.walkPairs(path, []*ast.MappingValueNode{n})
	case *ast.SequenceNode:
		ix.p[path] = entry{key: key, value: tokenPos(n.GetToken())}
		for i, v := range n.Values {
			ix.walk(index(path, i), pos{}, v)
		}
	case *ast.NullNode:
		ix.p[path] = entry{key: key, value: tokenPos(n.GetToken()), null: true}
	default:
		e := entry{key: key, value: tokenPos(n.GetToken())}
		if f, ok := n.(*ast.FloatNode); ok && f.Value != math.Trunc(f.Value) {
			e.fraction = true
		}
		ix.p[path] = e
	}
}

// walkPairs indexes a mapping's keys, then the keys merged into it that it
// does not give itself.
func (ix *indexer) walkPairs(path string, pairs []*ast.MappingValueNode) {
	var merged []ast.Node
	for _, mv := range pairs {
		if mv.Key == nil {
			continue
		}
		if _, ok := mv.Key.(*ast.MergeKeyNode); ok {
			merged = append(merged, mv.Value)
			continue
		}
		child := joinPath(path, keyToken(mv.Key).Value)
		ix.tokens[keyToken(mv.Key)] = child
		ix.walk(child, tokenPos(keyToken(mv.Key)), mv.Value)
	}
	for _, m := range merged {
		for _, mv := range ix.mergedPairs(m) {
			if mv.Key == nil {
				continue
			}
			child := joinPath(path, keyToken(mv.Key).Value)
			if _, given := ix.p[child]; !given {
				ix.walk(child, tokenPos(keyToken(mv.Key)), mv.Value)
			}
		}
	}
}

// keyToken is the token of a mapping key's text: for an explicit key
// ("? name"), that of the name rather than of the "?".
func keyToken(k ast.MapKeyNode) *token.Token {
	if e, ok := k.(*ast.MappingKeyNode); ok && e.Value != nil {
		return e.Value.GetToken()
	}
	return k.GetToken()
}

// mergedPairs resolves the value of a merge key: a mapping or an alias of
// one.
func (ix *indexer) mergedPairs(n ast.Node) []*ast.MappingValueNode {
	switch n := n.(type) {
	case *ast.AliasNode:
		return ix.mergedPairs(ix.anchors[n.Value.GetToken().Value])
	case *ast.AnchorNode:
		return ix.mergedPairs(n.Value)
	case *ast.MappingNode:
		return n.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}
	}
	return nil // go-yaml merges a mapping only, not a list of them
}

// mappingPos is where a mapping starts: a flow mapping's "{", a block
// mapping's first key (its own token is the first ":", which reads oddly).
func mappingPos(n *ast.MappingNode) pos {
	if n.IsFlowStyle || len(n.Values) == 0 || n.Values[0].Key == nil {
		return tokenPos(n.GetToken())
	}
	return tokenPos(n.Values[0].Key.GetToken())
}

// present reports whether path has a non-null value in the document.
func (p positions) present(path string) bool {
	e, ok := p[path]
	return ok && !e.null
}

// locate returns where to point for a problem at path: the key or the value
// when the path is in the document, else the nearest enclosing node that is,
// so that a missing key points at the mapping that lacks it.
func (p positions) locate(path string, atKey bool) pos {
	at, _ := p.locateVia(path, atKey)
	return at
}

// locateVia is locate, and the alias the place was copied through (a zero
// aliasUse when it is written there).
func (p positions) locateVia(path string, atKey bool) (pos, aliasUse) {
	for {
		if e, ok := p[path]; ok {
			if atKey && e.key != (pos{}) {
				return e.key, e.via
			}
			return e.value, e.via
		}
		if path == "" {
			return pos{}, aliasUse{}
		}
		path = parentPath(path)
	}
}

// pathAt returns the path of the node at x and where that node starts.
// A block mapping is found by its first ":" too. Otherwise it is the path
// whose key or value starts at x, preferring the longest (a mapping starts
// where its first key does; the key is the more precise answer), or, when
// nothing starts exactly there, the last node that starts before x.
func (p positions) pathAt(x pos) (string, pos) {
	for path, e := range p {
		if e.raw == x && e.raw != e.value {
			return path, e.value
		}
	}
	best, bestPos := "", pos{}
	for path, e := range p {
		for _, at := range []pos{e.key, e.value} {
			if at == (pos{}) || less(x, at) {
				continue
			}
			if less(bestPos, at) || (at == bestPos && longer(path, best)) {
				best, bestPos = path, at
			}
		}
	}
	return best, x
}

func less(a, b pos) bool {
	return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.col, b.col)) < 0
}

// parentPath drops the last key or index from a path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// longer orders paths by length, then by text, so ties are broken the same
// way on every run.
func longer(a, b string) bool {
	return len(a) > len(b) || (len(a) == len(b) && a < b)
}
