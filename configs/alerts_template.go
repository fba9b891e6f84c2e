package configs

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"text/template"
	tparse "text/template/parse"
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

// preambleNodes is how many nodes of a parsed template's root are the
// preamble's.
const preambleNodes = 2

// maxTemplateLen bounds an annotation template's text.
const maxTemplateLen = 4096

// MaxAnnotationBytes bounds an expanded annotation: it goes to every
// dashboard and every Alertmanager. What a template writes past it is
// cut, and the execution stops there.
const MaxAnnotationBytes = 4096

// maxTemplateWork bounds what the functions of one execution may return
// in all (bytes): sixteen annotations' worth.
const maxTemplateWork = 16 * MaxAnnotationBytes

// ErrTemplateWork is the error of an execution whose functions returned
// more than maxTemplateWork bytes.
var ErrTemplateWork = fmt.Errorf("the template's functions returned more than %d bytes", maxTemplateWork)

// AlertTemplate is an annotation template, parsed and checked. Its work is
// bounded whatever its text (issue 14, trial round 8, F1: a 27-byte
// {{range 30000000}}{{end}} held the evaluator, and with it /metrics and
// the exit, for good, while only what it wrote was capped):
//
//   - a loop ranges only over $labels, and never inside another, so an
//     execution runs each action at most once per label;
//   - define, block and template are refused, so nothing recurses;
//   - $labels and $value cannot be declared again or assigned;
//   - the functions (print, printf, println, html, js, urlquery and the
//     humanizers among them) charge what they return to a budget of
//     maxTemplateWork bytes an execution, past which it fails, and a
//     call that could build more than the budget has left (a printf's
//     widths, precisions and arguments, alerts_template_bound.go) fails
//     it before it runs;
//   - the caller's writer may stop the execution with an error once it
//     has what it keeps (alerting's cut at MaxAnnotationBytes).
//
// Execute is safe for concurrent use; executions of one template run one
// at a time (the evaluator runs them all on its goroutine).
type AlertTemplate struct {
	t    *template.Template
	mu   sync.Mutex
	left int // bytes the running execution's functions may still return
}

// Execute runs the template on data, writing to w. Its error is the
// template's, ErrTemplateWork (wrapped) when the budget ran out, or w's.
func (at *AlertTemplate) Execute(w io.Writer, data AlertTemplateData) error {
	at.mu.Lock()
	defer at.mu.Unlock()
	at.left = maxTemplateWork
	return at.t.Execute(w, data)
}

// charge takes n bytes of function results from the running execution's
// budget, or fails it. Called with at.mu held (from inside Execute).
func (at *AlertTemplate) charge(s string) (string, error) {
	if at.left -= len(s); at.left < 0 {
		return "", ErrTemplateWork
	}
	return s, nil
}

// call runs f, whose result is at most bound bytes, when the running
// execution's budget could pay that bound, and charges what it returned;
// else fails the execution without running it (alerts_template_bound.go
// says why). Called with at.mu held (from inside Execute).
func (at *AlertTemplate) call(bound int, f func() string) (string, error) {
	if bound > at.left {
		at.left = -1
		return "", ErrTemplateWork
	}
	return at.charge(f())
}

// funcs are the functions an annotation may call, named and behaving as
// Prometheus' template functions of the same names, and text/template's
// builtins that build text, each refused when what it could build is past
// at's budget, and charging what it returned.
func (at *AlertTemplate) funcs() template.FuncMap {
	str := func(f func(string) string) func(string) (string, error) {
		// Case mapping writes an invalid byte as U+FFFD: three bytes.
		return func(s string) (string, error) { return at.call(3*len(s)+16, func() string { return f(s) }) }
	}
	num := func(f func(float64) string) func(float64) (string, error) {
		return func(v float64) (string, error) { return at.call(leafOverhead, func() string { return f(v) }) }
	}
	// The escapers write each byte of their arguments' Sprint as at most
	// six ("\u003c").
	args := func(factor int, f func(...any) string) func(...any) (string, error) {
		return func(a ...any) (string, error) {
			return at.call(printBound(factor, a...), func() string { return f(a...) })
		}
	}
	return template.FuncMap{
		"humanize":           num(Humanize),
		"humanize1024":       num(Humanize1024),
		"humanizeDuration":   num(HumanizeDuration),
		"humanizePercentage": num(func(v float64) string { return trimFloat(v*100, 4) + "%" }),
		"toUpper":            str(strings.ToUpper),
		"toLower":            str(strings.ToLower),
		"title":              str(title),
		"print":              args(1, fmt.Sprint),
		"println":            args(1, fmt.Sprintln),
		"printf": func(format string, a ...any) (string, error) {
			return at.call(printfBound(format, a), func() string { return fmt.Sprintf(format, a...) })
		},
		"html":     args(6, template.HTMLEscaper),
		"js":       args(6, template.JSEscaper),
		"urlquery": args(6, template.URLQueryEscaper),
	}
}

