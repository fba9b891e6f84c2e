package configs

import (
	"github.com/goccy/go-yaml/ast"
)

// checkKey refuses a mapping key that is not a plain string: an alias, an
// anchor or a tag on a key, a collection, a null, a number or a boolean,
// a block scalar. go-yaml decodes a struct from a mapping only while each
// key decodes to a string; at the first that does not, it returns an
// empty struct and no error, so "? *a" (an alias of a mapping) or "1: 2"
// anywhere made the loader ignore the whole file and report it valid,
// with no sources and no tokens. A merge key ("<<") is let through: its
// value is checked by the decoder. An explicit key ("? name") is read as
// the key it holds.
func (c *aliasChecker) checkKey(key ast.MapKeyNode) *Error {
	var n ast.Node = key
	if k, ok := n.(*ast.MappingKeyNode); ok {
		n = k.Value
	}
	what := ""
	switch n := n.(type) {
	case nil:
		what = "nothing"
	case *ast.StringNode, *ast.MergeKeyNode:
		return nil
	case *ast.AliasNode:
		what = "an alias (*" + n.Value.GetToken().Value + ")"
	case *ast.AnchorNode:
		what = "an anchor (&" + n.Name.GetToken().Value + ")"
	case *ast.TagNode:
		what = "a tag (" + n.Start.Value + ")"
	case *ast.MappingNode, *ast.MappingValueNode:
		what = "a mapping"
	case *ast.SequenceNode:
		what = "a list"
	case *ast.NullNode:
		what = "null"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		what = "a number (quote it)"
	case *ast.BoolNode:
		what = "true or false (quote it)"
	case *ast.LiteralNode:
		what = "a block scalar"
	default:
		what = "a " + n.Type().YAMLName()
	}
	at := tokenPos(key.GetToken())
	if n != nil && n.GetToken() != nil {
		at = tokenPos(n.GetToken())
	}
	return limitError(c.filename, at, "a mapping key must be a plain string, not %s", what)
}

// tagMisfit names what v is when tag, one of coreTags, does not fit it,
// "" when it does. The decoder takes a misfit in ways of its own: "!!null
// bad" made a value null, silently the default, and "key: !!null"
// panicked. No config needs a tag: those that fit are let through.
func tagMisfit(tag string, v ast.Node) string {
	switch v := v.(type) {
	case *ast.AliasNode:
		return "an alias (*" + v.Value.GetToken().Value + ")"
	case *ast.AnchorNode:
		return "an anchor (&" + v.Name.GetToken().Value + ")"
	case *ast.TagNode:
		return "a tagged value"
	case *ast.MappingNode, *ast.MappingValueNode:
		if tag != "!!map" {
			return "a mapping"
		}
	case *ast.SequenceNode:
		if tag != "!!seq" {
			return "a list"
		}
	case nil, *ast.NullNode:
		return "an empty or null value" // "!!null ~" says no more than "~"
	default:
		if tag == "!!map" || tag == "!!seq" || tag == "!!null" {
			return "a scalar"
		}
	}
	return ""
}
