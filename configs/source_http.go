package configs

import (
	"slices"
	"strings"
	"time"
)

// TypeHTTP is the type of a source that probes a URL.
const TypeHTTP = "http"

func init() {
	RegisterSourceType(SourceType{Name: TypeHTTP, Interval: Duration(10 * time.Second), New: func() SourceSpec { return NewHTTPSpec() }})
}

// DefaultMethod is the http source's request method.
const DefaultMethod = "GET"

// httpMethods are the methods an http source may use.
var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// HTTPSpec is the config of an http source: is the URL up, how fast, with
// which status.
type HTTPSpec struct {
	HTTPClient `yaml:",inline"`
	// Method is one of httpMethods, upper case.
	Method string `yaml:"method"`
	// ExpectStatus are the codes that count as up; empty means any 2xx.
	ExpectStatus []int `yaml:"expect_status"`
	// FollowRedirects is a pointer so that an explicit false is told
	// from a key left out (default true).
	FollowRedirects *bool `yaml:"follow_redirects"`
}

// NewHTTPSpec returns an http source's config with its defaults.
func NewHTTPSpec() *HTTPSpec {
	follow := true
	return &HTTPSpec{HTTPClient: newHTTPClient(), Method: DefaultMethod, FollowRedirects: &follow}
}

// Follow reports whether redirects are followed (true when left unset).
func (s *HTTPSpec) Follow() bool { return s.FollowRedirects == nil || *s.FollowRedirects }

// Validate checks the URL, headers, body limit, method and status codes.
func (s *HTTPSpec) Validate() error {
	var p problems
	s.HTTPClient.validate(&p, TypeHTTP)
	if !slices.Contains(httpMethods, s.Method) {
		p.addf("method", "unknown method %q (known: %s)", s.Method, strings.Join(httpMethods, ", "))
	}
	for i, code := range s.ExpectStatus {
		if code < 100 || code > 599 {
			p.addf(index("expect_status", i), "%d is not an HTTP status code (100 to 599)", code)
		}
	}
	return p.err()
}
