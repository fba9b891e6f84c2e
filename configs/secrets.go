package configs

import (
	"cmp"
	"encoding/base64"
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
			}
		}
	}
	return out
}

// basicForms returns the forms "user:password" takes in a Basic
// Authorization header, which Go's client sends for a URL's user info and
// a target may echo: base64, standard and URL alphabets, padded or not.
func basicForms(user, pass string) []string {
	raw := []byte(user + ":" + pass)
	var out []string
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		out = append(out, enc.EncodeToString(raw))
	}
	return out
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
type Redactor struct {
	secrets *strings.Replacer // nil: no secret long enough
	list    []string          // the secrets, longest first
	data    *strings.Replacer // list's secrets of minDataSecretLen or more; nil: none
	dataLen int               // how many of list those are (its first dataLen)
}

// Redactor returns the Redactor of the source's secrets (Secrets).
func (s Source) Redactor() *Redactor { return NewRedactor(s.Secrets()) }

// NewRedactor returns a Redactor of secrets; those shorter than three
// bytes are left out (see minSecretLen).
func NewRedactor(secrets []string) *Redactor {
	var keep []string
	for _, s := range secrets {
		if len(s) >= minSecretLen && !slices.Contains(keep, s) {
			keep = append(keep, s)
		}
	}
	if len(keep) == 0 {
		return &Redactor{}
	}
	// Longest first: the Replacer tries its pairs in order, so a secret
	// that holds another is masked whole, not around the shorter one.
	slices.SortFunc(keep, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	pairs := make([]string, 0, 2*len(keep))
	for _, s := range keep {
		pairs = append(pairs, s, URLMask)
	}
	r := &Redactor{secrets: strings.NewReplacer(pairs...), list: keep}
	r.dataLen = slices.IndexFunc(keep, func(s string) bool { return len(s) < minDataSecretLen })
	if r.dataLen < 0 {
		r.dataLen = len(keep)
	}
	if r.dataLen > 0 {
		r.data = strings.NewReplacer(pairs[:2*r.dataLen]...)
	}
	return r
}

// Redact returns text with every URL in it redacted (RedactURLsIn) and
// every secret replaced by URLMask, wherever it stands: in a URL, in a
// quoted excerpt of a response body, in a panic value.
func (r *Redactor) Redact(text string) string {
	text = RedactURLsIn(text)
	if !r.holds(text) {
		return text
	}
	return r.secrets.Replace(text)
}

// holds says whether text holds one of the secrets. Most texts hold none,
// and looking costs no allocation, where the Replacer allocates its result
// whatever it finds (a scrape that names every series in a warning, or
// looks for collisions, passes each through Redact).
func (r *Redactor) holds(text string) bool {
	return r != nil && slices.ContainsFunc(r.list, func(s string) bool { return strings.Contains(text, s) })
}

// MaskSecrets returns text with every secret of 8 bytes or more
// (minDataSecretLen) replaced by URLMask, and whether there was one;
// unlike Redact it leaves URLs as they are. It is for data a target sends
// that may echo the source's credentials back (a scraped series' name and
// labels): a label holding a URL is a value to keep, not an error to
// redact, but the source's own token in it is masked all the same.
// Cheap when the text holds no secret: no allocation.
func (r *Redactor) MaskSecrets(text string) (string, bool) {
	if r == nil || r.data == nil || !slices.ContainsFunc(r.list[:r.dataLen], func(s string) bool { return strings.Contains(text, s) }) {
		return text, false
	}
	return r.data.Replace(text), true
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
			if strings.HasSuffix(text, s[:k]) {
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
