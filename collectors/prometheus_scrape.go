package collectors

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"unicode/utf8"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// ScrapeAccept is the Accept header Prometheus sends with a scrape (its
// default scrape_protocols with UTF-8 names allowed): OpenMetrics 1.0.0
// first, the classic text format after it, anything as a last resort.
// scrapeProm reads whichever the target answers by its Content-Type.
const ScrapeAccept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.7," +
	"application/openmetrics-text;version=0.0.1;q=0.6," +
	"text/plain;version=1.0.0;escaping=allow-utf-8;q=0.5," +
	"text/plain;version=0.0.4;q=0.4," +
	"*/*;q=0.3"

// fallbackContentType is how a body is read when its Content-Type is
// missing or unknown: Prometheus would fail such a scrape unless told a
// fallback_scrape_protocol; a warning says it happened.
const fallbackContentType = "text/plain"

// promFilter selects what a scrape keeps.
type promFilter struct {
	// include, when not empty, keeps only families whose name matches one;
	// exclude then drops families whose name matches one. Both match the
	// family name, so a histogram is kept or dropped whole.
	include, exclude []*regexp.Regexp
	// maxSeries bounds the series of one scrape; 0 means no bound.
	maxSeries int
	// sampleLimit fails a scrape that offers more series than this once
	// include and exclude have chosen; 0 means no bound.
	sampleLimit int
	// droppedLimit fails a scrape that drops more series than this as
	// they are read (past a label limit, or invalid); 0 means no bound.
	droppedLimit int
}

func (f promFilter) keep(name string) bool {
	if len(f.include) > 0 && !matchAny(f.include, name) {
		return false
	}
	return !matchAny(f.exclude, name)
}

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// scrapeOptions is how one source reads a scrape.
type scrapeOptions struct {
	promFilter
	// targetLabels are the source's configured labels, sorted by name.
	targetLabels aggregator.Labels
	// honorLabels keeps scraped label values over configured ones (see
	// withTargetLabels).
	honorLabels bool
	// limits drops series whose labels (configured ones applied) break
	// them.
	limits labelLimits
	// redact masks the source's secrets in quoted text before it is
	// cut; nil masks URLs only.
	redact *configs.Redactor
	// cache, when set, is the source's seriesCache: what each series'
	// text became in the last scrape. nil reads every series afresh.
	cache *seriesCache
}

// scrapedSample is one sample as the target sent it, labels applied.
type scrapedSample struct {
	Metric string
	Labels aggregator.Labels // sorted by name, no empty value
	Kind   aggregator.Kind
	Value  float64 // as sent: NaN and ±Inf included
	// TimeMs is the exporter's own timestamp in Unix milliseconds, when
	// HasTime; most targets send none.
	TimeMs  int64
	HasTime bool
}

// Reasons a scrape drops a series; the keys of scrapeResult.Dropped.
const (
	// dropDuplicate: the same series twice in one body; the first is kept.
	dropDuplicate = "duplicate"
	// dropCollision: two series that /metrics would expose as one once
	// their names are sanitised; the first in identity order is kept.
	dropCollision = "collision"
	// dropMaxSeries: series over max_series, the last in identity order.
	dropMaxSeries = "max_series"
	// dropInvalid: a series Prometheus would refuse (a label name twice,
	// a name or value that is not UTF-8).
	dropInvalid = "invalid"
	// dropNativeHistogram: a native histogram sample, which pulseboard
	// does not store (it only arrives when a target ignores Accept).
	dropNativeHistogram = "native_histogram"
)

// scrapeResult is what one body yields.
type scrapeResult struct {
	// Samples are sorted by identity (metric, then labels).
	Samples []scrapedSample
	// Warnings describe what the scrape tolerated or dropped, for
	// last_warning; nil when nothing happened.
	Warnings []string
	// Dropped counts the series left out, by reason (dropDuplicate…);
	// include/exclude are choices, not drops, and are not counted.
	Dropped map[string]int
	// Masked counts the series read for the first time whose name or
	// labels held a secret of the source, masked (maskEchoedSecrets).
	Masked int
}

