package configs

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
)

// checkDuplicateKeys refuses a mapping that gives a key twice, wherever it
// is: block or flow style, plain, quoted or explicit ("? server"), two
// merge keys ("<<") alike. The key is read as its text, so `server` and
// "server" are one key. go-yaml's parser would refuse them itself, but
// names an explicit key "?" and gives the first position as "[1:1]";
// here the error is at the second key's text and names both as line:col,
// with the mapping's path. A mapping given through an alias is checked
// where its anchor writes it, once. A key that overrides one merged in
// ("<<: *base" then "port: 2") is no duplicate: that is what merging is.
//
// It walks the parsed body, unexpanded, once: linear in the file's nodes.
// Called by parseYAML after checkAliases, so every key is a string.
func checkDuplicateKeys(filename string, body ast.Node) *Error {
	return dupWalk(filename, "", body)
}

func dupWalk(filename, path string, n ast.Node) *Error {
	switch n := n.(type) {
	case *ast.AnchorNode:
		return dupWalk(filename, path, n.Value)
	case *ast.TagNode:
		return dupWalk(filename, path, n.Value)
	case *ast.SequenceNode:
		for i, v := range n.Values {
			if err := dupWalk(filename, fmt.Sprintf("%s[%d]", path, i), v); err != nil {
				return err
			}
		}
	case *ast.MappingValueNode:
		return dupPairs(filename, path, []*ast.MappingValueNode{n})
	case *ast.MappingNode:
		return dupPairs(filename, path, n.Values)
	}
	return nil
}

// dupPairs checks one mapping's keys, then the values under them.
func dupPairs(filename, path string, pairs []*ast.MappingValueNode) *Error {
	first := make(map[string]pos, len(pairs))
	for _, mv := range pairs {
		if mv.Key == nil {
			continue
		}
		tk := keyToken(mv.Key)
		if tk == nil {
			continue
		}
		at := tokenPos(tk)
		if was, ok := first[tk.Value]; ok {
			return &Error{File: filename, Line: at.line, Col: at.col, Path: joinPath(path, tk.Value),
				Msg: shorten(fmt.Sprintf("mapping key %q already defined at %d:%d", tk.Value, was.line, was.col))}
		}
		first[tk.Value] = at
	}
	for _, mv := range pairs {
		if mv.Key == nil {
			continue
		}
		if _, merge := mv.Key.(*ast.MergeKeyNode); merge {
			continue // a mapping or an alias of one, checked where written
		}
		if err := dupWalk(filename, joinPath(path, keyToken(mv.Key).Value), mv.Value); err != nil {
			return err
		}
	}
	return nil
}
