package collectors

import (
	"cmp"
	"slices"

	"github.com/pulseboard/pulseboard/aggregator"
)

// labelsOf turns a map into sorted Labels; nil for an empty map.
func labelsOf(m map[string]string) aggregator.Labels {
	if len(m) == 0 {
		return nil
	}
	ls := make(aggregator.Labels, 0, len(m))
	for k, v := range m {
		ls = append(ls, aggregator.Label{Name: k, Value: v})
	}
	sortLabels(ls)
	return ls
}

// pairs builds sorted Labels from name, value, name, value….
func pairs(nv ...string) aggregator.Labels {
	ls := make(aggregator.Labels, 0, len(nv)/2)
	for i := 0; i+1 < len(nv); i += 2 {
		ls = append(ls, aggregator.Label{Name: nv[i], Value: nv[i+1]})
	}
	sortLabels(ls)
	return ls
}

func sortLabels(ls aggregator.Labels) {
	slices.SortFunc(ls, func(a, b aggregator.Label) int { return cmp.Compare(a.Name, b.Name) })
}

// mergeLabels returns own plus every label of extra whose name own lacks,
// sorted. A sample's own label wins over a configured one: the source knows
// what it measured. own is not modified.
func mergeLabels(own, extra aggregator.Labels) aggregator.Labels {
	if len(extra) == 0 {
		return own
	}
	out := make(aggregator.Labels, 0, len(own)+len(extra))
	i, j := 0, 0
	for i < len(own) || j < len(extra) {
		switch {
		case j == len(extra) || (i < len(own) && own[i].Name < extra[j].Name):
			out = append(out, own[i])
			i++
		case i == len(own) || extra[j].Name < own[i].Name:
			out = append(out, extra[j])
			j++
		default: // same name: own wins
			out = append(out, own[i])
			i++
			j++
		}
	}
	return out
}
