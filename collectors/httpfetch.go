package collectors

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/pulseboard/pulseboard/configs"
)

// maxRedirects bounds the redirects one request follows.
const maxRedirects = 10

// fetcher is the one way the http, prometheus and json sources talk to the
// network. It holds what every request must have: the poll's context as its
// deadline, a bound on the body, the User-Agent, and errors that name the
// URL without its credentials and never show a header value.
type fetcher struct {
	client  *http.Client
	method  string
	url     string // as configured; only ever sent, never printed
	safeURL string // for errors and logs
	header  http.Header
	// own is the header without the configured headers: what a redirect
	// to another origin is sent (see checkRedirect).
	own      http.Header
	maxBody  int64
	redirect bool
	redact   *configs.Redactor // masks the client's secrets in what a response makes it quote

	// spare is the body buffer of the last fetch whose body was refused
	// (over maxBody, not decodable, cut short), reused by the next one: a
	// target that always sends too much costs maxBody of memory once, not
	// at every poll. A 64 MiB gzip bomb polled every second was 22 MiB of
	// garbage a second, and the collections it forced were every
	// dashboard's delay (docs/reliability.md, Soak). A body handed out is
	// the caller's, so a healthy target keeps nothing here unless its
	// caller gives the body back (giveBack). Guarded by spareMu: a poll the
	// watchdog gave up on may still be reading when the next one starts.
	spareMu sync.Mutex
	spare   []byte
}

// giveBack hands a fetched body the caller is done with (nothing it
// returned points into it) to the next fetch to read into: a source that
// parses its whole body every poll (prometheus) reads a wide target's
// megabytes into one buffer poll after poll instead of growing a new one
// each time. Safe from any goroutine.
func (f *fetcher) giveBack(body []byte) {
	f.spareMu.Lock()
	if cap(body) > cap(f.spare) {
		f.spare = body[:0]
	}
	f.spareMu.Unlock()
}

// fetched is one response, its body read in full (within the limit).
type fetched struct {
	Status     int
	StatusText string
	Header     http.Header
	Body       []byte
	TLS        *tls.ConnectionState
}

// newFetcher builds the request template from a validated client config.
// accept, when not empty, is the Accept header (a configured Accept header
// wins); follow says whether redirects are followed.
func newFetcher(c configs.HTTPClient, env Env, method, accept string, follow bool) (*fetcher, error) {
	if _, err := url.Parse(c.URL); err != nil {
		// Validate parsed it already. url.Parse's error quotes the whole
		// URL, credentials included.
		return nil, badConfig("url is not a valid URL")
	}
	f := &fetcher{
		method:   method,
		url:      c.URL,
		safeURL:  configs.RedactURL(c.URL),
		header:   make(http.Header, len(c.Headers)+2),
		maxBody:  c.MaxBodyBytes,
		redirect: follow,
		redact:   configs.NewRedactor(c.Secrets()),
	}
	f.own = ownHeader(accept, env.UserAgent())
	for k, v := range c.Headers {
		f.header.Set(k, v)
	}
	for k, v := range f.own {
		if f.header.Get(k) == "" || k == "User-Agent" {
			f.header[k] = v
		}
	}

	client := *env.httpClient() // a copy: the redirect policy is this source's own
	client.CheckRedirect = f.checkRedirect
	f.client = &client
	return f, nil
}

func (f *fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if !f.redirect {
		// The redirect response itself is the answer, judged on its status.
		return http.ErrUseLastResponse
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	// net/http copies the first request's headers and adds a Referer: the
	// configured URL, its token in the query. It drops Authorization and
	// Cookie for another domain, but not X-Api-Key or any other header
	// that carries a credential. So: no Referer ever, and a redirect that
	// leaves the configured origin (scheme, host or port) is sent only
	// pulseboard's own headers.
	req.Header.Del("Referer")
	if first := via[0].URL; req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		req.Header = f.own.Clone()
		req.Host = ""
	}
	return nil
}

// ownHeader is what every request is sent whatever the configuration
// says: the Accept of the source type (none if accept is empty), the
// Accept-Encoding pulseboard inflates and the User-Agent. Configured
// headers replace the first two.
func ownHeader(accept, userAgent string) http.Header {
	h := make(http.Header, 3)
	if accept != "" {
		h.Set("Accept", accept)
	}
	h.Set("Accept-Encoding", defaultAcceptEncoding)
	h.Set("User-Agent", userAgent)
	return h
}

// Describe names the request for logs, e.g. "GET https://host/metrics".
func (f *fetcher) Describe() string { return f.method + " " + f.safeURL }

// Close releases idle connections. It is safe while a request is running.
func (f *fetcher) Close() error {
	f.client.CloseIdleConnections()
	return nil
}

// fetch sends the request under ctx and reads the body up to the limit,
// inflated by its Content-Encoding (see readBody), whatever headers the
// configuration sets. A transport error, a timeout, an oversized body or
// one that does not decode is an error; any status is returned as is,
// for the caller to judge.
func (f *fetcher) fetch(ctx context.Context) (*fetched, error) {
	req, err := http.NewRequestWithContext(ctx, f.method, f.url, nil)
	if err != nil {
		return nil, f.wrap(errors.New("cannot build request"))
	}
	req.Header = f.header.Clone()
	if h := req.Header.Get("Host"); h != "" {
		req.Host = h
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, f.wrap(err)
	}
	defer resp.Body.Close()
	out := &fetched{Status: resp.StatusCode, StatusText: http.StatusText(resp.StatusCode), Header: resp.Header, TLS: resp.TLS}
	f.spareMu.Lock()
	buf := f.spare
	f.spare = nil
	f.spareMu.Unlock()
	body, spare, err := readBodyInto(buf, resp.Body, resp.Header.Get("Content-Encoding"), f.maxBody, f.redact)
	if err != nil {
		f.spareMu.Lock()
		if cap(spare) > cap(f.spare) {
			f.spare = spare
		}
		f.spareMu.Unlock()
		return out, f.wrap(err)
	}
	out.Body = body
	return out, nil
}

// fetchOK is fetch for sources that read a document: any status other than
// 2xx is an error as well.
func (f *fetcher) fetchOK(ctx context.Context) (*fetched, error) {
	r, err := f.fetch(ctx)
	if err != nil {
		return nil, err
	}
	if r.Status < 200 || r.Status > 299 {
		return nil, f.statusError(r, "2xx")
	}
	return r, nil
}

// statusError describes an unexpected status.
func (f *fetcher) statusError(r *fetched, want string) error {
	return fmt.Errorf("%s: %w %d %s (want %s)", f.Describe(), ErrStatus, r.Status, r.StatusText, want)
}

// wrap turns a request error into one that names the request safely. The
// *url.Error of net/http is unwrapped because it quotes the URL as sent.
func (f *fetcher) wrap(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return fmt.Errorf("%s: %w", f.Describe(), err)
}