func title(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// ParseAlertTemplate parses and checks an annotation template named name
// (AlertTemplate says what is refused). The error is text/template's,
// without its "template: name:" prefix, or the check's, as "template:
// line N: …".
func ParseAlertTemplate(name, text string) (*AlertTemplate, error) {
	if len(text) > maxTemplateLen {
		return nil, fmt.Errorf("template is %d bytes, more than %d", len(text), maxTemplateLen)
	}
	at := &AlertTemplate{}
	t, err := template.New(name).Option("missingkey=zero").Funcs(at.funcs()).Parse(templatePreamble + text)
	if err != nil {
		msg := err.Error()
		if _, rest, ok := strings.Cut(msg, "template: "+name+":"); ok {
			msg = "template: line " + strings.TrimSpace(rest)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	if len(t.Templates()) > 1 {
		return nil, fmt.Errorf("template: define and block are not allowed in an annotation")
	}
	c := templateCheck{tree: t.Tree}
	if err := c.list(t.Tree.Root, 0, preambleNodes); err != nil {
		return nil, err
	}
	at.t = t
	return at, nil
}

// templateCheck walks a parsed annotation for what AlertTemplate refuses.
type templateCheck struct{ tree *tparse.Tree }

func (c templateCheck) fail(n tparse.Node, format string, a ...any) error {
	loc, _ := c.tree.ErrorContext(n) // "name:line:col"
	line := "?"
	if parts := strings.Split(loc, ":"); len(parts) >= 3 {
		line = parts[len(parts)-2]
	}
	return fmt.Errorf("template: line %s: %s", line, fmt.Sprintf(format, a...))
}

// list checks l's nodes from the skip-th on; ranges is how many ranges
// enclose them.
func (c templateCheck) list(l *tparse.ListNode, ranges, skip int) error {
	if l == nil {
		return nil
	}
	for i, n := range l.Nodes {
		if i < skip {
			continue
		}
		if err := c.node(n, ranges); err != nil {
			return err
		}
	}
	return nil
}

func (c templateCheck) node(n tparse.Node, ranges int) error {
	switch n := n.(type) {
	case *tparse.ActionNode:
		return c.pipe(n.Pipe)
	case *tparse.IfNode:
		return c.branch(&n.BranchNode, ranges)
	case *tparse.WithNode:
		return c.branch(&n.BranchNode, ranges)
	case *tparse.RangeNode:
		if ranges > 0 {
			return c.fail(n, "a range inside a range is not allowed in an annotation")
		}
		if !rangesOverLabels(n.Pipe) {
			return c.fail(n, "an annotation may range over $labels only")
		}
		return c.branch(&n.BranchNode, ranges+1)
	case *tparse.TemplateNode:
		return c.fail(n, "{{template}} is not allowed in an annotation")
	}
	return nil // text, comments, break, continue
}

func (c templateCheck) branch(b *tparse.BranchNode, ranges int) error {
	if err := c.pipe(b.Pipe); err != nil {
		return err
	}
	if err := c.list(b.List, ranges, 0); err != nil {
		return err
	}
	return c.list(b.ElseList, ranges, 0)
}

// pipe refuses a declaration or assignment of $labels or $value, in p or
// in a pipeline nested in its arguments.
func (c templateCheck) pipe(p *tparse.PipeNode) error {
	if p == nil {
		return nil
	}
	for _, v := range p.Decl {
		if v.Ident[0] == "$labels" || v.Ident[0] == "$value" {
			return c.fail(v, "%s cannot be declared or assigned in an annotation", v.Ident[0])
		}
	}
	for _, cmd := range p.Cmds {
		if err := c.printf(cmd); err != nil {
			return err
		}
		for _, arg := range cmd.Args {
			if sub, ok := arg.(*tparse.PipeNode); ok {
				if err := c.pipe(sub); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// printf refuses a printf whose format, written in the template, would
// build more than an execution's budget whatever its arguments: every run
// of it would fail (AlertTemplate.call), so it is a mistake to say at
// check time, with its line.
func (c templateCheck) printf(cmd *tparse.CommandNode) error {
	if len(cmd.Args) < 2 {
		return nil
	}
	id, ok := cmd.Args[0].(*tparse.IdentifierNode)
	format, isText := cmd.Args[1].(*tparse.StringNode)
	if !ok || id.Ident != "printf" || !isText {
		return nil
	}
	if n := printfBound(format.Text, nil); n > maxTemplateWork {
		return c.fail(cmd, "printf's widths and precisions may build %d bytes, more than the %d an annotation's functions may return", n, maxTemplateWork)
	}
	return nil
}

// rangesOverLabels says whether p is $labels alone (with or without
// declared loop variables).
func rangesOverLabels(p *tparse.PipeNode) bool {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	v, ok := p.Cmds[0].Args[0].(*tparse.VariableNode)
	return ok && len(v.Ident) == 1 && v.Ident[0] == "$labels"
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
