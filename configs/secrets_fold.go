package configs

import (
	"cmp"
	"slices"
	"strings"
)

// How a Redactor finds its secrets with ASCII letters' case ignored.
// Folding only ASCII keeps every match the length of the secret (a
// Unicode fold may not: "K" and the Kelvin sign), and credentials are
// ASCII; their non-ASCII bytes match exactly.

// lowerASCII returns s with its ASCII upper-case letters lowered.
func lowerASCII(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		b[i] = lowerByte(c)
	}
	return string(b)
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFoldASCII says whether s equals sub (lower-case) with ASCII case
// ignored; both are the same length.
func equalFoldASCII(s, sub string) bool {
	for i := range len(sub) {
		if lowerByte(s[i]) != sub[i] {
			return false
		}
	}
	return true
}

// indexFold returns the index of the first match of sub (ASCII
// lower-case, not empty) in s with ASCII case ignored, or -1. It anchors
// on the first byte of sub that is no letter, found with
// strings.IndexByte (vectorised: a secret holds a digit or a sign more
// often than not, and its hex and base64 forms nearly always do); a sub of
// letters only looks for its first letter in both cases. Each anchor costs
// one comparison of at most len(sub) bytes. No allocation.
func indexFold(s, sub string) int { return indexFoldAt(s, sub, foldAnchor(sub)) }

// foldAnchor is the index of the first byte of sub that is no lower-case
// letter, or -1.
func foldAnchor(sub string) int {
	return strings.IndexFunc(sub, func(r rune) bool { return r < 'a' || r > 'z' })
}

// indexFoldAt is indexFold with sub's foldAnchor given.
func indexFoldAt(s, sub string, anchor int) int {
	if len(sub) > len(s) {
		return -1
	}
	if anchor < 0 {
		return indexFoldLetters(s, sub)
	}
	c := sub[anchor]
	for i := anchor; ; {
		j := strings.IndexByte(s[i:], c)
		if j < 0 {
			return -1
		}
		start := i + j - anchor
		if start+len(sub) > len(s) {
			return -1
		}
		if equalFoldASCII(s[start:start+len(sub)], sub) {
			return start
		}
		i += j + 1
	}
}

// indexFoldLetters is indexFold for a sub of lower-case letters only: the
// next place of its first letter in each case is kept apart, so each is
// looked for once per place passed, whatever the text.
func indexFoldLetters(s, sub string) int {
	lo, up := sub[0], sub[0]-'a'+'A'
	nextLo, nextUp := -1, -1 // the next place of each at or after i; -1: not looked yet
	for i := 0; i+len(sub) <= len(s); {
		if nextLo < i && nextLo != len(s) {
			nextLo = indexByteFrom(s, lo, i)
		}
		if nextUp < i && nextUp != len(s) {
			nextUp = indexByteFrom(s, up, i)
		}
		start := min(nextLo, nextUp)
		if start+len(sub) > len(s) {
			return -1
		}
		if equalFoldASCII(s[start:start+len(sub)], sub) {
			return start
		}
		i = start + 1
	}
	return -1
}

// indexByteFrom is the index of c in s at or after from, or len(s).
func indexByteFrom(s string, c byte, from int) int {
	if j := strings.IndexByte(s[from:], c); j >= 0 {
		return from + j
	}
	return len(s)
}

// maskFold returns text with every match of list (lower-case, longest
// first; anchors are their foldAnchor) replaced by URLMask, ASCII case ignored, as strings.Replacer
// would replace them: left to right, at each place the first of list that
// matches, matches never overlapping. Every match of every secret is found
// with indexFold (overlapping ones included: one may begin inside another
// that a longer secret, chosen before it, covers in part), then the
// leftmost win.
func maskFold(text string, list []string, anchors []int) string {
	var found []maskSpan
	for k, s := range list {
		for i := 0; i+len(s) <= len(text); {
			j := indexFoldAt(text[i:], s, anchors[k])
			if j < 0 {
				break
			}
			found = append(found, maskSpan{i + j, i + j + len(s)})
			i += j + 1
		}
	}
	return writeMasked(text, found)
}

// maskSpan is a stretch of a text to mask: text[from:to].
type maskSpan struct{ from, to int }

// writeMasked returns text with each of spans replaced by URLMask. Spans
// are found secret by secret, the longest secret first: ordered by place,
// stably, the longest at a place is kept, and a span that overlaps one
// kept goes.
func writeMasked(text string, spans []maskSpan) string {
	slices.SortStableFunc(spans, func(a, b maskSpan) int { return cmp.Compare(a.from, b.from) })
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		if sp.from < last {
			continue
		}
		b.WriteString(text[last:sp.from])
		b.WriteString(URLMask)
		last = sp.to
	}
	b.WriteString(text[last:])
	return b.String()
}