// scrapeProm reads one scrape body in the format its contentType names
// (OpenMetrics or the classic text format; anything else is read as the
// classic format, with a warning) with Prometheus' own parser, and turns
// it into samples. It is tolerant where Prometheus is: a family printed in
// two blocks, samples out of their family, malformed histograms and
// summaries all give exactly the samples that were sent. What it drops is
// counted by reason in the result and named in its warnings.
//
// Series whose labels break opt.limits are dropped as they are read. It
// fails when the body does not parse (a syntax error anywhere, as
// Prometheus fails such a scrape), with an error wrapping the parser's,
// and, as soon as it has read one series more than opt.sampleLimit, with
// ErrSampleLimit: reading stops there, so no body costs more than
// sampleLimit series of memory. As soon as it has dropped one series more
// than opt.droppedLimit as they are read (past a label limit, invalid), it
// fails with ErrDroppedSeriesLimit, and reading stops there too: no body
// costs more than droppedLimit series of the work of reading what is then
// thrown away, whether or not the series cache knows them. The result
// then still has Dropped, the drops counted by reason up to there.
// It does no I/O and keeps no state but opt.cache: the prometheus source
// calls it on its poll goroutine, tests call it on fixtures.
func scrapeProm(body []byte, contentType string, opt scrapeOptions) (res scrapeResult, err error) {
	if opt.cache != nil {
		defer func() { opt.cache.done(err == nil) }()
	}
	// Prometheus' lexers read a NUL byte as the end of the input, which
	// would make a binary body an empty scrape and cut a text one short
	// without a word.
	if i := bytes.IndexByte(body, 0); i >= 0 {
		return scrapeResult{}, fmt.Errorf("parsing metrics: %w at byte %d", errNULByte, i)
	}
	p, err := textparse.New(body, contentType, nil, textparse.ParserOptions{
		OpenMetricsSkipSTSeries: true,
		FallbackContentType:     fallbackContentType,
	})
	if p == nil {
		return scrapeResult{}, fmt.Errorf("parsing metrics: %w", clipError(opt.redact, err))
	}
	r := scrapeReader{p: p, opt: opt, types: familyTypes{}, seen: map[string]familySeen{}}
	if opt.cache != nil {
		r.out = opt.cache.takeOut()
		defer func() { opt.cache.giveOut(r.out) }()
	}
	if err != nil {
		r.warnings = append(r.warnings, clipError(opt.redact, err).Error())
	}
	if err := r.read(); errors.Is(err, ErrSampleLimit) {
		return scrapeResult{}, err
	} else if errors.Is(err, ErrDroppedSeriesLimit) {
		return scrapeResult{Dropped: r.drops.count}, err
	} else if err != nil {
		return scrapeResult{}, fmt.Errorf("parsing metrics: %w", clipError(opt.redact, err))
	}
	return r.finish(), nil
}

// errNULByte is a body no text exposition can be.
var errNULByte = errors.New("NUL byte in body")

// scrapeReader holds the state of one scrapeProm call.
type scrapeReader struct {
	p     textparse.Parser
	opt   scrapeOptions
	types familyTypes

	// The family being read, and every family met so far: a family met
	// again after another one is printed in more than one block.
	current  string
	seen     map[string]familySeen
	repeated []string

	// A one-entry cache of the last sample name: a family's samples come
	// together, so most lookups hit it, and the series of one metric share
	// one name string.
	lastName   string
	lastFamily string
	lastKind   aggregator.Kind
	lastKeep   bool

	work     int // reading done since the last yield (yieldWork)
	offered  int // series kept by include and exclude, for sampleLimit
	dropped  int // series dropped as they were read, for droppedLimit
	masked   int // new series whose text held a secret of the source (maskEchoedSecrets)
	out      []keyedScrape
	lset     labels.Labels
	drops    drops
	warnings []string
}

// familySeen is how often a family's block was met so far.
type familySeen uint8

const (
	familyNew familySeen = iota
	familyMet
	familyRepeated
)

type keyedScrape struct {
	key string // unique identity, for de-duplication and order
	s   scrapedSample
	// exposed is the identity /metrics gives the series when it renames
	// anything (renamed), for dropCollisions: found once, when the
	// series' text is first read, not at every scrape.
	exposed string
	renamed bool
}

func (r *scrapeReader) read() error {
	for {
		entry, err := r.p.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch entry {
		case textparse.EntryType:
			name, typ := r.p.Type()
			family := string(name)
			r.enter(family)
			r.types[family] = typ
			r.lastName = "" // the type of a name may have changed
		case textparse.EntryHelp:
			name, _ := r.p.Help()
			r.enter(string(name))
		case textparse.EntrySeries:
			if err := r.series(); err != nil {
				return err
			}
		case textparse.EntryHistogram:
			series, _, _, _ := r.p.Histogram()
			r.drops.add(dropNativeHistogram, func() string { return string(series) })
		}
	}
}

// enter notes that the body is now about family.
func (r *scrapeReader) enter(family string) {
	if family == r.current {
		return
	}
	switch r.seen[family] {
	case familyNew:
		r.seen[family] = familyMet
	case familyMet:
		r.seen[family] = familyRepeated
		r.repeated = append(r.repeated, family)
	}
	r.current = family
}

