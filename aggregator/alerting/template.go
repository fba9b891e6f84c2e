package alerting

import (
	"errors"
	"maps"
	"strings"

	"github.com/pulseboard/pulseboard/configs"
)

// maxAnnotationBytes bounds an expanded annotation: it goes to every
// dashboard and every Alertmanager.
const maxAnnotationBytes = configs.MaxAnnotationBytes

// errCut stops an execution whose annotation is full: what it would write
// next would be dropped, so the work of writing it is not done.
var errCut = errors.New("annotation cut")

// expand renders the rule's annotations for the instance's labels (with
// severity) and value, as Prometheus does: a template that fails gives
// "<error expanding template: …>" instead of its text, so the alert still
// goes out. in.changed is set when the text changed.
func (rs *ruleState) expand(in *instance) {
	if len(rs.rule.annotations) == 0 {
		if in.annotations == nil {
			in.annotations = noAnnotations
		}
		return
	}
	data := configs.AlertTemplateData{Labels: in.labelsShown(), Value: in.value}
	out := make(map[string]string, len(rs.rule.annotations))
	for name, t := range rs.rule.annotations {
		var b limitedBuilder
		if err := t.Execute(&b, data); err != nil && !errors.Is(err, errCut) {
			if rs.templateErrors != nil {
				rs.templateErrors.Add(1)
			}
			out[name] = "<error expanding template: " + err.Error() + ">"
			continue
		}
		out[name] = b.String()
	}
	if !maps.Equal(out, in.annotations) {
		in.annotations, in.changed = out, true
	}
}

// noAnnotations are the annotations of every alert of a rule without any:
// one empty map, read-only, shared.
var noAnnotations = map[string]string{}

// limitedBuilder keeps the first maxAnnotationBytes written to it, marks
// the cut with "…", and fails the write that passes the bound with errCut,
// which ends the execution.
type limitedBuilder struct {
	strings.Builder
	cut bool
}

func (b *limitedBuilder) Write(p []byte) (int, error) {
	room := maxAnnotationBytes - b.Len()
	if len(p) > room {
		if room > 0 {
			b.Builder.Write(p[:room])
		}
		b.cut = true
		return room, errCut
	}
	return b.Builder.Write(p)
}

func (b *limitedBuilder) String() string {
	if b.cut {
		return strings.ToValidUTF8(b.Builder.String(), "") + "…"
	}
	return b.Builder.String()
}
