package configs

// The label limits' defaults. They follow the per-series limits of the
// Prometheus-compatible stores (Cortex and Mimir refuse more than 30 label
// names per series) and are tighter on length, because pulseboard repeats
// a series' labels in every window statistic on /metrics (about 30 times)
// and sends them to every dashboard, where anything past a few dozen
// characters is cut off anyway: a 1,024-byte value holds any Kubernetes
// name (253), a long file path or URL path, and bounds a series' labels to
// 30 × (128 + 1,024) bytes ≈ 34 KB whatever a target sends.
const (
	DefaultLabelLimit            = 30
	DefaultLabelNameLengthLimit  = 128
	DefaultLabelValueLengthLimit = 1024
)

// LabelLimits bounds the labels of every series of a source, as Prometheus'
// scrape options of the same names do (lengths in bytes; 0 turns a limit
// off, as in Prometheus). The prometheus,
// json and simulated specs embed it inline. A scraped series past a limit
// is dropped and counted by the limit's name; labels written in the config
// (the source's labels, a simulated series' labels) are checked when the
// file is loaded, so a config that breaks a limit is refused instead.
type LabelLimits struct {
	// LabelLimit is the most labels one series may have, the configured
	// ones included, the metric name and "source" not counted.
	LabelLimit int `yaml:"label_limit"`
	// LabelNameLengthLimit is the longest label name, in bytes.
	LabelNameLengthLimit int `yaml:"label_name_length_limit"`
	// LabelValueLengthLimit is the longest label value, and metric name
	// (Prometheus' __name__ is a label too), in bytes.
	LabelValueLengthLimit int `yaml:"label_value_length_limit"`
}

// newLabelLimits returns the limits' defaults.
func newLabelLimits() LabelLimits {
	return LabelLimits{
		LabelLimit:            DefaultLabelLimit,
		LabelNameLengthLimit:  DefaultLabelNameLengthLimit,
		LabelValueLengthLimit: DefaultLabelValueLengthLimit,
	}
}

// Limits returns the limits themselves; the specs that embed LabelLimits
// have it too, which is how Source.Validate finds them.
func (l LabelLimits) Limits() LabelLimits { return l }

func (l LabelLimits) validate(p *problems) {
	notNegative(p, "label_limit", l.LabelLimit)
	notNegative(p, "label_name_length_limit", l.LabelNameLengthLimit)
	notNegative(p, "label_value_length_limit", l.LabelValueLengthLimit)
}

// notNegative records a limit below 0; 0 turns a limit off, as it does in
// Prometheus (and a spec built in code without its defaults has none).
func notNegative(p *problems, path string, v int) {
	if v < 0 {
		p.addf(path, "must not be negative (0 turns the limit off), got %d", v)
	}
}

// labelLimited is a spec with label limits.
type labelLimited interface{ Limits() LabelLimits }

// labelSet is one set of labels written in a spec, that series carry
// beside the source's own labels; implicit counts the labels pulseboard
// adds to them (a simulated series' "instance").
type labelSet struct {
	path     string
	labels   map[string]string
	implicit int
}

// labelSetter is a spec whose series carry labels of their own.
type labelSetter interface{ labelSets() []labelSet }

// checkConfiguredLabels checks the labels a config gives a source (common,
// and each of the spec's sets merged with them) against the spec's limits,
// if it has any.
func checkConfiguredLabels(p *problems, common map[string]string, spec SourceSpec) {
	ll, ok := spec.(labelLimited)
	if !ok {
		return
	}
	l := ll.Limits()
	l.checkLengths(p, "labels", common)
	sets := []labelSet{{path: "labels"}}
	if ls, ok := spec.(labelSetter); ok {
		sets = ls.labelSets()
	}
	counted := map[string]bool{}
	for _, set := range sets {
		if set.path != "labels" {
			l.checkLengths(p, set.path, set.labels)
		}
		n := len(common) + set.implicit
		for name := range set.labels {
			if _, dup := common[name]; !dup {
				n++
			}
		}
		if l.LabelLimit > 0 && n > l.LabelLimit && !counted[set.path] {
			counted[set.path] = true
			p.addf(set.path, "%d labels per series (the source's labels included) is more than label_limit %d", n, l.LabelLimit)
		}
	}
}

// checkLengths reports each label name or value longer than its limit.
func (l LabelLimits) checkLengths(p *problems, path string, labels map[string]string) {
	for _, name := range sortedKeys(labels) {
		if l.LabelNameLengthLimit > 0 && len(name) > l.LabelNameLengthLimit {
			p.keyf(joinPath(path, name), "label name is %d bytes long, more than label_name_length_limit %d", len(name), l.LabelNameLengthLimit)
		}
		if v := labels[name]; l.LabelValueLengthLimit > 0 && len(v) > l.LabelValueLengthLimit {
			p.addf(joinPath(path, name), "label value is %d bytes long, more than label_value_length_limit %d", len(v), l.LabelValueLengthLimit)
		}
	}
}
