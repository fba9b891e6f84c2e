package configs

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Secrets a target echoes percent-encoded in part (%53up3r…, every other
// byte, only the last) or twice over (%2553…): maskFold finds each form
// only as a whole, so the text is also read with its escapes decoded, and
// what a secret's decoded bytes came from is masked (trial 14, round 8:
// the forms round 7's fix, every byte encoded, left out).

// pctRounds is how many times escapes are decoded: twice covers a value
// encoded once more by a layer in between (%25 for the %).
const pctRounds = 2

// pctView is a text with its percent-escapes decoded, and for each decoded
// byte the span of the text it came from.
type pctView struct {
	dec        string
	start, end []int // dec[i] came from text[start[i]:end[i]]
}

// decodePct decodes text's %XX escapes pctRounds times over; false when it
// holds none.
func decodePct(text string) (pctView, bool) {
	v := pctView{dec: text}
	decoded := false
	for round := range pctRounds {
		dec, start, end, ok := decodePctOnce(v.dec)
		if !ok {
			break
		}
		if round > 0 { // spans of the previous round's bytes: into text's
			for i := range start {
				start[i], end[i] = v.start[start[i]], v.end[end[i]-1]
			}
		}
		v.dec, v.start, v.end, decoded = dec, start, end, true
	}
	return v, decoded
}

// decodePctOnce decodes s's escapes once, with the span of s each decoded
// byte came from; false when s holds none. Escapes of every syntax a
// target may echo text in (trial 14 round 9, F4: round 8 decoded only
// the first): %XX (URLs), &#NNN; &#xHH; and &amp; &lt; &gt; &quot;
// &apos; (HTML, the numeric ones with or without their ';'), \uXXXX,
// \UXXXXXXXX, \xHH and \NNN octal (JSON, JavaScript, C, Python, Go). A character
// reference or \u escape decodes to its UTF-8 bytes, each from the whole
// escape.
func decodePctOnce(s string) (string, []int, []int, bool) {
	first := firstEscape(s)
	if first < 0 {
		return "", nil, nil, false
	}
	var b strings.Builder
	b.WriteString(s[:first])
	start := make([]int, 0, len(s))
	end := make([]int, 0, len(s))
	for i := range first {
		start, end = append(start, i), append(end, i+1)
	}
	any := false
	var buf [utf8.UTFMax]byte
	for i := first; i < len(s); {
		dec, n := escapeAt(s, i)
		if n == 0 {
			b.WriteByte(s[i])
			start, end = append(start, i), append(end, i+1)
			i++
			continue
		}
		bs := buf[:0]
		if dec < 0 { // a byte, not a character
			bs = append(bs, byte(-dec-1))
		} else {
			bs = utf8.AppendRune(bs, dec)
		}
		for _, c := range bs {
			b.WriteByte(c)
			start, end = append(start, i), append(end, i+n)
		}
		i += n
		any = true
	}
	return b.String(), start, end, any
}

// hasEscape says whether s may hold an escape decodePctOnce decodes.
func hasEscape(s string) bool { return strings.ContainsAny(s, `%&\`) }

// firstEscape is the index of s's first escape, or -1: a text with '&' or
// '%' and no escape (a query string, "100%") costs a scan, no allocation.
func firstEscape(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '%' && c != '&' && c != '\\' {
			continue
		}
		if _, n := escapeAt(s, i); n > 0 {
			return i
		}
	}
	return -1
}

// namedRefs are the HTML character references decoded by name.
var namedRefs = map[string]rune{"amp": '&', "lt": '<', "gt": '>', "quot": '"', "apos": '\''}

// escapeAt reads an escape at s[i:]: the character it stands for, or a
// byte b as -b-1 (%XX, \xHH), and its length; 0 when there is none.
func escapeAt(s string, i int) (rune, int) {
	rest := s[i:]
	switch {
	case len(rest) >= 3 && rest[0] == '%' && isHex(rest[1]) && isHex(rest[2]):
		return -rune(unhex(rest[1])<<4|unhex(rest[2])) - 1, 3
	case len(rest) >= 4 && rest[0] == '\\' && rest[1] == 'x' && isHex(rest[2]) && isHex(rest[3]):
		return -rune(unhex(rest[2])<<4|unhex(rest[3])) - 1, 4
	case len(rest) >= 6 && rest[0] == '\\' && rest[1] == 'u':
		if v, ok := hexValue(rest[2:6]); ok {
			return rune(v), 6
		}
	case len(rest) >= 10 && rest[0] == '\\' && rest[1] == 'U':
		if v, ok := hexValue(rest[2:10]); ok && v <= utf8.MaxRune {
			return rune(v), 10
		}
	case len(rest) >= 2 && rest[0] == '\\' && isOctal(rest[1]):
		// \NNN, one to three octal digits (C, Python, Go byte escapes).
		v, n := 0, 1
		for n < 4 && n < len(rest) && isOctal(rest[n]) {
			v, n = v*8+int(rest[n]-'0'), n+1
		}
		if v <= 0xff {
			return -rune(v) - 1, n
		}
	case len(rest) >= 3 && rest[0] == '&' && rest[1] == '#':
		// A numeric reference ends at its ';', or, as HTML5 reads it, at
		// the first character that is not one of its digits.
		hexRef := len(rest) > 3 && (rest[2] == 'x' || rest[2] == 'X')
		digits := 2
		if hexRef {
			digits = 3
		}
		end := digits
		for end < len(rest) && end < digits+8 && (hexRef && isHex(rest[end]) || !hexRef && '0' <= rest[end] && rest[end] <= '9') {
			end++
		}
		var v uint64
		var ok bool
		if hexRef {
			v, ok = hexValue(rest[digits:end])
		} else {
			v, ok = decValue(rest[digits:end])
		}
		if !ok || v > utf8.MaxRune {
			return 0, 0
		}
		if end < len(rest) && rest[end] == ';' {
			end++
		}
		return rune(v), end
	case len(rest) >= 4 && rest[0] == '&':
		if end := strings.IndexByte(rest[:min(len(rest), 6)], ';'); end > 1 {
			if r, ok := namedRefs[rest[1:end]]; ok {
				return r, end + 1
			}
		}
	}
	return 0, 0
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

// hexValue and decValue read at most 8 digits of s, nothing else.
func hexValue(s string) (uint64, bool) { return digits(s, 16) }

func decValue(s string) (uint64, bool) { return digits(s, 10) }

func digits(s string, base int) (uint64, bool) {
	if s == "" || len(s) > 8 || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, base, 64)
	return v, err == nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// maskPct masks, in text, every stretch whose escapes decode to one of
// the first n of r.list (r not nil), and says whether there was one. A
// text without '%', '&' or '\\' costs one scan and no allocation.
func (r *Redactor) maskPct(text string, n int) (string, bool) {
	if !hasEscape(text) {
		return text, false
	}
	v, ok := decodePct(text)
	if !ok {
		return text, false
	}
	var spans []maskSpan
	for k, s := range r.list[:n] {
		for i := 0; i+len(s) <= len(v.dec); {
			j := indexFoldAt(v.dec[i:], s, r.anchors[k])
			if j < 0 {
				break
			}
			at := i + j
			spans = append(spans, maskSpan{v.start[at], v.end[at+len(s)-1]})
			i = at + 1
		}
	}
	if len(spans) == 0 {
		return text, false
	}
	return writeMasked(text, spans), true
}
