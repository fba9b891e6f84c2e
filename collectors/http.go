package collectors

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

func init() { Register(configs.TypeHTTP, newHTTPProbe) }

// httpProbe checks one URL: is it up, how fast, what status, how large the
// answer, and for https how long until its certificate expires.
//
// A probe that fails (refused, timed out, unexpected status, oversized
// body) still yields http_up 0 with whatever else it learnt, and its poll
// fails with the reason: the chart shows the outage and the source's
// last_error says why.
type httpProbe struct {
	f      *fetcher
	expect []int // empty: any 2xx
	now    func() time.Time
}

func newHTTPProbe(cfg configs.Source, env Env) (Source, error) {
	spec, err := specOf[*configs.HTTPSpec](cfg)
	if err != nil {
		return nil, err
	}
	f, err := newFetcher(spec.HTTPClient, env, spec.Method, "", spec.Follow())
	if err != nil {
		return nil, err
	}
	return &httpProbe{f: f, expect: slices.Clone(spec.ExpectStatus), now: env.now}, nil
}

func (p *httpProbe) Describe() string { return p.f.Describe() }
func (p *httpProbe) Close() error     { return p.f.Close() }

func (p *httpProbe) Poll(ctx context.Context) ([]aggregator.Sample, error) {
	start := p.now()
	// Duration is wall time measured around the request, whatever clock
	// stamps the samples.
	t0 := time.Now()
	r, err := p.f.fetch(ctx)
	elapsed := time.Since(t0).Seconds()
	ts := start.UnixMilli()

	out := make([]aggregator.Sample, 0, 5)
	add := func(metric string, v float64) {
		out = append(out, aggregator.Sample{Metric: metric, Kind: aggregator.KindGauge, TimeMs: ts, Value: v})
	}
	add("http_duration_seconds", elapsed)
	if r != nil {
		add("http_status_code", float64(r.Status))
		if err == nil {
			add("http_response_size_bytes", float64(len(r.Body)))
		}
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			add("http_tls_cert_expiry_seconds", r.TLS.PeerCertificates[0].NotAfter.Sub(start).Seconds())
		}
		if err == nil && !p.statusOK(r.Status) {
			err = p.f.statusError(r, p.wantText())
		}
	}
	up := 0.0
	if err == nil {
		up = 1
	}
	add("http_up", up)
	return out, err
}

func (p *httpProbe) statusOK(code int) bool {
	if len(p.expect) == 0 {
		return code >= 200 && code <= 299
	}
	return slices.Contains(p.expect, code)
}

func (p *httpProbe) wantText() string {
	if len(p.expect) == 0 {
		return "2xx"
	}
	s := make([]string, len(p.expect))
	for i, c := range p.expect {
		s[i] = strconv.Itoa(c)
	}
	return fmt.Sprintf("one of %s", strings.Join(s, ", "))
}
