package configs

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestAlertTemplateRefusesUnboundedWork: every construct that repeats
// work without a bound the labels set is refused when the file loads,
// with the line it is on.
func TestAlertTemplateRefusesUnboundedWork(t *testing.T) {
	for _, tc := range []struct{ name, text, msg string }{
		{"range over a number", `{{range 30000000}}{{end}}x`, "line 1: an annotation may range over $labels only"},
		{"range over a number, declared", `{{range $i := 30000000}}{{$i}}{{end}}`, "may range over $labels only"},
		{"range over dot's labels", `{{range .Labels}}{{.}}{{end}}`, "may range over $labels only"},
		{"range over a pipeline", `{{range $labels | len}}{{end}}`, "may range over $labels only"},
		{"range in a range", `{{range $labels}}{{range $labels}}x{{end}}{{end}}`, "a range inside a range"},
		{"range in an if in a range", "{{range $labels}}{{if true}}\n{{range $labels}}x{{end}}{{end}}{{end}}", "line 2: a range inside a range"},
		{"range in else", `{{if false}}{{else}}{{range 5}}{{end}}{{end}}`, "may range over $labels only"},
		{"define", `{{define "a"}}{{template "a" .}}{{template "a" .}}{{end}}{{template "a" .}}`, "define and block are not allowed"},
		{"block", `{{block "a" .}}x{{end}}`, "define and block are not allowed"},
		{"template", "x\n\n{{template \"t\" .}}", "line 3: {{template}} is not allowed"},
		{"labels redeclared", `{{$labels := 30000000}}{{range $labels}}{{end}}`, "$labels cannot be declared or assigned"},
		{"labels assigned", `{{$labels = 30000000}}`, "$labels cannot be declared or assigned"},
		{"value assigned in a with", `{{with $value := 3}}{{end}}`, "$value cannot be declared or assigned"},
		{"labels as a loop variable", `{{range $k, $labels := $labels}}{{end}}`, "$labels cannot be declared or assigned"},
		{"labels assigned in a nested pipeline", `{{print ($labels = 3)}}`, "$labels cannot be declared or assigned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAlertTemplate("s", tc.text)
			require.ErrorContains(t, err, tc.msg)
			require.True(t, strings.HasPrefix(err.Error(), "template: "), err.Error())
		})
	}
}

// TestAlertTemplateAllowsTheUsualShapes: what Prometheus users write.
func TestAlertTemplateAllowsTheUsualShapes(t *testing.T) {
	labels := map[string]string{"instance": "a:9100", "job": "node"}
	for _, tc := range []struct{ text, want string }{
		{`{{ $labels.instance }} at {{ $value | humanize }}`, "a:9100 at 1.235k"},
		{`{{ printf "%.1f" $value }}`, "1234.6"},
		{`{{range $k, $v := $labels}}{{$k}}={{$v}} {{end}}`, "instance=a:9100 job=node "},
		{`{{range $labels}}{{.}};{{end}}`, "a:9100;node;"},
		{`{{ with $labels.job }}{{ . | toUpper }}{{ end }}`, "NODE"},
		{`{{ if gt $value 1000.0 }}high{{ else }}low{{ end }}`, "high"},
		{`{{ $x := $labels.job }}{{ $x = "y" }}{{ $x }}`, "y"},
	} {
		at, err := ParseAlertTemplate("s", tc.text)
		require.NoError(t, err, tc.text)
		var b strings.Builder
		require.NoError(t, at.Execute(&b, AlertTemplateData{Labels: labels, Value: 1234.56}), tc.text)
		require.Equal(t, tc.want, b.String(), tc.text)
	}
}

// TestAlertTemplateWorkBudget: functions that return a lot, each under
// every other limit, fail the execution once they returned
// maxTemplateWork bytes in all, and in bounded time; the next execution
// has its whole budget again.
func TestAlertTemplateWorkBudget(t *testing.T) {
	labels := map[string]string{}
	for i := range 100 {
		labels["l"+strconv.Itoa(i)] = strings.Repeat("v", 1000)
	}
	for _, text := range []string{
		`{{range $labels}}{{$x := printf "%0999d" 0}}{{end}}`,
		`{{range $labels}}{{$x := print . . . .}}{{end}}`,
		`{{range $labels}}{{$x := . | toUpper}}{{$y := . | html}}{{$z := . | urlquery}}{{end}}`,
		`{{range $k, $v := $labels}}{{$x := println $v $v}}{{$y := js $v}}{{end}}`,
	} {
		at, err := ParseAlertTemplate("s", text)
		require.NoError(t, err, text)
		start := time.Now()
		err = at.Execute(new(strings.Builder), AlertTemplateData{Labels: labels})
		require.ErrorIs(t, err, ErrTemplateWork, text)
		require.Less(t, time.Since(start), time.Second, text)
	}
	at, err := ParseAlertTemplate("s", `{{$x := printf "%040000d" 0}}ok`)
	require.NoError(t, err)
	for range 3 {
		var b strings.Builder
		require.NoError(t, at.Execute(&b, AlertTemplateData{}), "each execution has its own budget")
		require.Equal(t, "ok", b.String())
	}
}

