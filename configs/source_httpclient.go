package configs

import (
	"net/url"
	"strings"
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
	}
	for _, name := range sortedKeys(c.Headers) {
		if !headerNameRE.MatchString(name) {
			p.keyf(joinPath("headers", name), "invalid header name %q", name)
		} else if strings.ContainsAny(c.Headers[name], "\r\n\x00") {
			p.addf(joinPath("headers", name), "a header value cannot hold a line break or NUL")
		}
	}
	positive(p, "max_body_bytes", c.MaxBodyBytes)
}

// unwrapURLError drops url.Parse's wrapping, which quotes the whole URL.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
