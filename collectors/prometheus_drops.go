package collectors

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/pulseboard/pulseboard/configs"
)

// drops counts what one scrape left out, by reason, with the first series
// left out for each reason, to name it in a warning.
type drops struct {
	count map[string]int
	first map[string]string
}

// add counts one series left out for reason; series names it, and is
// called only for the first of its reason (naming one costs a masking and
// a clipping, and a hostile body sends thousands to be dropped). A nil
// series is allowed only once the reason has a first.
func (d *drops) add(reason string, series func() string) {
	if d.count == nil {
		d.count, d.first = map[string]int{}, map[string]string{}
	}
	if d.count[reason] == 0 {
		d.first[reason] = series()
	}
	d.count[reason]++
}

// dropWhy says, per reason, what the series left out have in common.
var dropWhy = map[string]string{
	dropDuplicate:       "sent more than once (the first kept)",
	dropCollision:       "that are one series on /metrics once names are sanitised (the first kept)",
	dropMaxSeries:       "over max_series",
	dropInvalid:         "that Prometheus would refuse",
	dropNativeHistogram: "holding native histograms, which are not stored",
}

// dropOrder is the order in which a warning names the reasons.
var dropOrder = []string{
	dropDuplicate, dropCollision, dropMaxSeries, dropInvalid, dropNativeHistogram,
	dropLabelLimit, dropLabelNameLength, dropLabelValueLength,
}

// finish orders the samples, drops repeats, collisions and what passes
// max_series, and writes the warnings. Truncation keeps the first
// maxSeries series in identity order, so the same series survive every
// scrape of the same target.
//
// It yields as reading does (r.spend): ordering 9,000 keys of a kilobyte
// each is milliseconds of comparisons.
func (r *scrapeReader) finish() scrapeResult {
	slices.SortStableFunc(r.out, func(a, b keyedScrape) int {
		r.spend(compareCost)
		return cmp.Compare(a.key, b.key)
	})
	kept := r.out[:0]
	for i, ks := range r.out {
		r.spend(compareCost)
		if i > 0 && ks.key == r.out[i-1].key {
			r.drops.add(dropDuplicate, func() string { return seriesText(r.opt.redact, ks.s.Metric, ks.s.Labels) })
			continue
		}
		kept = append(kept, ks)
	}
	kept = r.dropCollisions(kept)
	if m := r.opt.maxSeries; m > 0 && len(kept) > m {
		for _, ks := range kept[m:] {
			r.drops.add(dropMaxSeries, func() string { return seriesText(r.opt.redact, ks.s.Metric, ks.s.Labels) })
		}
		kept = kept[:m]
	}

	res := scrapeResult{Samples: make([]scrapedSample, len(kept)), Dropped: r.drops.count, Masked: r.masked}
	for i, ks := range kept {
		res.Samples[i] = ks.s
	}
	res.Warnings = r.warnings
	if r.masked > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("masked the source's credentials (%s) in %d new series: the target sends them back in metric names or labels", configs.URLMask, r.masked))
	}
	if len(r.repeated) > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s printed in more than one block; all series kept", familyList(r.opt.redact, r.repeated)))
	}
	for _, reason := range dropOrder {
		n := r.drops.count[reason]
		if n == 0 {
			continue
		}
		why := dropWhy[reason]
		switch reason {
		case dropMaxSeries:
			why = fmt.Sprintf("over max_series %d", r.opt.maxSeries)
		case dropLabelLimit, dropLabelNameLength, dropLabelValueLength:
			why = r.opt.limits.why(reason)
		}
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: dropped %d series %s (first: %s)", reason, n, why, r.drops.first[reason]))
	}
	return res
}

