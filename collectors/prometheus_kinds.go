package collectors

import (
	"strings"

	"github.com/prometheus/common/model"

	"github.com/pulseboard/pulseboard/aggregator"
)

// How a scraped sample's kind is found
//
// Both text formats name a family in its TYPE line and then print samples
// whose names are the family name plus a suffix that depends on the type.
// A sample belongs to a family when the family was declared (by its TYPE
// line) and the sample's suffix is one that type prints; its kind then
// follows from the type and the suffix:
//
//	type (format)               sample names                    kind
//	counter (both)              name, name_total                counter
//	gauge (both)                name                            gauge
//	untyped / unknown           name                            gauge
//	histogram (both)            name_bucket, name_sum, name_count  counter
//	gaugehistogram (OpenMetrics) name_bucket, name_gsum, name_gcount gauge
//	summary (both)              name{quantile}                  gauge
//	                            name_sum, name_count            counter
//	info (OpenMetrics)          name_info                       gauge (always 1)
//	stateset (OpenMetrics)      name{name="state"}              gauge (0 or 1)
//
// OpenMetrics' name_created samples of counters, histograms and summaries
// are start times, not values: the parser leaves them out. A sample that
// fits no declared family (no TYPE line, or a suffix its family's type does
// not print, such as a quantile sample in a histogram) is a family of its
// own, untyped, hence a gauge: it is ingested exactly as sent, and nothing
// is made up for what a malformed family lacks.

// familySuffixes lists, per type, the suffixes its samples carry and the
// kind of each.
var familySuffixes = map[model.MetricType][]suffixKind{
	model.MetricTypeCounter:        {{"", aggregator.KindCounter}, {"_total", aggregator.KindCounter}},
	model.MetricTypeGauge:          {{"", aggregator.KindGauge}},
	model.MetricTypeUnknown:        {{"", aggregator.KindGauge}},
	model.MetricTypeHistogram:      {{"_bucket", aggregator.KindCounter}, {"_sum", aggregator.KindCounter}, {"_count", aggregator.KindCounter}},
	model.MetricTypeGaugeHistogram: {{"_bucket", aggregator.KindGauge}, {"_gsum", aggregator.KindGauge}, {"_gcount", aggregator.KindGauge}},
	model.MetricTypeSummary:        {{"", aggregator.KindGauge}, {"_sum", aggregator.KindCounter}, {"_count", aggregator.KindCounter}},
	model.MetricTypeInfo:           {{"_info", aggregator.KindGauge}},
	model.MetricTypeStateset:       {{"", aggregator.KindGauge}},
}

type suffixKind struct {
	suffix string
	kind   aggregator.Kind
}

// knownSuffixes are every non-empty suffix of familySuffixes, longest
// first so that "_gcount" is tried before "_count".
var knownSuffixes = []string{"_bucket", "_gcount", "_count", "_total", "_info", "_gsum", "_sum"}

// familyTypes is the TYPE lines seen so far in one body, by family name.
type familyTypes map[string]model.MetricType

// resolve returns the family a sample called name belongs to and its kind.
func (ft familyTypes) resolve(name string) (family string, kind aggregator.Kind) {
	if k, ok := ft.fits(name, ""); ok {
		return name, k
	}
	for _, suf := range knownSuffixes {
		if base, ok := strings.CutSuffix(name, suf); ok && base != "" {
			if k, ok := ft.fits(base, suf); ok {
				return base, k
			}
		}
	}
	return name, aggregator.KindGauge
}

func (ft familyTypes) fits(family, suffix string) (aggregator.Kind, bool) {
	typ, ok := ft[family]
	if !ok {
		return 0, false
	}
	for _, sk := range familySuffixes[typ] {
		if sk.suffix == suffix {
			return sk.kind, true
		}
	}
	return 0, false
}
