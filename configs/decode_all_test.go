package configs

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every error of a file is reported, in file order, whatever the kind of
// the first: an unknown key (at the top or deeper), a value of the wrong
// type, a bad duration, a fraction for an integer, a validation error. An
// unknown key used to hide every other error; a decode error, every
// validation error. A value refused by the decoder is not reported twice
// (as refused, then as missing or zero).
func TestEveryErrorIsReported(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string // "line:col: path: start of the message"
	}{
		{"unknown key last", "server: {listen: 127.0.0.1:18080}\nsources:\n  - name: \"é€ñ\"\n    type: simulated\n    series: [{metric: m, shape: sine}]\nbogus: 1\n",
			[]string{`3:11: sources[0].name: invalid source name`, `6:1: bogus: unknown key "bogus"`}},
		{"unknown key first, its anchor used", "x: &sh zigzag\nserver: {listen: 127.0.0.1:18080}\nsources:\n  - name: s\n    type: simulated\n    series: [{metric: m, shape: *sh}]\n",
			[]string{`1:1: x: unknown key "x"`, `6:33: sources[0].series[0].shape: unknown shape "zigzag"`}},
		{"unknown key in a source", "server: {listen: localhost}\nsources:\n  - name: s\n    type: simulated\n    intervall: 1s\n    series: [{metric: m, shape: zigzag}]\n",
			[]string{`1:18: server.listen: "localhost" has no port`, `5:5: sources[0].intervall: unknown key "intervall" (did you mean "interval"?)`,
				`6:33: sources[0].series[0].shape: unknown shape`}},
		{"type error first", "aggregator: {max_series: lots}\nserver: {listen: localhost}\ncolour: red\n",
			[]string{`1:26: aggregator.max_series: want an integer, got a string`, `2:18: server.listen: "localhost" has no port`, `3:1: colour: unknown key`}},
		{"bad duration, fraction and validation", "aggregator: {max_series: 1.5}\nsources:\n  - name: s\n    type: simulated\n    interval: soon\n    series: [{metric: m, shape: zigzag}]\n",
			[]string{`1:26: aggregator.max_series: want an integer, got a number with a fraction`, `5:15: sources[0].interval: invalid duration "soon"`,
				`6:33: sources[0].series[0].shape: unknown shape`}},
		{"several type errors", "server: {listen: [a]}\naggregator: {max_series: x, queue_size: y}\nsources:\n  - {name: s, type: simulated, interval: [1s], series: [{metric: m, shape: sine}]}\n  - {name: s, type: simulated, series: [{metric: m, shape: sine}]}\n",
			[]string{`1:18: server.listen: want a string, got a list`, `2:26: aggregator.max_series: want an integer`, `2:41: aggregator.queue_size: want an integer`,
				`4:42: sources[0].interval: invalid duration`, `5:12: sources[1].name: duplicate source name "s"`}},
		{"a list element refused keeps the others' indexes", "aggregator: {windows: [1m, [x], 1m]}\n",
			[]string{`1:28: aggregator.windows[1]: invalid duration`, `1:33: aggregator.windows[2]: duplicate window 1m (also windows[0])`}},
		{"a source that is not a mapping", "sources:\n  - 5\n  - {name: s, type: simulated, series: [{metric: m, shape: zigzag}]}\n",
			[]string{`2:5: sources[0]: `, `3:60: sources[1].series[0].shape: unknown shape`}},
		{"merge key of a scalar", "x: &a 1\nserver: {<<: *a, listen: localhost}\n",
			[]string{`1:1: x: unknown key`, `2:14: server: want a mapping, got a int`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, eol := range []string{"\n", "\r\n"} {
				_, err := Parse("a.yaml", []byte(strings.ReplaceAll(c.src, "\n", eol)))
				errs := Errors(err)
				var got []string
				for _, e := range errs {
					got = append(got, strings.TrimPrefix(e.Error(), "a.yaml:"))
				}
				require.Len(t, got, len(c.want), "%q:\n%s", eol, strings.Join(got, "\n"))
				for i, w := range c.want {
					require.True(t, strings.HasPrefix(got[i], w), "%q: error %d is\n%s\nwant\n%s", eol, i, got[i], w)
				}
				require.True(t, slices.IsSortedFunc(errs, func(a, b *Error) int {
					return cmpPos(pos{a.Line, a.Col}, pos{b.Line, b.Col})
				}), "file order")
			}
		})
	}
}

func cmpPos(a, b pos) int {
	switch {
	case less(a, b):
		return -1
	case less(b, a):
		return 1
	}
	return 0
}

// A file with more decode errors than are reported says where checking
// stopped; the errors before that point are all there.
func TestDecodeErrorsStopAtTheirBound(t *testing.T) {
	var b strings.Builder
	b.WriteString("sources:\n")
	for i := range MaxDecodeErrors + 4 {
		fmt.Fprintf(&b, "  - {name: s%d, type: simulated, interval: [x], series: [{metric: m, shape: sine}]}\n", i)
	}
	_, err := Parse("a.yaml", []byte(b.String()))
	errs := Errors(err)
	require.Len(t, errs, MaxDecodeErrors)
	for i, e := range errs {
		require.Equal(t, fmt.Sprintf("sources[%d].interval", i), e.Path)
	}
	require.Contains(t, errs[len(errs)-1].Msg, "checking stopped here, more errors may follow")
	require.NotContains(t, errs[len(errs)-2].Msg, "checking stopped")
}

// Each decode error found costs a decode again of the part that held it,
// not of the file: the sixteen errors at the end of a file of 1,200
// sources cost little more than decoding it once (a decode of the file
// per error was 17 times as much). A part of many nodes is decoded at
// most twice.
func TestDecodeErrorsInALargeFileAreCheap(t *testing.T) {
	file := func(bad int) []byte {
		var b strings.Builder
		b.WriteString("sources:\n")
		for i := range 1200 {
			fmt.Fprintf(&b, "  - {name: s%d, type: simulated, series: [{metric: m, shape: sine}]}\n", i)
		}
		for i := range bad {
			fmt.Fprintf(&b, "  - {name: t%d, type: simulated, interval: [x], series: [{metric: m, shape: sine}]}\n", i)
		}
		return []byte(b.String())
	}
	_, valid, err := cost(file(0))
	require.NoError(t, err)
	_, bad, err := cost(file(MaxDecodeErrors))
	require.Len(t, Errors(err), MaxDecodeErrors)
	t.Logf("valid: %d MiB allocated; %d decode errors: %d MiB", valid>>20, MaxDecodeErrors, bad>>20)
	require.Less(t, bad, valid+valid/2, "a decode of the file per error would be %d×", MaxDecodeErrors+1)

	// One part of 5,000 nodes, each refused.
	origins := strings.TrimSuffix(strings.Repeat("[x], ", 2500), ", ")
	_, err = Parse("a.yaml", []byte("server: {allowed_origins: ["+origins+"]}\n"))
	errs := Errors(err)
	require.Len(t, errs, 2, "decoded twice, not once per error")
	require.Contains(t, errs[1].Msg, "checking stopped here")
}
