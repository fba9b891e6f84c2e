package collectors

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jsonBound: gjson validates in one pass and reads a path in about one
// more per path step; what it allocates is the results (a projection or a
// modifier copies at most the document).
var jsonBound = bound{fixedTime: time.Second, timePerByte: 20 * time.Microsecond, fixedBytes: 1 << 20, bytesPerByte: 64}

// jsonSeed is a body and two gjson paths.
type jsonSeed struct{ body, p1, p2 string }

// jsonShapes are bodies and paths made to cost gjson the most: deep
// nesting, a query over many elements, modifiers that copy the document.
// n scales the bodies: FuzzExtractJSON mutates them small, and
// TestExtractJSONLargeBodies holds them to the same checks large.
func jsonShapes(n int) []jsonSeed {
	return []jsonSeed{
		{strings.Repeat("[", n) + strings.Repeat("]", n), "0.0.0.0.0.0", "#.#.#.#"},
		{`{"a":[` + strings.Repeat(`{"b":[1,2,3]},`, n/10) + `{}]}`, "a.#.b.#", "a.#(b.#>1)#.b|@flatten"},
		{`{"s":"` + strings.Repeat("x", 10*n) + `"}`, "s", "@this|@pretty|@ugly"},
	}
}

// FuzzExtractJSON reads a hostile body with hostile gjson paths (a path is
// config, but an operator copies paths from documents they do not
// control): whatever the input, extraction costs time and memory linear
// in body and paths, yields at most one finite sample per field, and every
// per-field error is one bounded line.
//
// Its seeds are small (jsonShapes(100): at most 1 KB). Mutants of a
// 100 KB seed cost little to run but, once one is new to the fuzzer, up to
// the whole -fuzzminimizetime to minimize, during which nothing else runs:
// they stalled earlier runs for most of their time.
func FuzzExtractJSON(f *testing.F) {
	seedFiles(f, "*.json", func(_ string, b []byte) []any { return []any{b, "queue.depth", "queue.consumers.#.lag|@reverse|0"} })
	seeds := append([]jsonSeed{
		{`{"a":1,"b":"NaN","c":"Inf"}`, "a", "b"},
		{`{"a":{"b":{"c":1}}}`, "..a", "a.*.c"},
		{`[1,2,3]`, "@reverse|@flatten:{\"deep\":true}|@join", "#(==2)"},
	}, jsonShapes(100)...)
	for _, s := range seeds {
		f.Add([]byte(s.body), s.p1, s.p2)
	}
	f.Fuzz(checkExtractJSON)
}

// TestExtractJSONLargeBodies holds the large shapes (20 to 100 KB, as
// FuzzExtractJSON once seeded them) to FuzzExtractJSON's checks.
func TestExtractJSONLargeBodies(t *testing.T) {
	for _, s := range jsonShapes(10_000) {
		checkExtractJSON(t, []byte(s.body), s.p1, s.p2)
	}
}

// checkExtractJSON is FuzzExtractJSON's check of one input.
func checkExtractJSON(t *testing.T, body []byte, p1, p2 string) {
	t.Helper()
	fields := []jsonField{{"a", p1}, {"b", p2}}
	var (
		samples []sampleLike
		errs    []error
		err     error
	)
	c := costOf(func() {
		s, e, er := extractJSON(body, fields, nowMs, nil)
		for _, x := range s {
			samples = append(samples, sampleLike{x.Metric, x.Value})
		}
		errs, err = e, er
	})
	jsonBound.check(t, "extractJSON", len(body)+len(p1)+len(p2), c)
	if err != nil {
		if len(samples) > 0 || len(errs) > 0 {
			t.Fatalf("an invalid body gave samples or field errors")
		}
		return
	}
	if len(samples)+len(errs) != len(fields) {
		t.Fatalf("%d samples and %d errors for %d fields", len(samples), len(errs), len(fields))
	}
	for _, s := range samples {
		if math.IsInf(s.value, 0) {
			t.Fatalf("field %s: infinite value kept", s.metric)
		}
	}
	// A field error quotes its path, escaped (%q: up to 4 bytes for
	// each byte of a path with control characters or invalid UTF-8), and
	// at most a bounded excerpt of the document.
	quoted := len(strconv.Quote(p1)) + len(strconv.Quote(p2))
	for _, e := range errs {
		msg := e.Error()
		if strings.Contains(msg, "\n") {
			t.Fatalf("a field error is more than one line: %q", msg)
		}
		if len(msg) > 200+quoted {
			t.Fatalf("a field error of %d bytes, paths quoted in %d", len(msg), quoted)
		}
	}
}

type sampleLike struct {
	metric string
	value  float64
}
