package configs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse holds Parse, on any input, to a bounded time and allocation
// (maxParseTime, maxParseBytes), to errors that all match ErrInvalid and
// carry a file:line:col, and the token estimate to its promise of never
// counting fewer tokens than go-yaml makes. It starts from every fixture,
// every example, the demo config and the hostile cases, the large ones at
// the size that just crosses their limit (see pastTheLimits).
func FuzzParse(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"testdata/*.yaml", "examples/*.yaml", "examples/*.yml", "default.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, files...)
	}
	if len(seeds) < 3 {
		f.Fatalf("seeds not found: %v", seeds)
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, c := range hostileCases() {
		if len(c.data) <= maxSeedBytes {
			f.Add([]byte(c.data))
		}
	}
	for _, data := range pastTheLimits() {
		f.Add([]byte(data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		took, allocated, err := cost(data)
		if took > maxParseTime {
			t.Errorf("took %v (limit %v)", took, maxParseTime)
		}
		if allocated > maxParseBytes {
			t.Errorf("allocated %d MiB (limit %d MiB)", allocated>>20, maxParseBytes>>20)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("error does not match ErrInvalid: %v", err)
		}
		for _, e := range Errors(err) {
			if e.File == "" || e.Line <= 0 || e.Col <= 0 {
				t.Errorf("error without a position: %q", e.Error())
			}
		}
		if len(data) <= MaxFileBytes {
			requireEstimateAbove(t, data)
		}
	})
}

// maxSeedBytes is the largest hostile case FuzzParse mutates as it is.
const maxSeedBytes = 8 << 10

// pastTheLimits are the shapes of the hostile cases larger than
// maxSeedBytes, each at the smallest size that crosses its limit. The
// full-size cases (up to 1 MiB, up to 60 ms a parse) made a slow fuzzer:
// the engine gives each corpus entry the same time, so their mutants ran
// a few a second, and minimizing one stalled the run for its whole
// minimization budget. At the limit, a mutant costs at most a few
// milliseconds and falls on either side of it. The full-size cases are
// held to the same bounds, and to their exact positions, by
// TestHostileInputsAreRefusedCheaply, and to the token estimate by
// TestTokenEstimateIsAnUpperBound.
func pastTheLimits() []string {
	// 1,429 aliases of a 7-node mapping add 10,003 nodes.
	fan := "a: &a {x: 1, y: 2}\nb: {<<: [" + strings.TrimSuffix(strings.Repeat("*a,", MaxAliasNodes/7+1), ",") + "]}\n"
	return []string{
		fan,
		nested("[", "", "]", MaxDepth+1),
		nested("{a: ", "1", "}", MaxDepth+1),
		strings.Repeat("- ", MaxDepth+1) + "x\n",
		lines(MaxDepth+1, func(i int) string { return strings.Repeat(" ", i) + "a:" }),
		lines(MaxKeysPerMapping+1, func(i int) string { return fmt.Sprintf("k%d: 1", i) }),
		nested("{"+strings.Repeat("k", MaxKeyBytes+1)+": ", "1", "}", 2),
		"---\na: 1\n---\na: 1\n",
		"---\n---\n",
		// "[" counts 2 tokens in the estimate, each "1," 3.
		"[" + strings.Repeat("1,", (MaxTokens-2)/3+1) + "]",
		lines(MaxFileBytes/1024+1, func(int) string { return "#" + strings.Repeat("x", 1022) }),
		"server: {listen: " + strings.Repeat("x", 4<<10) + "}\n",
		`server: {listen: "` + strings.Repeat(`\u0041`, 1<<10) + `"}` + "\n",
		lines(300, func(int) string { return "# hello" }) + "x: 1\n",
		// "# hello" counts 3.
		lines(MaxTokens/3+1, func(int) string { return "# hello" }),
		// A tab that starts a line is a token of its own (found by
		// FuzzParse: the estimate counted none, 1 MiB of these took 113 MiB).
		"0:" + strings.Repeat("\n\t", MaxTokens),
	}
}

// Each of pastTheLimits is refused as the full-size case of its shape is,
// cheaply: the fuzzer's seeds sit where the limits are.
func TestPastTheLimitsCrossThem(t *testing.T) {
	want := []string{
		"alias expansion exceeds 10000 nodes",
		"nesting deeper than 64 levels", "nesting deeper than 64 levels",
		"nesting deeper than 64 levels", "nesting deeper than 64 levels",
		"mapping with more than 1000 keys",
		"key longer than 1024 bytes",
		"only one YAML document is allowed", "only one YAML document is allowed",
		"more than 100000 YAML tokens",
		"file larger than 1048576 bytes",
		"has no port", "has no port",
		`unknown key "x"`,
		"more than 100000 YAML tokens",
		"more than 100000 YAML tokens",
	}
	cases := pastTheLimits()
	if len(cases) != len(want) {
		t.Fatalf("%d cases, %d refusals", len(cases), len(want))
	}
	for i, data := range cases {
		took, allocated, err := cost([]byte(data))
		errs := Errors(err)
		if len(errs) != 1 || !strings.Contains(errs[0].Msg, want[i]) {
			t.Errorf("case %d (%d bytes): %.200v, want %q", i, len(data), err, want[i])
		}
		if took > maxParseTime || allocated > maxParseBytes {
			t.Errorf("case %d: %v, %d bytes allocated", i, took, allocated)
		}
	}
}
