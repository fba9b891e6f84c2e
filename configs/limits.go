package configs

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/goccy/go-yaml/token"
)

// Limits on what one config file may make the loader do. A file is
// checked against each before the step whose cost it bounds: its size
// before it is read whole, its token count before it is tokenized, its
// nesting, mapping sizes and documents before it is parsed, its aliases
// before anything expands them. Each refusal is an *Error with the
// file:line:col where the limit was crossed (configs/REFERENCE.md,
// "Limits").
//
// Why these: go-yaml allocates about 600 bytes and spends about 2µs per
// token, and its parser is quadratic in the keys of one block mapping, in
// the number of documents and in flow nesting; the decoder and the
// position index walk every alias expanded. Within these limits the worst
// file loads in well under a second and 64 MB allocated; the demo config
// is 2.9 KB and 346 tokens.
const (
	// MaxFileBytes is the largest config file, in bytes. go-yaml's scanner
	// allocates about 45 bytes per byte of a long scalar.
	MaxFileBytes = 1 << 20
	// MaxTokens bounds the YAML tokens of a file, as counted by a cheap
	// scan that never counts fewer than the tokenizer makes (every
	// indicator character, every tab and every run of other non-blank
	// characters).
	MaxTokens = 100_000
	// MaxDepth is the deepest nesting of mappings and sequences, counted
	// with every alias expanded.
	MaxDepth = 64
	// MaxKeysPerMapping bounds the keys of one block mapping.
	MaxKeysPerMapping = 1000
	// MaxKeyBytes is the longest mapping key, in bytes.
	MaxKeyBytes = 1024
	// MaxAliasNodes bounds the YAML nodes that aliases add to the
	// document when expanded, counted through aliases of aliases.
	MaxAliasNodes = 10_000
	// MaxAliasBytes bounds the scalar text (keys and values) that aliases
	// add to the document when expanded, counted the same way: a
	// document once expanded is at most twice the largest file.
	MaxAliasBytes = MaxFileBytes
	// MaxTLSFileBytes is the largest file cluster.nats.tls may name (CA
	// bundle, certificate, key), in bytes: a CA bundle of a few hundred
	// certificates is about 200 KB.
	MaxTLSFileBytes = 1 << 20
)

// limitError is a refusal at p.
func limitError(filename string, p pos, format string, args ...any) *Error {
	return &Error{File: filename, Line: p.line, Col: p.col, Msg: shorten(fmt.Sprintf(format, args...))}
}

// sizeError refuses data that is longer than MaxFileBytes, pointing at the
// first byte past the limit. data holds at least that byte.
func sizeError(filename string, data []byte) *Error {
	return limitError(filename, offsetPos(data, MaxFileBytes), "file larger than %d bytes", MaxFileBytes)
}

// isIndicator reports the bytes that can start a YAML token of their own.
func isIndicator(b byte) bool {
	switch b {
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '<', '.':
		return true
	}
	return false
}

