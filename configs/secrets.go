package configs

import (
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"
)

// minSecretLen is the shortest secret looked for in free text. A value of
// one or two bytes ("1", "on") is no secret worth the name, and masking it
// would mask every number and short word of a message. Inside a URL every
// value is masked whatever its length (RedactURL).
const minSecretLen = 3

// minDataSecretLen is the shortest secret looked for in data a target
// sends (MaskSecrets): a header value such as "true", "prod" or "yes"
// would otherwise mask every label value that holds it, destroying data
// for no secret; a credential is longer than this (a token, an API key,
// a password worth the name).
const minDataSecretLen = 8

// publicHeaders are configured headers whose values are protocol tokens
// (gzip, text/plain), not credentials: masking them would turn "gzip:
// invalid header" into "xxxxx: invalid header".
var publicHeaders = []string{"Accept", "Accept-Encoding", "Accept-Language"}

// SecretHolder is a part of a source's config that holds secrets. The
// embedded HTTPClient is one, so every spec that embeds it is one too.
type SecretHolder interface {
	// Secrets returns the secret strings as they may appear in any text,
	// each in every form it may take there (as written, percent-decoded).
	Secrets() []string
}

// Secrets returns the secrets of the client keys: the URL's user name and
// password, every query value, and every header value (the credentials
// after an auth scheme such as "Bearer" and, for "Basic", the user and
// password it encodes, as well), but the content-negotiation headers'.
func (c *HTTPClient) Secrets() []string {
	var out []string
	add := func(raw string) {
		out = append(out, raw)
		if dec, err := url.QueryUnescape(raw); err == nil && dec != raw {
			out = append(out, dec)
		}
	}
	if u, err := url.Parse(c.URL); err == nil {
		if u.User != nil {
			add(u.User.Username())
			if p, ok := u.User.Password(); ok {
				add(p)
			}
			p, _ := u.User.Password()
			out = append(out, basicForms(u.User.Username(), p)...)
			// The forms as written too, escapes and all.
			authority, _, _ := strings.Cut(strings.TrimPrefix(c.URL[len(u.Scheme):], "://"), "/")
			if at := strings.LastIndexByte(authority, '@'); at >= 0 {
				name, pass, _ := strings.Cut(authority[:at], ":")
				add(name)
				add(pass)
			}
		}
		for item := range strings.SplitSeq(u.RawQuery, "&") {
			if _, v, ok := strings.Cut(item, "="); ok {
				add(v)
			} else {
				add(item)
			}
		}
	}
	for name, v := range c.Headers {
		if slices.Contains(publicHeaders, http.CanonicalHeaderKey(name)) {
			continue
		}
		out = append(out, v)
		scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
		if !ok {
			continue
		}
		cred = strings.TrimSpace(cred)
		out = append(out, cred)
		if strings.EqualFold(scheme, "Basic") {
			if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
				user, pass, _ := strings.Cut(string(dec), ":")
				out = append(out, user, pass)
				out = append(out, basicForms(user, pass)...)
			}
		}
	}
	return out
}

// basicForms returns the forms "user:password" takes in a Basic
// Authorization header, which Go's client sends for a URL's user info and
// a target may echo: base64, standard and URL alphabets, padded or not,
// and hex (secretForms).
func basicForms(user, pass string) []string {
	return secretForms(user + ":" + pass)
}

// Secrets returns every secret of the source's config, found in its spec
// generically: the spec, or any struct inside it, that is a SecretHolder
// (every spec that embeds HTTPClient is). A type with no secrets returns
// none.
func (s Source) Secrets() []string {
	if s.Spec == nil {
		return nil
	}
	return secretsIn(reflect.ValueOf(s.Spec))
}

func secretsIn(v reflect.Value) []string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		if h, ok := v.Interface().(SecretHolder); ok {
			return h.Secrets()
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range v.NumField() {
		f := v.Field(i)
		switch {
		case !v.Type().Field(i).IsExported():
		case f.Kind() == reflect.Struct && f.CanAddr():
			out = append(out, secretsIn(f.Addr())...)
		case f.Kind() == reflect.Pointer:
			out = append(out, secretsIn(f)...)
		}
	}
	return out
}

// Redactor masks a source's secrets in text the source produces: its
// errors and warnings (last_error, last_warning) and its log lines. Build
// one per source with Source.Redactor; it is immutable and safe for
// concurrent use. The nil *Redactor masks URLs only.
//
// A secret is matched with ASCII letters' case ignored, and a secret of
// minDataSecretLen bytes or more in its base64 (both alphabets, padded or
// not) and hex forms as well (secretForms): the forms a target echoing what
// it was sent produces without trying. A target that means to leak can
// always re-encode further (reverse it, split it, encrypt it); masking
// catches echoes, not a determined target (docs/reliability.md).
type Redactor struct {
	list    []string // the secrets and their forms, ASCII lower-cased, longest first
	anchors []int    // list's foldAnchor, each
	dataLen int      // how many of list are of minDataSecretLen or more (its first dataLen)
}

// Redactor returns the Redactor of the source's secrets (Secrets).
func (s Source) Redactor() *Redactor { return NewRedactor(s.Secrets()) }