// TestAlertTemplateWriterStopsTheExecution: a writer's error ends the
// execution at once (the evaluator's writer fails once its annotation is
// full), however much more the template would write.
func TestAlertTemplateWriterStopsTheExecution(t *testing.T) {
	labels := map[string]string{}
	for i := range 100 {
		labels["l"+strconv.Itoa(i)] = strings.Repeat("v", 1000)
	}
	at, err := ParseAlertTemplate("s", strings.Repeat(`{{range $labels}}{{$labels}}{{end}}`, 100))
	require.NoError(t, err)
	full := errors.New("full")
	w := &countingWriter{err: full}
	require.ErrorIs(t, at.Execute(w, AlertTemplateData{Labels: labels}), full)
	require.Equal(t, 1, w.writes, "nothing runs after the failed write")
}

type countingWriter struct {
	writes int
	err    error
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return 0, w.err
}

// TestAlertTemplateBoundsAFunctionBeforeItRuns: a single call that would
// build far more than an execution's budget (fmt's widths and precisions
// reach a million per verb, an argument index reuses one argument, a width
// pads each element of a map) is refused before it runs, in bounded time
// and memory, whatever way it is written; a printf whose format alone is
// past the budget is refused at check time, with its line.
func TestAlertTemplateBoundsAFunctionBeforeItRuns(t *testing.T) {
	labels := map[string]string{}
	for i := range 30 {
		labels["l"+strconv.Itoa(i)] = "v"
	}
	wide := strings.Repeat("%999999[1]d", 360)
	for _, text := range []string{
		`{{printf $labels.fmt 0}}`, // the format from a target's label
		`{{printf $labels.fmt 1e308}}`,
		`{{printf "%*d%*d%*d" 1000000 0 1000000 0 1000000 0}}`,
		`{{printf "%999999v" $labels}}`,
		`{{printf "%999999v" .}}`,
		`{{printf "%.999999[1]f%.999999[1]f%.999999[1]f" 1e308}}`,
		`{{printf "%[1]*[2]d%[1]*[2]d%[1]*[2]d" 1000000 0}}`,
	} {
		at, err := ParseAlertTemplate("s", text)
		if err != nil {
			require.ErrorContains(t, err, "printf's widths and precisions may build", text)
			continue
		}
		for _, f := range []string{wide, strings.Repeat("%.999999[1]f", 300), "%999999d%999999d"} {
			labels["fmt"] = f
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			err = at.Execute(new(strings.Builder), AlertTemplateData{Labels: labels, Value: 1e308})
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, ErrTemplateWork, text)
			require.Less(t, time.Since(start), 100*time.Millisecond, text)
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "%s: allocated", text)
		}
	}
	for _, text := range []string{
		`{{printf "` + wide + `" 0}}x`,
		"line one\n{{ printf \"%.999999f%.999999f\" $value }}",
		`{{$x := printf "%0100000d" 0}}`,
	} {
		_, err := ParseAlertTemplate("s", text)
		require.ErrorContains(t, err, "printf's widths and precisions may build", text)
	}
	_, err := ParseAlertTemplate("s", "line one\n{{ printf \"%.999999f%.999999f\" $value }}")
	require.ErrorContains(t, err, "template: line 2:")
	// What users write stays well within the bounds.
	at, err := ParseAlertTemplate("s", `{{printf "%.2f" $value}} on {{$labels.instance}}: {{printf "%s=%q" "job" $labels.job}} {{printf "%v" $labels | len}}`)
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, at.Execute(&b, AlertTemplateData{Labels: map[string]string{"instance": "a:9100", "job": "node"}, Value: 0.5}))
	require.Equal(t, `0.50 on a:9100: job="node" 29`, b.String())
}
