package configs

import (
	"fmt"
	"strings"
)

// hostileCase is an input made to cost the loader as much as it can, and
// the refusal it must get: where, and a part of the message.
type hostileCase struct {
	name      string
	data      string
	line, col int
	msg       string
}

// nested repeats open n times, then close n times.
func nested(open, inner, close string, n int) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// lines makes n lines with line(i).
func lines(n int, line func(i int) string) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(line(i))
		b.WriteByte('\n')
	}
	return b.String()
}

// aliasBomb is the billion-laughs shape: levels anchors, each a list of
// fan aliases of the one before.
func aliasBomb(levels, fan int) string {
	var b strings.Builder
	b.WriteString("a0: &a0 [" + strings.TrimSuffix(strings.Repeat(`"lol",`, fan), ",") + "]\n")
	for i := 1; i < levels; i++ {
		alias := fmt.Sprintf("*a%d,", i-1)
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(alias, fan), ","))
	}
	return b.String()
}

// validBase is a valid config of three lines, for cases that add to one.
const validBase = "server: {listen: \"127.0.0.1:1\"}\nsources:\n  - {name: s, type: simulated, series: [{metric: m, shape: sine}]}\n"

// hostileCases are the amplifications known to reach go-yaml or our own
// walks, each pushed past its limit. FuzzParse starts from them too.
func hostileCases() []hostileCase {
	tooBig := lines(MaxFileBytes/1024+1, func(int) string { return "#" + strings.Repeat("x", 1022) })
	return []hostileCase{
		// a0 has 10 nodes, a1 adds 9×10, a2 9×91, a3 9×820; the first
		// alias of a4 adds 7,381 more and passes 10,000.
		{"alias bomb", aliasBomb(7, 9), 5, 10, "alias expansion exceeds 10000 nodes"},
		{"merge key chain", "a0: &a0 {x: 1}\n" + lines(200, func(i int) string {
			return fmt.Sprintf("a%d: &a%d {<<: *a%d, y%d: 1}", i+1, i+1, i, i)
		}), 59, 16, "alias expansion exceeds 10000 nodes"},
		{"merge key fan", "a: &a {x: 1, y: 2}\nb: {<<: [" + strings.TrimSuffix(strings.Repeat("*a,", 5000), ",") + "]}\n",
			2, 4294, "alias expansion exceeds 10000 nodes"}, // 1,429 aliases of 7 nodes
		// Few nodes, many bytes (trial 14, round 8, F2: 3,000 aliases of
		// one 900 KB string cost 36 s of CPU): the second alias passes
		// MaxAliasBytes.
		{"aliases of a long string", "x: &x \"" + strings.Repeat("A", 600_000) + "\"\nsources:\n" + lines(3000, func(i int) string {
			return fmt.Sprintf("  - {name: s%04d, type: *x}", i)
		}), 4, 25, "alias expansion exceeds 1048576 bytes of text"},
		{"aliases of a long block scalar", "x: &x |\n  " + strings.Repeat("A", 600_000) + "\ny: [*x, *x, *x]\n", 3, 9, "alias expansion exceeds 1048576 bytes of text"},
		{"aliases of a mapping of long keys and values", "x: &x {" + strings.TrimSuffix(strings.Repeat(strings.Repeat("k", 1000)+": "+strings.Repeat("v", 9000)+", ", 30), ", ") + "}\ny: [*x, *x, *x, *x]\n",
			2, 17, "alias expansion exceeds 1048576 bytes of text"}, // the fourth alias: 30 × 10 KB each
		{"deep flow sequence", nested("[", "", "]", 10_000), 1, MaxDepth + 1, "nesting deeper than 64 levels"},
		{"deep flow mapping", nested("{a: ", "1", "}", 10_000), 1, 4*MaxDepth + 1, "nesting deeper than 64 levels"},
		{"deep block sequence", strings.Repeat("- ", 10_000) + "x\n", 1, 2*MaxDepth + 1, "nesting deeper than 64 levels"},
		{"deep block mapping", lines(1000, func(i int) string { return strings.Repeat(" ", i) + "a:" }),
			MaxDepth + 1, MaxDepth + 1, "nesting deeper than 64 levels"},
		{"deep through an alias", "a: &a " + nested("[", "1", "]", 40) + "\nb: " + nested("[", "*a", "]", 30) + "\n",
			2, 4 + 30, "nesting deeper than 64 levels once alias *a is expanded"},
		{"keys in one mapping", lines(5000, func(i int) string { return fmt.Sprintf("k%d: 1", i) }),
			MaxKeysPerMapping + 1, 1, "mapping with more than 1000 keys"},
		{"long keys nested", nested("{"+strings.Repeat("k", 40_000)+": ", "1", "}", 20), 1, 2, "key longer than 1024 bytes"},
		{"many documents", strings.Repeat("---\na: 1\n", 5000), 3, 1, "only one YAML document is allowed"},
		{"many empty documents", strings.Repeat("---\n", 10_000), 2, 1, "only one YAML document is allowed"},
		// "[" counts 2, each "1," 3: the 33,333rd comma makes 100,001.
		{"many tokens", "[" + strings.Repeat("1,", 400_000) + "]", 1, 66667, "more than 100000 YAML tokens"},
		{"file too large", tooBig, MaxFileBytes/1024 + 1, 1, "file larger than 1048576 bytes"},
		{"alias to nothing", "server: *nope\n", 1, 9, "alias *nope has no anchor &nope before it"},
		{"alias inside its anchor", "server: &s {<<: *s}\n", 1, 17, "alias *s is inside its own anchor"},
		// Keys go-yaml's decoder cannot make a string of: it used to return
		// an empty config and no error, so the file was "valid, 0 sources".
		{"alias of a mapping as a key", validBase + "q: &a {a: 1}\n? *a\n: 2\n", 5, 3, "mapping key must be a plain string, not an alias (*a)"},
		{"alias of a list as a key", "sources: &a [{name: x, type: bogus}]\n? *a\n: 2\n", 2, 3, "not an alias (*a)"},
		{"alias of a scalar as a key", "x: &k foo\n*k : 1\n", 2, 1, "not an alias (*k)"},
		{"integer key", validBase + "1: 2\n", 4, 1, "not a number (quote it)"},
		{"integer key deep", "server: {1: 2, listen: bad}\n", 1, 10, "not a number"},
		{"float key", "1.5: 2\n", 1, 1, "not a number"},
		{"boolean key", "true: 2\n", 1, 1, "not true or false"},
		{"null key", "~: 2\n", 1, 1, "not null"},
		{"anchor on a key", "&k server: {}\n", 1, 1, "not an anchor (&k)"},
		{"tag on a key", "!!int 5: {}\n", 1, 1, "not a tag (!!int)"},
		{"string tag on a key", "!!str server: {}\n", 1, 1, "not a tag (!!str)"},
		{"block scalar key", "? |\n  server\n: {}\n", 1, 3, "not a block scalar"},
		{"number key in labels", "sources: [{name: x, type: simulated, labels: {1: 2}}]\n", 1, 47, "not a number"},
		// A core tag that does not fit its value: the decoder made "!!null
		// bad" null (the default, silently) and panicked on a bare tag.
		{"null tag on a value", "server: {listen: !!null bad}\n", 1, 18, "YAML tag !!null does not fit a scalar"},
		{"tag without a value", "sources: !!null\n", 1, 10, "YAML tag !!null does not fit an empty or null value"},
		// Within every limit: refused by the decoder, cheaply.
		{"long scalar", "server: {listen: " + strings.Repeat("x", MaxFileBytes-100) + "}\n", 1, 18, "has no port"},
		{"long quoted scalar", `server: {listen: "` + strings.Repeat(`\u0041`, (MaxFileBytes-100)/6) + `"}` + "\n", 1, 18, "has no port"},
		{"many comments", lines(30_000, func(int) string { return "# hello" }) + "x: 1\n", 30_001, 1, `unknown key "x"`},
		{"comment lines past the token limit", lines(MaxFileBytes/8, func(int) string { return "# hello" }), 33_334, 1, "more than 100000 YAML tokens"},
	}
}