// dropCollisions leaves out every series whose exposed identity (see
// aggregator.ExposedIdentity) an earlier one of in, sorted, already has.
// Most scrapes rename nothing, and then it costs one scan.
//
// The exposed identities were found as the series were first read
// (keyedScrape.exposed): checking every label name of every series at
// every scrape was a stretch of milliseconds on a wide target.
func (r *scrapeReader) dropCollisions(in []keyedScrape) []keyedScrape {
	if !slices.ContainsFunc(in, func(ks keyedScrape) bool { return ks.renamed }) {
		return in
	}
	holder := make(map[string]string, len(in))
	out := in[:0]
	for _, ks := range in {
		r.spend(yieldSeriesCost)
		plain := seriesText(r.opt.redact, ks.s.Metric, ks.s.Labels)
		id := plain
		if ks.renamed {
			id = ks.exposed
		}
		if first, taken := holder[id]; taken {
			r.drops.add(dropCollision, func() string { return plain + " as " + id + ", like " + first })
			continue
		}
		holder[id] = plain
		out = append(out, ks)
	}
	return out
}

// familyList renders "family a", "families a, b" or "families a, b, c
// and 4 more".
func familyList(redact *configs.Redactor, names []string) string {
	const show = 3
	clipped := make([]string, min(len(names), show))
	for i := range clipped {
		clipped[i] = clipBytes(redact, names[i]) // a name is as long as a target makes it
	}
	switch {
	case len(names) == 1:
		return "family " + clipped[0]
	case len(names) <= show:
		return "families " + strings.Join(clipped, ", ")
	}
	return fmt.Sprintf("families %s and %d more", strings.Join(clipped, ", "), len(names)-show)
}

// drop counts a series left out for reason, naming it (text, called only
// for the first of its reason in the scrape), and remembers the verdict in
// the series cache under the series' text hash h, so that the next scrape
// of the same text only lexes it. It returns droppedPast's error.
func (r *scrapeReader) drop(h [2]uint64, name, reason string, text func() string) error {
	r.drops.add(reason, text)
	if c := r.opt.cache; c != nil {
		c.put(h, &cachedSeries{name: name, drop: reason})
	}
	return r.droppedPast()
}

// droppedPast counts one more series dropped as it was read, and fails the
// scrape with ErrDroppedSeriesLimit once they pass droppedLimit: a target
// whose dropped series are new at every scrape (a changing part in each:
// the series cache never knows them) cost 27 % of a core at 3,000 a second
// (issue 14, round 7, N2 vary). Prometheus fails a scrape at its first
// series past a label limit; droppedLimit lets a target with a few bad
// series keep the rest.
func (r *scrapeReader) droppedPast() error {
	r.dropped++
	if limit := r.opt.droppedLimit; limit > 0 && r.dropped > limit {
		return droppedLimitError(limit, r.drops.count)
	}
	return nil
}

// droppedLimitError is the error of a scrape over dropped_series_limit,
// with the drops by reason so far.
func droppedLimitError(limit int, byReason map[string]int) error {
	var parts []string
	for _, reason := range dropOrder {
		if n := byReason[reason]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", reason, n))
		}
	}
	return fmt.Errorf("%w %d exceeded: the target sends more series than that which are dropped as read (%s); reading stopped, none kept",
		ErrDroppedSeriesLimit, limit, strings.Join(parts, ", "))
}

// yieldWork is how much reading a scrape does between two
// runtime.Gosched calls, in bytes of series text, each series counted
// yieldSeriesCost bytes more for what it costs besides its text (a hash,
// a lookup). On a server given one core (GOMAXPROCS 1), a body of tens of
// thousands of series, or of megabytes of series to be dropped, is tens of
// milliseconds of parsing, and the stream's writers waited behind it for
// the scheduler's 10 ms preemption at best. 64 KiB is a fraction of a
// millisecond of lexing: the writers get in that often, for a cost too
// small to measure (a Gosched with nothing else to run is a few hundred
// nanoseconds).
const (
	yieldWork       = 64 << 10
	yieldSeriesCost = 64
)

// compareCost is what finish counts for comparing two series' keys, in
// yieldWork's bytes.
const compareCost = 16

// yield is runtime.Gosched; tests count the calls.
var yield = runtime.Gosched

// spend counts work done reading a scrape and yields once it reaches
// yieldWork since the last yield.
func (r *scrapeReader) spend(work int) {
	if r.work += work; r.work >= yieldWork {
		r.work = 0
		yield()
	}
}

// sampleLimitError is the error of a scrape over sample_limit.
func sampleLimitError(limit int) error {
	return fmt.Errorf("%w %d exceeded: the target sends more series than that (after include and exclude); none kept", ErrSampleLimit, limit)
}
