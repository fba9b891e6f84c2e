package collectors

import (
	"cmp"
	"slices"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

// A hostile or careless target can echo the source's own credentials (the
// Authorization header's token, a header's value, a query value of the
// URL) back into what it exposes: m{auth="Bearer s3cret"}. Nothing in the
// series is an error, so the masking of error text never saw it, and it
// went unmasked to /metrics, the snapshot, the stream and the stored
// history, to viewers who may not hold the target's credentials. The
// prometheus source masks them as a series is created (its text read for
// the first time; a known series comes from the seriesCache masked
// already), so the per-sample path costs nothing. The json and http
// sources take no names or labels from the body: theirs are configured.

// maskEchoedSecrets returns metric and scraped (sorted by name, owned by
// the caller, modified in place) with every secret of r masked by
// configs.URLMask in the metric name, the label names and the label
// values, and whether any was. Masking a name may reorder the labels, so
// they are sorted again; two names that become one make problem say so,
// and the series is then refused like any series with a label given twice.
func maskEchoedSecrets(r *configs.Redactor, metric string, scraped aggregator.Labels) (_ string, _ aggregator.Labels, masked bool, problem string) {
	metric, masked = r.MaskSecrets(metric)
	renamed := false
	for i := range scraped {
		if v, ok := r.MaskSecrets(scraped[i].Value); ok {
			scraped[i].Value, masked = v, true
		}
		if n, ok := r.MaskSecrets(scraped[i].Name); ok {
			scraped[i].Name, masked, renamed = n, true, true
		}
	}
	if renamed {
		slices.SortStableFunc(scraped, func(a, b aggregator.Label) int { return cmp.Compare(a.Name, b.Name) })
		for i := 1; i < len(scraped); i++ {
			if scraped[i].Name == scraped[i-1].Name {
				return metric, scraped, true, "label " + scraped[i].Name + " given twice once the source's secrets are masked"
			}
		}
	}
	return metric, scraped, masked, ""
}
