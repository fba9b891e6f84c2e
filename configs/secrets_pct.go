package configs

import "strings"

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

// decodePctOnce decodes s's %XX escapes once, with the span of s each
// decoded byte came from; false when s holds none.
func decodePctOnce(s string) (string, []int, []int, bool) {
	first := strings.IndexByte(s, '%')
	if first < 0 {
		return "", nil, nil, false
	}
	var b strings.Builder
	start := make([]int, 0, len(s))
	end := make([]int, 0, len(s))
	any := false
	for i := 0; i < len(s); {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			start, end = append(start, i), append(end, i+3)
			i += 3
			any = true
			continue
		}
		b.WriteByte(s[i])
		start, end = append(start, i), append(end, i+1)
		i++
	}
	return b.String(), start, end, any
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
// text without '%' costs one scan and no allocation.
func (r *Redactor) maskPct(text string, n int) (string, bool) {
	if strings.IndexByte(text, '%') < 0 {
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
