package collectors

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

func init() { Register(configs.TypePrometheus, newPromSource) }

// promAccept asks for the classic text format, the only one parsed here.
const promAccept = "text/plain;version=0.0.4"

// promSource scrapes a Prometheus text-format endpoint.
type promSource struct {
	f       *fetcher
	filter  promFilter
	now     func() time.Time
	partial Partial
}

func newPromSource(cfg configs.Source, env Env) (Source, error) {
	spec, err := specOf[*configs.PrometheusSpec](cfg)
	if err != nil {
		return nil, err
	}
	filter := promFilter{
		maxSeries: spec.MaxSeries,
		include:   compileAll(spec.Include),
		exclude:   compileAll(spec.Exclude),
	}
	f, err := newFetcher(spec.HTTPClient, env, http.MethodGet, promAccept, true)
	if err != nil {
		return nil, err
	}
	return &promSource{f: f, filter: filter, now: env.now}, nil
}

// compileAll compiles expressions that Validate has compiled already.
func compileAll(exprs []string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(exprs))
	for i, e := range exprs {
		out[i] = regexp.MustCompile(e)
	}
	return out
}

func (p *promSource) Describe() string     { return p.f.Describe() }
func (p *promSource) Close() error         { return p.f.Close() }
func (p *promSource) LastPartial() Partial { return p.partial }

// Poll scrapes once. A transport error, a status other than 2xx or a body
// that does not parse fails the poll as a whole; values that are not
// finite, duplicate series and series over max_series are left out and
// reported as partial.
func (p *promSource) Poll(ctx context.Context) ([]aggregator.Sample, error) {
	p.partial = Partial{}
	ts := p.now().UnixMilli()
	r, err := p.f.fetchOK(ctx)
	if err != nil {
		return nil, err
	}
	samples, partial, err := parseProm(r.Body, p.filter, ts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.f.Describe(), err)
	}
	p.partial = partial
	if len(samples) == 0 && len(partial.Errors) > 0 {
		return nil, fmt.Errorf("%s: %w: %w", p.f.Describe(), ErrNoValues, partial.Errors[0])
	}
	return samples, nil
}

// parseProm parses a text-format body and turns it into samples (see
// promToSamples). It does no I/O, so it is tested on fixtures.
func parseProm(body []byte, filter promFilter, ts int64) ([]aggregator.Sample, Partial, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, Partial{}, fmt.Errorf("parsing metrics: %w", err)
	}
	samples, partial := promToSamples(families, filter, ts)
	return samples, partial, nil
}
