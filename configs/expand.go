package configs

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// aliasUse is where a node copied into the document by an alias came
// from: the alias, and where the copied text is written.
type aliasUse struct {
	name    string
	at      pos // the alias ("*x")
	written pos // the copied node in the anchor's value
}

// expanded is the document with its aliases replaced by copies of their
// anchors' values, and, for each token of a copy, the alias it came
// through.
type expanded struct {
	body ast.Node
	via  map[*token.Token]aliasUse
}

// expandAliases replaces every alias in body by a copy of its anchor's
// value, and every anchor by its value, so that the decoder and the
// position index see each value where it is used: an error in a value
// reached through "interval: *x" is reported at the alias, under its own
// path, not at the anchor under the anchor's (a valid "server.listen").
// Each copied token carries the alias's position. The copies are bounded
// by checkAliases (MaxAliasNodes), which must have passed; body is
// changed in place.
func expandAliases(body ast.Node) expanded {
	x := expander{values: map[string]ast.Node{}, via: map[*token.Token]aliasUse{}}
	return expanded{body: x.node(body), via: x.via}
}

type expander struct {
	values map[string]ast.Node // anchor name → its value, expanded
	via    map[*token.Token]aliasUse
}

// node expands n's aliases in place and returns what stands for n.
func (x *expander) node(n ast.Node) ast.Node {
	switch n := n.(type) {
	case *ast.AnchorNode:
		v := x.node(n.Value)
		x.values[n.Name.GetToken().Value] = v
		return v
	case *ast.AliasNode:
		name := n.Value.GetToken().Value
		return x.clone(x.values[name], name, tokenPos(n.GetToken()))
	case *ast.TagNode:
		n.Value = x.node(n.Value)
	case *ast.MappingKeyNode:
		n.Value = x.node(n.Value)
	case *ast.MappingValueNode:
		n.Value = x.node(n.Value)
	case *ast.MappingNode:
		for _, v := range n.Values {
			v.Value = x.node(v.Value)
		}
	case *ast.SequenceNode:
		for i, v := range n.Values {
			n.Values[i] = x.node(v)
		}
	}
	return n
}

// clone returns a deep copy of n, an expanded anchor value, whose tokens
// stand at at, the alias named name.
func (x *expander) clone(n ast.Node, name string, at pos) ast.Node {
	t := func(tk *token.Token) *token.Token { return x.token(tk, name, at) }
	switch n := n.(type) {
	case *ast.StringNode:
		c := *n
		c.Token = t(n.Token)
		return &c
	case *ast.IntegerNode:
		c := *n
		c.Token = t(n.Token)
		return &c
	case *ast.FloatNode:
		c := *n
		c.Token = t(n.Token)
		return &c
	case *ast.BoolNode:
		c := *n
		c.Token = t(n.Token)
		return &c
	case *ast.NullNode:
		c := *n
		c.Token = t(n.Token)
		return &c
	case *ast.InfinityNode:
		c := *n
		c.Token = t(n.Token)
		return &c
	case *ast.NanNode:
		c := *n
		c.Token = t(n.Token)
		return &c
	case *ast.MergeKeyNode:
		c := *n
		c.Token = t(n.Token)
		return &c
	case *ast.LiteralNode:
		c := *n
		c.Start = t(n.Start)
		if n.Value != nil {
			c.Value = x.clone(n.Value, name, at).(*ast.StringNode)
		}
		return &c
	case *ast.TagNode:
		c := *n
		c.Start = t(n.Start)
		c.Value = x.clone(n.Value, name, at)
		return &c
	case *ast.MappingKeyNode:
		c := *n
		c.Start = t(n.Start)
		c.Value = x.clone(n.Value, name, at)
		return &c
	case *ast.MappingValueNode:
		return x.pair(n, name, at)
	case *ast.MappingNode:
		c := *n
		c.Start, c.End = t(n.Start), t(n.End)
		c.Values = make([]*ast.MappingValueNode, len(n.Values))
		for i, v := range n.Values {
			c.Values[i] = x.pair(v, name, at)
		}
		return &c
	case *ast.SequenceNode:
		c := *n
		c.Start, c.End = t(n.Start), t(n.End)
		c.Values = make([]ast.Node, len(n.Values))
		for i, v := range n.Values {
			c.Values[i] = x.clone(v, name, at)
		}
		return &c
	}
	return n // nil, or a node that holds no value (a comment)
}

func (x *expander) pair(n *ast.MappingValueNode, name string, at pos) *ast.MappingValueNode {
	c := *n
	c.Start = x.token(n.Start, name, at)
	if n.Key != nil {
		if k, ok := x.clone(n.Key, name, at).(ast.MapKeyNode); ok {
			c.Key = k
		}
	}
	c.Value = x.clone(n.Value, name, at)
	return &c
}

// token copies tk to stand at at, remembering where its text is.
func (x *expander) token(tk *token.Token, name string, at pos) *token.Token {
	if tk == nil {
		return nil
	}
	c := *tk
	if tk.Position != nil {
		p := *tk.Position
		p.Line, p.Column = at.line, at.col
		c.Position = &p
	}
	use := aliasUse{name: name, at: at, written: tokenPos(tk)}
	if inner, ok := x.via[tk]; ok { // a copy already: its text is elsewhere
		use.written = inner.written
	}
	x.via[&c] = use
	return &c
}

// note is what an error at a copied token says of its origin.
func (u aliasUse) note() string {
	return fmt.Sprintf("(through alias *%s; the value is written at %d:%d)", u.name, u.written.line, u.written.col)
}