// NewRedactor returns a Redactor of secrets and of their encoded forms
// (secretForms); secrets shorter than three bytes are left out (see
// minSecretLen).
func NewRedactor(secrets []string) *Redactor {
	var keep []string
	add := func(s string) {
		s = lowerASCII(s)
		if len(s) >= minSecretLen && !slices.Contains(keep, s) {
			keep = append(keep, s)
		}
	}
	for _, s := range secrets {
		add(s)
		if len(s) >= minDataSecretLen {
			for _, f := range secretForms(s) {
				add(f)
			}
		}
	}
	// Longest first: at one place in a text the first that matches is
	// masked, so a secret that holds another is masked whole, not around
	// the shorter one.
	slices.SortStableFunc(keep, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	r := &Redactor{list: keep, anchors: make([]int, len(keep))}
	for i, s := range keep {
		r.anchors[i] = foldAnchor(s)
	}
	r.dataLen = slices.IndexFunc(keep, func(s string) bool { return len(s) < minDataSecretLen })
	if r.dataLen < 0 {
		r.dataLen = len(keep)
	}
	return r
}

// secretForms returns the encodings a target may echo a secret in: base64
// in both alphabets, padded or not, hex, and every byte percent-encoded
// (%53%75…, as a URL encoder that escapes everything writes it; matched
// in either case, as every form is); and the base64 of the secret, and of
// its percent-encoded form, inside a longer text: the characters that
// hold the secret's bytes alone, at each of the three alignments (trial
// 14 round 9, F4: base64 of a text holding the secret after one or two
// other bytes shares no character with the secret's own base64 at its
// edges, and was not masked). Escaped forms (%XX in part, &#NN;, \uXXXX)
// are found by decoding the text instead (maskPct).
func secretForms(s string) []string {
	raw := []byte(s)
	var pct strings.Builder
	for _, c := range raw {
		fmt.Fprintf(&pct, "%%%02x", c)
	}
	out := []string{hex.EncodeToString(raw), pct.String()}
	// The percent-encoded form in both cases of hex: base64 does not
	// fold case as the matching of every form does.
	for _, src := range [][]byte{raw, []byte(pct.String()), []byte(strings.ToUpper(pct.String()))} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			out = append(out, enc.EncodeToString(src))
		}
		// Preceded by p bytes, the secret's bytes from (3-p%3)%3 on fill
		// whole groups of three, whose characters are the same whatever
		// came before or comes after.
		for skip := range 3 {
			core := src[skip:]
			core = core[:len(core)/3*3]
			if len(core) < 6 { // eight characters at least: less would mask words at random
				continue
			}
			out = append(out, base64.RawStdEncoding.EncodeToString(core), base64.RawURLEncoding.EncodeToString(core))
		}
	}
	return out
}

// Redact returns text with every URL in it redacted (RedactURLsIn) and
// every secret replaced by URLMask, wherever it stands: in a URL, in a
// quoted excerpt of a response body, in a panic value.
func (r *Redactor) Redact(text string) string {
	text = RedactURLsIn(text)
	if r == nil {
		return text
	}
	if r.holds(text, len(r.list)) {
		text = maskFold(text, r.list, r.anchors)
	}
	text, _ = r.maskPct(text, len(r.list))
	return text
}

// holds says whether text holds one of the first n of r.list (r not nil).
// Most texts
// hold none, and looking costs no allocation (a scrape that names every
// series in a warning, or looks for collisions, passes each through
// Redact).
func (r *Redactor) holds(text string, n int) bool {
	for i, s := range r.list[:n] {
		if indexFoldAt(text, s, r.anchors[i]) >= 0 {
			return true
		}
	}
	return false
}

// MaskSecrets returns text with every secret of 8 bytes or more
// (minDataSecretLen), in any of its forms (percent-encoded in whole or in
// part, or twice: maskPct), replaced by URLMask, and
// whether there was one; unlike Redact it leaves URLs as they are. It is
// for data a target sends that may echo the source's credentials back (a
// scraped series' name and labels): a label holding a URL is a value to
// keep, not an error to redact, but the source's own token in it is masked
// all the same. Cheap when the text holds no secret: no allocation.
func (r *Redactor) MaskSecrets(text string) (string, bool) {
	if r == nil {
		return text, false
	}
	masked := false
	if r.holds(text, r.dataLen) {
		text, masked = maskFold(text, r.list[:r.dataLen], r.anchors), true
	}
	text, inPct := r.maskPct(text, r.dataLen)
	return text, masked || inPct
}

// Clip returns text masked (Redact) and then cut to at most n bytes at a
// character boundary, and whether it was cut. Masking first means a cut
// never splits a whole secret; a cut text that ends in the first three
// bytes or more of a secret (one that runs past the cut) has that tail
// masked too, so no part of a secret survives the cut. Callers add their
// own mark of the cut ("…", a length).
func (r *Redactor) Clip(text string, n int) (string, bool) {
	text = r.Redact(text)
	if len(text) <= n {
		return text, false
	}
	for n > 0 && !utf8.RuneStart(text[n]) {
		n--
	}
	return r.maskTail(text[:n]), true
}

// maskTail masks the longest tail of text that is a prefix, of three
// bytes or more, of one of the secrets.
func (r *Redactor) maskTail(text string) string {
	if r == nil {
		return text
	}
	longest := 0
	for _, s := range r.list {
		for k := min(len(s)-1, len(text)); k >= minSecretLen && k > longest; k-- {
			if equalFoldASCII(text[len(text)-k:], s[:k]) {
				longest = k
				break
			}
		}
	}
	if longest == 0 {
		return text
	}
	return text[:len(text)-longest] + URLMask
}
