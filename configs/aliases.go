package configs

import (
	"github.com/goccy/go-yaml/ast"
)

// coreTags are the YAML tags a config may carry: the core schema's.
var coreTags = map[string]bool{"!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true, "!!seq": true, "!!map": true}

// expansion is what one node becomes with its aliases expanded: how many
// nodes and bytes of scalar text, each capped just past its limit
// (MaxAliasNodes, MaxAliasBytes) so that a bomb's size cannot overflow,
// and how many levels of collections.
type expansion struct{ nodes, bytes, depth int }

// aliasChecker measures the document as the decoder would see it, with
// each alias replaced by its anchor's value, without expanding anything:
// an anchor's expansion is computed once, where it is defined, and an
// alias adds that figure. It refuses, with the alias's position, an
// alias to no anchor or to its own anchor (which the decoder reports with
// no position, or loops on), expansions that add more than MaxAliasNodes
// nodes or MaxAliasBytes bytes of scalar text in all, and nesting deeper
// than MaxDepth once expanded.
type aliasChecker struct {
	filename string
	anchors  map[string]expansion
	open     map[string]bool // anchors whose value is being walked
	added    int             // nodes added by aliases so far
	// addedBytes is the scalar text added by aliases so far: what the
	// decoder copies, and every check after it reads, once per alias.
	// Counting nodes alone let 3,000 aliases of one 900 KB string (a
	// 983 KB file) cost 36 s of CPU to load (trial 14, round 8, F2).
	addedBytes int
}

// checkAliases runs the checks on the document body; nil means it may be
// indexed and decoded. Its own recursion is bounded by checkTokens' depth
// limit, which comes first.
func checkAliases(filename string, body ast.Node) *Error {
	c := aliasChecker{filename: filename, anchors: map[string]expansion{}, open: map[string]bool{}}
	_, err := c.walk(body, 0)
	return err
}

// walk measures n, found inside depth collections.
func (c *aliasChecker) walk(n ast.Node, depth int) (expansion, *Error) {
	switch n := n.(type) {
	case nil:
		return expansion{}, nil
	case *ast.AliasNode:
		return c.alias(n, depth)
	case *ast.AnchorNode:
		name := n.Name.GetToken().Value
		c.open[name] = true
		e, err := c.walk(n.Value, depth)
		delete(c.open, name)
		c.anchors[name] = e
		return e, err
	case *ast.TagNode:
		// A config needs no tags, and the decoder panics on some that its
		// parser accepts: only YAML's own core types are let through.
		if tag := n.Start.Value; !coreTags[tag] {
			return expansion{}, limitError(c.filename, tokenPos(n.Start), "YAML tag %s is not supported: a config needs none", shorten(tag))
		}
		if what := tagMisfit(n.Start.Value, n.Value); what != "" {
			return expansion{}, limitError(c.filename, tokenPos(n.Start), "YAML tag %s does not fit %s: a config needs no tags", n.Start.Value, what)
		}
		return c.walk(n.Value, depth)
	case *ast.MappingKeyNode:
		return c.walk(n.Value, depth)
	case *ast.MappingValueNode:
		if err := c.checkKey(n.Key); err != nil {
			return expansion{}, err
		}
		k, err := c.walk(n.Key, depth)
		if err != nil {
			return k, err
		}
		v, err := c.walk(n.Value, depth)
		return expansion{nodes: capNodes(1 + k.nodes + v.nodes), bytes: capBytes(k.bytes + v.bytes), depth: max(k.depth, v.depth)}, err
	case *ast.MappingNode:
		kids := make([]ast.Node, len(n.Values))
		for i, v := range n.Values {
			kids[i] = v
		}
		return c.collection(n, depth, kids)
	case *ast.SequenceNode:
		return c.collection(n, depth, n.Values)
	case *ast.LiteralNode: // a block scalar: its text is its value's
		if n.Value != nil {
			return expansion{nodes: 1, bytes: capBytes(len(n.Value.Value))}, nil
		}
		return expansion{nodes: 1}, nil
	}
	e := expansion{nodes: 1}
	if tk := n.GetToken(); tk != nil {
		e.bytes = capBytes(len(tk.Value))
	}
	return e, nil
}

// collection measures a mapping or a sequence: one more level.
func (c *aliasChecker) collection(n ast.Node, depth int, kids []ast.Node) (expansion, *Error) {
	if depth+1 > MaxDepth {
		return expansion{}, limitError(c.filename, tokenPos(n.GetToken()), "nesting deeper than %d levels", MaxDepth)
	}
	sum := expansion{nodes: 1}
	for _, k := range kids {
		e, err := c.walk(k, depth+1)
		if err != nil {
			return sum, err
		}
		sum.nodes = capNodes(sum.nodes + e.nodes)
		sum.bytes = capBytes(sum.bytes + e.bytes)
		sum.depth = max(sum.depth, e.depth)
	}
	sum.depth++
	return sum, nil
}

// capNodes and capBytes keep a count from growing past what the limit
// needs to know.
func capNodes(n int) int { return min(n, MaxAliasNodes+1) }
func capBytes(n int) int { return min(n, MaxAliasBytes+1) }

func (c *aliasChecker) alias(n *ast.AliasNode, depth int) (expansion, *Error) {
	at := tokenPos(n.GetToken())
	name := n.Value.GetToken().Value
	if c.open[name] {
		return expansion{}, limitError(c.filename, at, "alias *%s is inside its own anchor", name)
	}
	e, ok := c.anchors[name]
	if !ok {
		return expansion{}, limitError(c.filename, at, "alias *%s has no anchor &%s before it", name, name)
	}
	if depth+e.depth > MaxDepth {
		return expansion{}, limitError(c.filename, at, "nesting deeper than %d levels once alias *%s is expanded", MaxDepth, name)
	}
	c.added = capNodes(c.added + e.nodes)
	if c.added > MaxAliasNodes {
		return expansion{}, limitError(c.filename, at, "alias expansion exceeds %d nodes", MaxAliasNodes)
	}
	c.addedBytes = capBytes(c.addedBytes + e.bytes)
	if c.addedBytes > MaxAliasBytes {
		return expansion{}, limitError(c.filename, at, "alias expansion exceeds %d bytes of text", MaxAliasBytes)
	}
	return e, nil
}