func (r *scrapeReader) series() error {
	series, ts, v := r.p.Series()
	r.spend(len(series) + yieldSeriesCost)
	var (
		known *cachedSeries
		h     [2]uint64
		name  string
	)
	if c := r.opt.cache; c != nil {
		h = c.hash(series)
		known = c.get(h)
	}
	if known != nil {
		name = known.name
	} else {
		r.p.Labels(&r.lset)
		name = r.lset.Get(model.MetricNameLabel)
	}
	if name != r.lastName {
		family, kind := r.types.resolve(name)
		r.lastName, r.lastFamily, r.lastKind = name, family, kind
		r.lastKeep = r.opt.keep(family)
	}
	r.enter(r.lastFamily)
	if !r.lastKeep {
		return nil
	}
	r.offered++
	if limit := r.opt.sampleLimit; limit > 0 && r.offered > limit {
		return sampleLimitError(limit)
	}
	if known != nil && known.drop != "" {
		if r.drops.count[known.drop] > 0 {
			// Dropped before, and this scrape already names a series
			// dropped for the same reason: counting it is all there is.
			r.drops.add(known.drop, nil)
			return r.droppedPast()
		}
		// The first of its reason in this scrape: read afresh, to be
		// named in the warning.
		r.p.Labels(&r.lset)
		known = nil
	}
	s := scrapedSample{Metric: r.lastName, Kind: r.lastKind, Value: v}
	if ts != nil {
		s.TimeMs, s.HasTime = *ts, true
	}
	if known != nil {
		s.Metric, s.Labels = known.metric, known.labels
		r.out = append(r.out, keyedScrape{key: known.key, s: s, exposed: known.exposed, renamed: known.renamed})
		return nil
	}
	// Checked on the labels as sent, before anything is built of them: a
	// target may send max_body_bytes of series that only exist to be
	// dropped, and their cost is then the lexing alone.
	if reason := r.opt.limits.checkSent(r.lset); reason != "" {
		return r.drop(h, name, reason, func() string { return seriesText(r.opt.redact, name, sentLabels(r.lset)) })
	}
	scraped, problem := scrapedLabels(r.lset, r.opt.redact)
	if problem == "" {
		var masked bool
		s.Metric, scraped, masked, problem = maskEchoedSecrets(r.opt.redact, s.Metric, scraped)
		if masked {
			r.masked++
		}
	}
	if problem != "" {
		return r.drop(h, name, dropInvalid, func() string { return clipBytes(r.opt.redact, series) + ": " + problem })
	}
	s.Labels = withTargetLabels(scraped, r.opt.targetLabels, r.opt.honorLabels)
	if reason := r.opt.limits.check(s.Metric, s.Labels); reason != "" {
		return r.drop(h, name, reason, func() string { return seriesText(r.opt.redact, s.Metric, s.Labels) })
	}
	key := identityKey(s.Metric, s.Labels)
	exposed, renamed := aggregator.ExposedIdentity(s.Metric, s.Labels)
	r.out = append(r.out, keyedScrape{key: key, s: s, exposed: exposed, renamed: renamed})
	if c := r.opt.cache; c != nil {
		c.put(h, &cachedSeries{name: name, metric: s.Metric, labels: s.Labels, key: key, exposed: exposed, renamed: renamed})
	}
	return nil
}

// scrapedLabels converts a parsed label set, leaving out the metric name
// and empty values (to Prometheus an empty label is no label). It returns
// why Prometheus would refuse the series, or "", naming the label as a
// warning quotes names (clipBytes, its secrets masked by redact).
func scrapedLabels(lset labels.Labels, redact *configs.Redactor) (aggregator.Labels, string) {
	out := make(aggregator.Labels, 0, lset.Len()-1)
	problem := ""
	lset.Range(func(l labels.Label) {
		switch {
		case l.Name == model.MetricNameLabel:
			if !utf8.ValidString(l.Value) {
				problem = "metric name is not UTF-8"
			}
			return
		case !utf8.ValidString(l.Name) || !utf8.ValidString(l.Value):
			problem = "label " + clipBytes(redact, l.Name) + " is not UTF-8"
		case len(out) > 0 && out[len(out)-1].Name == l.Name:
			problem = "label " + clipBytes(redact, l.Name) + " given twice"
		case l.Value == "":
			return
		}
		out = append(out, aggregator.Label{Name: l.Name, Value: l.Value})
	})
	return out, problem
}

// identityKey is a series' identity within one scrape as a string that
// no other identity shares (names and values cannot hold 0xff, which is
// not UTF-8), ordered by metric, then labels.
func identityKey(metric string, ls aggregator.Labels) string {
	n := len(metric) + 1
	for _, l := range ls {
		n += len(l.Name) + len(l.Value) + 2
	}
	b := make([]byte, 0, n)
	b = append(b, metric...)
	for _, l := range ls {
		b = append(b, 0xff)
		b = append(b, l.Name...)
		b = append(b, 0xfe)
		b = append(b, l.Value...)
	}
	return string(b)
}
