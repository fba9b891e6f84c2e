package collectors

import (
	"cmp"
	"slices"

	"github.com/pulseboard/pulseboard/aggregator"
)

// sourceLabel is the label /metrics gives every series of a source. The
// batch carries its value, so a scrape never sets it, but it is a target
// label all the same: a scraped label of that name clashes with it.
const sourceLabel = "source"

// exportedPrefix is what Prometheus puts before a scraped label name that
// clashes with a target label under honor_labels: false.
const exportedPrefix = "exported_"

// withTargetLabels returns the labels of one scraped series once the
// source's configured labels (target, sorted, no empty value) are applied,
// sorted by name. It follows Prometheus' honor_labels:
//
//   - honor=false: every target label is set to its configured value, and
//     a scraped label that clashes with one is kept as exported_<name>, or
//     exported_exported_<name> when that is taken too, renaming the
//     shorter names first as Prometheus does;
//   - honor=true: a scraped label keeps its value, and a target label is
//     added only where the series lacks it.
//
// "source" is not a label a target may set in either mode: it is
// pulseboard's identity of the series' source (the configs refuse it as a
// configured label), so a scraped "source" always becomes
// exported_source, and the store, the API, the stream and /metrics all
// show it so.
//
// scraped must be sorted by name, without empty values; neither input is
// modified. It allocates only when it adds or renames a label.
func withTargetLabels(scraped, target aggregator.Labels, honor bool) aggregator.Labels {
	if honor {
		return mergeLabels(exportSourceLabel(scraped), target)
	}
	var clashes aggregator.Labels
	if v, ok := labelValue(scraped, sourceLabel); ok {
		clashes = append(clashes, aggregator.Label{Name: sourceLabel, Value: v})
	}
	for _, t := range target {
		if v, ok := labelValue(scraped, t.Name); ok && t.Name != sourceLabel {
			clashes = append(clashes, aggregator.Label{Name: t.Name, Value: v})
		}
	}
	if len(clashes) == 0 {
		return mergeLabels(scraped, target)
	}
	out := make(aggregator.Labels, 0, len(scraped)+len(target)+len(clashes))
	for _, l := range scraped {
		if _, ok := labelValue(target, l.Name); !ok && l.Name != sourceLabel {
			out = append(out, l)
		}
	}
	out = append(out, target...)
	// Prometheus renames the clashing labels shortest name first, each to
	// the first exported_… name nobody holds yet, the renamed ones included.
	slices.SortStableFunc(clashes, func(a, b aggregator.Label) int { return cmp.Compare(len(a.Name), len(b.Name)) })
	for _, c := range clashes {
		name := exportedPrefix + c.Name
		for hasLabel(out, name) {
			name = exportedPrefix + name
		}
		out = append(out, aggregator.Label{Name: name, Value: c.Value})
	}
	sortLabels(out)
	return out
}

// exportSourceLabel returns ls with a "source" label renamed
// exported_source (exported_exported_source when that is taken, and so
// on), sorted; ls itself when it has none. Every sample goes through it
// (collector.prepare), so no source type can set "source"; see
// withTargetLabels.
func exportSourceLabel(ls aggregator.Labels) aggregator.Labels {
	v, ok := labelValue(ls, sourceLabel)
	if !ok {
		return ls
	}
	out := make(aggregator.Labels, 0, len(ls))
	for _, l := range ls {
		if l.Name != sourceLabel {
			out = append(out, l)
		}
	}
	name := exportedPrefix + sourceLabel
	for hasLabel(out, name) {
		name = exportedPrefix + name
	}
	out = append(out, aggregator.Label{Name: name, Value: v})
	sortLabels(out)
	return out
}

// labelValue looks name up in ls, which is sorted by name.
func labelValue(ls aggregator.Labels, name string) (string, bool) {
	i, ok := slices.BinarySearchFunc(ls, name, func(l aggregator.Label, n string) int { return cmp.Compare(l.Name, n) })
	if !ok {
		return "", false
	}
	return ls[i].Value, true
}

// hasLabel says whether an unsorted ls holds name.
func hasLabel(ls aggregator.Labels, name string) bool {
	return slices.ContainsFunc(ls, func(l aggregator.Label) bool { return l.Name == name })
}
