package configs

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// DefaultMaxBodyBytes bounds the body read by a source that fetches a URL.
const DefaultMaxBodyBytes int64 = 10 << 20

// HTTPClient holds the keys of every source that fetches a URL. The http,
// prometheus and json specs embed it inline, so its keys are written
// beside the type's own and checked by one function.
type HTTPClient struct {
	// URL is http:// or https:// with a host. It may hold credentials
	// and tokens: never print it as is.
	URL string `yaml:"url"`
	// Headers are sent with every request, Name: value.
	Headers map[string]string `yaml:"headers"`
	// MaxBodyBytes is the most of a response body that is read.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// newHTTPClient returns the client keys' defaults.
func newHTTPClient() HTTPClient { return HTTPClient{MaxBodyBytes: DefaultMaxBodyBytes} }

// validate records the problems of the client keys; typ names the source
// type in messages.
func (c *HTTPClient) validate(p *problems, typ string) {
	if c.URL == "" {
		p.addf("url", "is required for %s sources", typ)
	} else if u, err := url.Parse(c.URL); err != nil {
		p.addf("url", "invalid URL %q: %v", RedactURL(c.URL), unwrapURLError(err))
	} else if u.Scheme != "http" && u.Scheme != "https" {
		p.addf("url", "URL %q: the scheme must be http or https", RedactURL(c.URL))
	} else if u.Host == "" {
		p.addf("url", "URL %q has no host", RedactURL(c.URL))
	} else if msg := urlUnusable(c.URL, u); msg != "" {
		p.addf("url", "URL %q: %s", RedactURL(c.URL), msg)
	}
	for _, name := range sortedKeys(c.Headers) {
		if !headerNameRE.MatchString(name) {
			p.keyf(joinPath("headers", name), "invalid header name %q", name)
		} else if strings.IndexFunc(c.Headers[name], isHeaderCtl) >= 0 {
			// Not quoted: a header often carries a key.
			p.addf(joinPath("headers", name), "a header value cannot hold a line break or control character (a tab only)")
		}
	}
	positive(p, "max_body_bytes", c.MaxBodyBytes)
}

// isHeaderCtl reports the characters RFC 9110 allows in no field value:
// the controls but the tab, and DEL. Some clients send them as written.
func isHeaderCtl(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }

// urlUnusable names what makes a parsed http(s) URL one no request can
// use, or returns "": a port outside 1..65535 (url.Parse takes any digits)
// or a space or control character anywhere (url.Parse lets a space through
// in the path and query, where no client sends it as written). The
// message holds no part of the URL: the caller quotes it redacted.
func urlUnusable(raw string, u *url.URL) string {
	// No offset in the message: it would tell the length of a secret.
	if i := strings.IndexFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return fmt.Sprintf("has a space or control character (%U): percent-encode it (%%20 for a space)", []rune(raw[i:])[0])
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("port %s is not in 1..65535", port)
		}
	}
	return ""
}

// unwrapURLError drops url.Parse's wrapping, which quotes the whole URL.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
