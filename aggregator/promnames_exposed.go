package aggregator

import (
	"slices"
	"strings"
)

// ExposedIdentity returns the identity /metrics gives a series of one
// source, its family name and renamed label names with their values,
// rendered like Labels.String after the name, when the exposition renames
// anything (an invalid character, a "pulseboard_" name, a reserved or
// "source" label name); otherwise it returns "" and false, and the series
// is exposed as it is stored. Two series of one source with the same
// exposed identity would be one series on /metrics, so the collectors
// drop all but one of them at scrape time and count a collision.
//
// ls must be sorted by name. It is a pure function, safe from any
// goroutine.
func ExposedIdentity(metric string, ls Labels) (string, bool) {
	renamed := promMetricName(metric) != metric
	for _, l := range ls {
		if renamed {
			break
		}
		renamed = l.Name == "source" || !validLabelName(l.Name)
	}
	if !renamed {
		return "", false
	}
	names := promLabelNames(ls, "source")
	exposed := make(Labels, len(ls))
	for i, l := range ls {
		exposed[i] = Label{Name: names[i], Value: l.Value}
	}
	slices.SortFunc(exposed, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	return promMetricName(metric) + exposed.String(), true
}
