package collectors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

func init() { Register(configs.TypePrometheus, newPromSource) }

// promSource scrapes a Prometheus endpoint, OpenMetrics or the classic
// text format, whichever the target answers to ScrapeAccept (a configured
// Accept header wins).
type promSource struct {
	f       *fetcher
	opt     scrapeOptions
	stamps  bool // honor_timestamps: keep the exporter's timestamps
	track   bool // track_timestamps_staleness
	now     func() time.Time
	partial Partial
}

func newPromSource(cfg configs.Source, env Env) (Source, error) {
	spec, err := specOf[*configs.PrometheusSpec](cfg)
	if err != nil {
		return nil, err
	}
	opt := scrapeOptions{
		promFilter: promFilter{
			maxSeries:    spec.MaxSeries,
			sampleLimit:  spec.SampleLimit,
			droppedLimit: spec.DroppedSeriesLimit,
			include:      compileAll(spec.Include),
			exclude:      compileAll(spec.Exclude),
		},
		targetLabels: labelsOf(cfg.Labels),
		honorLabels:  spec.HonorLabels,
		limits:       labelLimitsOf(spec.LabelLimits),
		redact:       cfg.Redactor(),
		cache:        newSeriesCache(),
	}
	f, err := newFetcher(spec.HTTPClient, env, http.MethodGet, ScrapeAccept, true)
	if err != nil {
		return nil, err
	}
	return &promSource{f: f, opt: opt, stamps: spec.HonorsTimestamps(), track: spec.TrackTimestampsStaleness, now: env.now}, nil
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

// Poll scrapes once. A transport error, a status other than 2xx, a body
// that does not parse, one over sample_limit (ErrSampleLimit) or one that
// drops more series as it is read than dropped_series_limit
// (ErrDroppedSeriesLimit, its drops still counted in Dropped) fails the
// poll as a whole. What Prometheus tolerates does not: repeated families,
// malformed histograms, series dropped as duplicates, collisions, over
// max_series or past a label limit are reported as partial (warnings as
// Errors, drops by reason in Dropped; when every series was dropped the
// poll fails with ErrNoValues, and Dropped still counts them). A sample stamped
// by the exporter keeps its own time under honor_timestamps (the
// default), and is then exempt from staleness unless
// track_timestamps_staleness (aggregator.Sample.NoStaleness); the others,
// and every sample without it, get the poll's.
func (p *promSource) Poll(ctx context.Context) ([]aggregator.Sample, error) {
	p.partial = Partial{}
	ts := p.now().UnixMilli()
	r, err := p.f.fetchOK(ctx)
	if err != nil {
		return nil, err
	}
	samples, partial, err := p.samples(r.Body, r.Header.Get("Content-Type"), ts)
	// Every string of the samples and warnings is a copy (the parser's
	// labels and the series cache own theirs), so the body can be read
	// into again.
	p.f.giveBack(r.Body)
	p.partial = partial
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.f.Describe(), err)
	}
	return samples, nil
}

// samples is the parsing half of a poll, apart from I/O: the body read
// with the source's options, stamped with ts (unless honor_timestamps
// keeps the exporter's), and what went wrong in part. The partial is
// meaningful with an error too (its Dropped counts).
func (p *promSource) samples(body []byte, contentType string, ts int64) ([]aggregator.Sample, Partial, error) {
	res, err := scrapeProm(body, contentType, p.opt)
	if err != nil {
		return nil, Partial{Dropped: res.Dropped}, err
	}
	samples := make([]aggregator.Sample, len(res.Samples))
	for i, s := range res.Samples {
		samples[i] = aggregator.Sample{Metric: s.Metric, Labels: s.Labels, Kind: s.Kind, TimeMs: ts, Value: s.Value}
		if s.HasTime && p.stamps {
			samples[i].TimeMs = s.TimeMs
			samples[i].NoStaleness = !p.track
		}
	}
	partial := Partial{Dropped: res.Dropped, Masked: res.Masked}
	if len(samples) == 0 && partial.DroppedTotal() > 0 {
		return nil, partial, fmt.Errorf("%w: %s", ErrNoValues, res.Warnings[len(res.Warnings)-1])
	}
	for _, w := range res.Warnings {
		partial.Errors = append(partial.Errors, errors.New(w))
	}
	return samples, partial, nil
}
