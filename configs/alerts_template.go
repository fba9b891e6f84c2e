package configs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Alert annotations are Go text/template templates, as in Prometheus:
// {{ $value }} is the rule's statistic, {{ $labels.cpu }} a label of the
// alert, and the functions below humanize numbers. They are parsed when
// the config loads, so a broken template is a config error with its
// position, and executed by the evaluator on every change of an alert.

// AlertTemplateData is what an annotation template executes on. Templates
// read it through $labels and $value.
type AlertTemplateData struct {
	Labels map[string]string
	Value  float64
}

// templatePreamble gives the templates Prometheus' variable names.
const templatePreamble = "{{$labels := .Labels}}{{$value := .Value}}"

// maxTemplateLen bounds an annotation template's text.
const maxTemplateLen = 4096

// alertTemplateFuncs are the functions an annotation may call, named and
// behaving as Prometheus' template functions of the same names.
var alertTemplateFuncs = template.FuncMap{
	"humanize":           Humanize,
	"humanize1024":       Humanize1024,
	"humanizeDuration":   HumanizeDuration,
	"humanizePercentage": func(v float64) string { return trimFloat(v*100, 4) + "%" },
	"toUpper":            strings.ToUpper,
	"toLower":            strings.ToLower,
	"title": func(s string) string {
		words := strings.Fields(s)
		for i, w := range words {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
		return strings.Join(words, " ")
	},
}

// ParseAlertTemplate parses an annotation template named name. The error
// is text/template's, without its "template: name:" prefix.
func ParseAlertTemplate(name, text string) (*template.Template, error) {
	if len(text) > maxTemplateLen {
		return nil, fmt.Errorf("template is %d bytes, more than %d", len(text), maxTemplateLen)
	}
	t, err := template.New(name).Option("missingkey=zero").Funcs(alertTemplateFuncs).Parse(templatePreamble + text)
	if err != nil {
		msg := err.Error()
		if _, rest, ok := strings.Cut(msg, "template: "+name+":"); ok {
			msg = "template: line " + strings.TrimSpace(rest)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	return t, nil
}

// Humanize writes v with an SI prefix and 4 significant digits: 1234567
// is "1.235M", 0.0012 is "1.2m", as Prometheus' humanize.
func Humanize(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return trimFloat(v, 4)
	}
	if math.Abs(v) >= 1 {
		prefix := ""
		for _, p := range []string{"k", "M", "G", "T", "P", "E", "Z", "Y"} {
			if math.Abs(v) < 1000 {
				break
			}
			prefix = p
			v /= 1000
		}
		return trimFloat(v, 4) + prefix
	}
	prefix := ""
	for _, p := range []string{"m", "u", "n", "p", "f", "a", "z", "y"} {
		if math.Abs(v) >= 1 {
			break
		}
		prefix = p
		v *= 1000
	}
	return trimFloat(v, 4) + prefix
}

// Humanize1024 is Humanize with binary prefixes: 1536 is "1.5ki".
func Humanize1024(v float64) string {
	if math.Abs(v) <= 1 || math.IsNaN(v) || math.IsInf(v, 0) {
		return trimFloat(v, 4)
	}
	prefix := ""
	for _, p := range []string{"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"} {
		if math.Abs(v) < 1024 {
			break
		}
		prefix = p
		v /= 1024
	}
	return trimFloat(v, 4) + prefix
}

// HumanizeDuration writes seconds as "1d 2h 3m 4s", or "1.5ms" below a
// second.
func HumanizeDuration(seconds float64) string {
	if math.IsNaN(seconds) || math.IsInf(seconds, 0) {
		return trimFloat(seconds, 4)
	}
	if math.Abs(seconds) < 1 {
		if seconds == 0 {
			return "0s"
		}
		return time.Duration(seconds * float64(time.Second)).Round(time.Microsecond).String()
	}
	sign := ""
	if seconds < 0 {
		sign, seconds = "-", -seconds
	}
	s := int64(seconds)
	d, h, m := s/86400, s/3600%24, s/60%60
	var parts []string
	if d > 0 {
		parts = append(parts, strconv.FormatInt(d, 10)+"d")
	}
	if h > 0 {
		parts = append(parts, strconv.FormatInt(h, 10)+"h")
	}
	if m > 0 {
		parts = append(parts, strconv.FormatInt(m, 10)+"m")
	}
	parts = append(parts, trimFloat(seconds-float64(s-s%60), 4)+"s")
	return sign + strings.Join(parts, " ")
}

// trimFloat writes v with at most digits significant digits.
func trimFloat(v float64, digits int) string {
	return strconv.FormatFloat(v, 'g', digits, 64)
}
