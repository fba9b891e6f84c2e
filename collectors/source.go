// Package collectors polls pulseboard's sources and hands what they produce
// to the aggregator.
//
// A source type is a file of its own that registers a factory at init (see
// Register). A Manager runs one supervised collector per configured source:
// the collector owns a Source instance, polls it on the source's interval
// under the source's timeout, keeps the poll's bookkeeping, and pushes each
// batch to a Sink. A failed poll is data (counted, shown as last error, and
// polling slows down); only panics, hung polls and fatal errors reach the
// supervisor, which restarts the collector with a fresh Source instance.
package collectors

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
)

// Source is one thing that can be polled for samples.
//
// Poll is called by a single collector goroutine, never concurrently with
// itself, each time under a context that carries the source's timeout. It
// returns a fresh slice (the aggregator takes ownership of it) with every
// sample stamped with its time. A non-nil error makes the poll a failed poll;
// samples returned along with it (an http probe's up=0, say) are still
// pushed. Poll should honour ctx; one that does not is abandoned by the
// collector's watchdog once it runs past timeout plus a grace period.
//
// Optional extras are found by type assertion: io.Closer (called once when
// the collector is done with the instance, possibly while a Poll is still
// running: an abandoned one, or, at a stop, the one whose context the stop
// has just cancelled; a Poll that honours Close as well ends at once),
// Describer and PartialReporter.
type Source interface {
	Poll(ctx context.Context) ([]aggregator.Sample, error)
}

// Describer is implemented by sources that can say what they poll, for logs
// ("GET https://example.com/metrics"). It never includes credentials.
type Describer interface {
	Describe() string
}

// PartialReporter is implemented by sources whose poll can succeed in part
// (a json source with one field missing, a scrape over its series limit).
// The collector calls LastPartial right after every Poll, on the same
// goroutine: after a failed one only Dropped is read (series a limit left
// out are counted even when none were left).
type PartialReporter interface {
	LastPartial() Partial
}

// Partial is what went wrong in a poll that still succeeded: the
// collector counts it and shows it as the source's last warning, never as
// its last error.
type Partial struct {
	// Errors are per-item errors and warnings, each one line: a missing
	// JSON field, a non-numeric value, a family printed twice, what was
	// dropped and why.
	Errors []error
	// Dropped counts the series left out, by reason ("duplicate",
	// "collision", "max_series", "invalid", "native_histogram",
	// "label_limit", "label_name_length_limit",
	// "label_value_length_limit"); nil when none. Errors name them.
	Dropped map[string]int
	// Masked counts the new series whose name or labels held one of the
	// source's secrets, which the target sent back; they were masked
	// (Stats.SecretsMasked). Read after a failed poll too.
	Masked int
}

// DroppedTotal is the number of series left out for any reason.
func (p Partial) DroppedTotal() int {
	n := 0
	for _, d := range p.Dropped {
		n += d
	}
	return n
}

// Sink receives the batches of every collector. The aggregator's ingest
// queue implements it. Push returns false when the batch was shed; it waits
// a short bound at most. The sink owns b.Samples after the call.
type Sink interface {
	Push(ctx context.Context, b aggregator.Batch) bool
}

// Env is what a source factory may use from its surroundings.
type Env struct {
	// Version is pulseboard's version, sent as User-Agent pulseboard/<version>.
	Version string
	// Logger receives the source's own logs; nil means discard.
	Logger *slog.Logger
	// NewHTTPClient returns the client an HTTP source sends its requests
	// with; the source sets its redirect policy on a copy. nil means a
	// client with a transport of its own (see DefaultHTTPClient).
	NewHTTPClient func() *http.Client
	// Now is the clock samples are stamped with; nil means time.Now.
	Now func() time.Time
}

// UserAgent is the User-Agent header of every outbound request.
func (e Env) UserAgent() string {
	v := e.Version
	if v == "" {
		v = "dev"
	}
	return "pulseboard/" + v
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e Env) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (e Env) httpClient() *http.Client {
	if e.NewHTTPClient != nil {
		if c := e.NewHTTPClient(); c != nil {
			return c
		}
	}
	return DefaultHTTPClient()
}

// MaxResponseHeaderBytes bounds the header block of every answer an HTTP,
// prometheus or json source reads (status line, headers and their
// separators together), as max_body_bytes bounds the body. Go's default
// is 10 MiB, and each header is parsed into the response's map before any
// body limit is looked at: a target that sent 600,000 headers (9.5 MB)
// every 2 s took a fifth of a core and was scraped as healthy (issue 14,
// trial round 8, F3). An exporter's answer carries a few hundred bytes
// of headers; 64 KiB leaves room for any proxy's cookies and policies.
// Past it the poll fails (up 0, the source's failures counted, its
// last_error "server response headers exceeded 65536 bytes; aborted").
const MaxResponseHeaderBytes = 64 << 10

// DefaultHTTPClient returns a client with a transport of its own, so that
// closing a source closes its idle connections and nothing else. It has no
// overall timeout: every request runs under the poll's context. Its
// answers' headers are bounded by MaxResponseHeaderBytes.
func DefaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 2
	t.IdleConnTimeout = 90 * time.Second
	t.ResponseHeaderTimeout = 0 // the poll context bounds the whole request
	t.MaxResponseHeaderBytes = MaxResponseHeaderBytes
	return &http.Client{Transport: t}
}

// Errors a caller can test for with errors.Is.
var (
	// ErrUnknownType is returned for a source type nobody registered.
	ErrUnknownType = errors.New("unknown source type")
	// ErrUnknownSource is returned for a source name that is not configured.
	ErrUnknownSource = errors.New("unknown source")
	// ErrNotRunning is returned by Crash for a source whose collector is
	// not running at the moment (backing off, parked or stopped).
	ErrNotRunning = errors.New("source is not running")
	// ErrHung is returned by a collector whose poll ran past its timeout
	// plus grace: its supervisor restarts it with a fresh Source instance.
	ErrHung = errors.New("poll hung")
	// ErrBadConfig wraps a source configuration a factory refused.
	ErrBadConfig = errors.New("bad source config")
	// ErrBodyTooLarge is returned when a response body passes max_body_bytes.
	ErrBodyTooLarge = errors.New("max_body_bytes")
	// ErrEncoding is returned for a body whose Content-Encoding is not
	// supported or whose compressed stream does not decode.
	ErrEncoding = errors.New("bad Content-Encoding")
	// ErrStatus is returned for a response status the source did not expect.
	ErrStatus = errors.New("unexpected status")
	// ErrTimeout is returned when a request ran out of its poll's time.
	ErrTimeout = errors.New("timed out")
	// ErrNoValues is returned by a poll that found nothing usable at all.
	ErrNoValues = errors.New("no usable values")
)