func isBlank(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// checkTokenCount refuses data whose token estimate passes MaxTokens,
// before go-yaml tokenizes it: tokenizing is what the count bounds.
func checkTokenCount(filename string, data []byte) *Error {
	if _, over := estimateTokens(data, MaxTokens); over >= 0 {
		return limitError(filename, offsetPos(data, over), "more than %d YAML tokens", MaxTokens)
	}
	return nil
}

// estimateTokens counts each indicator byte twice (an empty block
// scalar's "|" makes two tokens), each tab once (a tab where indentation
// is expected is an invalid token of its own, one a line: "a:" and a
// megabyte of "\n\t" made 500,000 tokens and 113 MiB, found by FuzzParse)
// and each run of other non-blank bytes once, so it is never below the
// tokenizer's count (FuzzParse checks that). over is the offset at which
// the count passed limit, -1 if it never did.
func estimateTokens(data []byte, limit int) (n, over int) {
	inWord := false
	for i, b := range data {
		switch {
		case b == '\t':
			n, inWord = n+1, false
		case isBlank(b):
			inWord = false
			continue
		case isIndicator(b):
			n, inWord = n+2, false
		case !inWord:
			n, inWord = n+1, true
		default:
			continue
		}
		if n > limit {
			return n, i
		}
	}
	return n, -1
}

// block is an open block mapping or sequence in checkTokens' stack.
type block struct {
	col  int
	seq  bool // a sequence ("- " entries) rather than a mapping
	keys int  // a mapping's keys so far
}

// checkTokens refuses, before go-yaml parses them, tokens that nest deeper
// than MaxDepth, hold a block mapping of more than MaxKeysPerMapping keys
// or a key longer than MaxKeyBytes, or start a second document.
//
// How it works: flow collections nest by their brackets. Block collections
// nest by indentation: a stack holds the column of each open one, and a
// key or "- " at column c closes those deeper than c, and a sibling of
// its own kind at c. That is go-yaml's own rule, less its corner cases,
// which only matter near a limit nobody's config comes close to.
func checkTokens(filename string, tokens token.Tokens) *Error {
	var stack []block
	flow := 0
	headers, content, ended := 0, false, false
	directiveLine := 0 // a "%YAML 1.2" directive's words are not content
	for i, tk := range tokens {
		at := tokenPos(tk)
		switch {
		case tk.Type == token.DirectiveType:
			directiveLine = at.line
			continue
		case tk.Type == token.CommentType, at.line == directiveLine:
			continue
		}
		switch tk.Type {
		case token.DocumentHeaderType:
			if headers > 0 || content {
				return limitError(filename, at, "only one YAML document is allowed")
			}
			headers++
			continue
		case token.DocumentEndType:
			ended = content || headers > 0
			continue
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			flow = max(flow-1, 0)
		}
		if ended {
			return limitError(filename, at, "only one YAML document is allowed")
		}
		content = true

		var opens *block
		switch tk.Type {
		case token.SequenceEntryType:
			opens = &block{col: at.col, seq: true}
		case token.MappingValueType:
			if i == 0 {
				break
			}
			key := tokens[i-1]
			if len(key.Value) > MaxKeyBytes {
				return limitError(filename, tokenPos(key), "key longer than %d bytes", MaxKeyBytes)
			}
			if flow == 0 {
				opens = &block{col: tokenPos(key).col, keys: 1}
				at = tokenPos(key)
			}
		}
		if opens != nil {
			for len(stack) > 0 {
				top := stack[len(stack)-1]
				if top.col < opens.col || (top.col == opens.col && top.seq != opens.seq) {
					break
				}
				stack = stack[:len(stack)-1]
				if top.col == opens.col && !opens.seq {
					opens.keys = top.keys + 1
				}
			}
			if opens.keys > MaxKeysPerMapping {
				return limitError(filename, at, "mapping with more than %d keys", MaxKeysPerMapping)
			}
			stack = append(stack, *opens)
		}
		if depth := len(stack) + flow; depth > MaxDepth {
			return limitError(filename, at, "nesting deeper than %d levels", MaxDepth)
		}
	}
	return nil
}

// utf16BOMs are the byte order marks of UTF-16, little and big endian.
var utf16BOMs = [][]byte{[]byte("\xFF\xFE"), []byte("\xFE\xFF")}

// encodingError refuses a file that is not UTF-8, at its first byte that
// is not: the parser read a UTF-16 file as one odd string ("want a
// mapping, got a string"), which named the wrong fault.
func encodingError(filename string, data []byte) *Error {
	for _, bom := range utf16BOMs {
		if bytes.HasPrefix(data, bom) {
			return limitError(filename, offsetPos(data, 0), "the file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8")
		}
	}
	if utf8.Valid(data) {
		return nil
	}
	off := 0
	for off < len(data) {
		r, n := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	return limitError(filename, offsetPos(data, off), "the file is not UTF-8 (byte 0x%02X): save it as UTF-8", data[off])
}
