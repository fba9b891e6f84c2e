package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Sources the soak holds to their rhythm: nothing in any config variant
// changes them, so a reload never restarts them.
var healthy = []struct {
	name     string
	interval float64 // seconds
}{{"steady", 0.2}, {"stream", 0.1}, {"scrape", 0.5}}

// faultySources are crashed on purpose.
var faultySources = []string{"chaos", "chaos_slow"}

// configText is the soak's config. variant changes only the faulty
// sources (and adds one source), so a reload has something to apply.
func configText(port int, admin string, t *hostileTarget, variant int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `server:
  listen: 127.0.0.1:%d
  auth:
    admin_token: %s
aggregator:
  history: 30s
  windows: [10s, 30s]
sources:
  - name: steady
    type: simulated
    interval: 200ms
    seed: 1
    series:
      - {metric: steady_value, shape: sine, period: 10s, count: 20}
  - name: stream
    type: simulated
    interval: 100ms
    seed: 2
    series:
      - {metric: busy, shape: random_walk, min: 0, max: 100, noise: 1, count: 50}
  - name: scrape
    type: prometheus
    interval: 500ms
    url: %s
  - name: chaos
    type: simulated
    interval: 200ms
    timeout: 100ms
    series:
      - {metric: chaos_value, shape: random_walk, count: 5}
    faults: {error_rate: %.2f, panic_rate: 0.05, hang_rate: 0.05}
  - name: chaos_slow
    type: simulated
    interval: 300ms
    timeout: 200ms
    series:
      - {metric: chaos_slow_value, shape: spike}
    faults: {error_rate: 0.1, latency: 50ms, hang_rate: 0.1}
`, port, admin, t.url("/ok"), 0.2+0.05*float64(variant%3))
	if !t.left {
		fmt.Fprintf(&b, `  - name: huge
    type: prometheus
    interval: 1s
    url: %s
  - name: bomb
    type: prometheus
    interval: 1s
    url: %s
  - name: slow
    type: prometheus
    interval: 1s
    timeout: 500ms
    url: %s
`, t.url("/huge"), t.url("/bomb"), t.url("/slow"))
	}
	if variant%2 == 1 {
		b.WriteString(`  - name: extra
    type: simulated
    interval: 250ms
    series:
      - {metric: extra_value, shape: sawtooth}
`)
	}
	return b.String()
}

// aliasBomb is issue 14's 340-byte file: 7 levels, each aliasing the one
// before 9 times (4.7 million nodes expanded).
const aliasBomb = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
`

// reloadStep is one file saved over the config; valid says whether the
// server should apply it.
type reloadStep struct {
	kind  string
	body  func(variant int) string
	valid bool
	// inPlace writes over the file (truncate, write) instead of renaming
	// a finished file over it, as editors do both.
	inPlace bool
}

func reloadSteps(port int, admin string, t *hostileTarget) []reloadStep {
	valid := func(v int) string { return configText(port, admin, t, v) }
	return []reloadStep{
		{kind: "valid", body: valid, valid: true},
		{kind: "invalid", body: func(v int) string { return strings.Replace(valid(v), "interval: 1s", "intervall: 1s", 1) }, inPlace: true},
		{kind: "valid", body: valid, valid: true, inPlace: true},
		{kind: "alias_bomb", body: func(int) string { return aliasBomb }, inPlace: true},
		{kind: "crlf", body: func(v int) string { return strings.ReplaceAll(valid(v), "\n", "\r\n") }, valid: true},
		{kind: "2mib", body: func(v int) string { return valid(v) + "#" + strings.Repeat("x", 2<<20) + "\n" }, inPlace: true},
	}
}

// writeConfig saves body as path, renaming a finished file over it or
// writing in place.
func writeConfig(path, body string, inPlace bool) error {
	if inPlace {
		return os.WriteFile(path, []byte(body), 0o600)
	}
	tmp := filepath.Join(filepath.Dir(path), ".soak.yaml.tmp")
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
