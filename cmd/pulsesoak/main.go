// Command pulsesoak runs the real pulseboard binary under fire and checks
// that nobody pays for what one bad input costs (issue 14):
//
//	go build -o /tmp/pb ./cmd/pulseboard && go build -o /tmp/pl ./cmd/pulseload
//	go run ./cmd/pulsesoak -bin /tmp/pb -pulseload /tmp/pl -duration 60s
//
// (scripts/soak.sh does the three steps). It starts the server on loopback
// with healthy sources, faulty simulated ones (errors, panics, hangs,
// latency) and prometheus sources at a hostile target it serves itself
// (10,000-byte label values, a gzip bomb, a body that never ends); lets
// it warm up; measures five normal WebSocket readers alone (the quiet
// baseline); then, for -duration, keeps up at once: the same readers
// beside -stalled never-reading connections (renewed every minute),
// churning clients (-churn readers connecting for 2 s at a time), crash
// requests on the faulty sources every 2 s, a file saved over the config
// every 3 s (valid, invalid, an alias bomb, CRLF, 2 MiB) and two /metrics
// scrapers. Then it stops the load, waits for memory to settle and sends
// SIGTERM. It checks:
//
//   - healthy sources kept their rhythm: at least 0.97 of their expected
//     polls (pulseboard_source_polls_total over the load);
//   - no sequence gap without a resync, nothing undecodable, in any reader;
//   - the normal readers' delay p99 within 2× the quiet baseline (and
//     never less than baseline + 5 ms: a quiet p99 of 1–2 ms would make a
//     single scheduler hiccup a failure);
//   - crash requests and /metrics never answered 5xx, reloads were both
//     applied and refused;
//   - goroutines (baseline + 10) and heap in use (1.25 × baseline + 4 MiB)
//     back after the load, from go_goroutines and
//     go_memstats_heap_inuse_bytes;
//   - exit status 0 on SIGTERM.
//
// It prints a report (-json for JSON) and exits 1 when an invariant broke,
// 2 on bad usage. -duration defaults to $PULSESOAK_DURATION, else 60s.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

type options struct {
	bin, load string
	duration  time.Duration
	warmup    time.Duration
	baseline  time.Duration
	stalled   int
	churn     int
	jsonOut   bool
	keep      bool
	// serverCPUs pins the server (taskset -c): measured apart from the
	// load tools, which scripts/soak.sh pins to the other cores.
	serverCPUs string
	// off names the kinds of load left out (see loadKinds), to find which
	// one costs the readers; the invariants about them are not checked.
	off map[string]bool
	// serverEnv is added to the server's environment (GOGC=100,
	// GODEBUG=gctrace=1, PULSEBOARD_TRACE_SLOW=20ms, …).
	serverEnv []string
	// serverArgs are added to the server's command line (-storage.path=).
	serverArgs []string
}

// loadKinds are the kinds of load -off can leave out. "storage" runs the
// server with its history in memory only, "hostile" without the sources
// that poll the hostile target (huge labels, the gzip bomb, the endless
// body).
var loadKinds = []string{"crashes", "reloads", "scrapers", "churn", "storage", "hostile"}

// listFlag is a flag that may be given more than once.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

var errUsage = errors.New("usage")

func parseFlags(args []string, stderr io.Writer) (options, error) {
	def := 60 * time.Second
	if env := os.Getenv("PULSESOAK_DURATION"); env != "" {
		d, err := time.ParseDuration(env)
		if err != nil {
			return options{}, fmt.Errorf("PULSESOAK_DURATION: %w", err)
		}
		def = d
	}
	var o options
	fs := flag.NewFlagSet("pulsesoak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.bin, "bin", "./pulseboard", "the pulseboard binary to run")
	fs.StringVar(&o.load, "pulseload", "./pulseload", "the pulseload binary the readers run in")
	fs.DurationVar(&o.duration, "duration", def, "how long the load lasts (default $PULSESOAK_DURATION or 60s)")
	fs.DurationVar(&o.warmup, "warmup", 35*time.Second, "time before the baseline: the 30s history fills up, so memory has its steady size")
	fs.DurationVar(&o.baseline, "baseline", 10*time.Second, "how long the quiet baseline is measured")
	fs.IntVar(&o.stalled, "stalled", 300, "never-reading connections beside the normal readers")
	fs.IntVar(&o.churn, "churn", 20, "clients that connect for 2 s at a time, over and over")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (config, server log)")
	fs.StringVar(&o.serverCPUs, "server-cpus", "", "run the server under taskset -c with this CPU list (e.g. 0); empty: not pinned")
	off := fs.String("off", "", "kinds of load to leave out, comma-separated: "+strings.Join(loadKinds, ", "))
	fs.Var((*listFlag)(&o.serverEnv), "server-env", "KEY=VALUE added to the server's environment (repeatable)")
	fs.Var((*listFlag)(&o.serverArgs), "server-arg", "an argument added to the server's command line (repeatable)")
	if err := fs.Parse(args); err != nil {
		return o, errUsage
	}
	o.off = map[string]bool{}
	for k := range strings.SplitSeq(*off, ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		if !slices.Contains(loadKinds, k) {
			return o, fmt.Errorf("-off: unknown kind %q (want %s)", k, strings.Join(loadKinds, ", "))
		}
		o.off[k] = true
	}
	for _, kv := range o.serverEnv {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return o, fmt.Errorf("-server-env %q: want KEY=VALUE", kv)
		}
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.duration < 10*time.Second || o.duration > 24*time.Hour:
		return o, errors.New("-duration must be within 10s…24h")
	case o.stalled < 0 || o.stalled > 5000, o.churn < 1 || o.churn > 1000:
		return o, errors.New("-stalled must be within 0…5000 and -churn within 1…1000")
	case o.warmup < 0 || o.baseline < time.Second:
		return o, errors.New("-warmup must not be negative and -baseline at least 1s")
	}
	return o, nil
}

func main() { os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr)) }

func realMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, errUsage) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "pulsesoak:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := soak(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "pulsesoak:", err)
		return 1
	}
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.print(stdout)
	}
	if len(rep.Failures) > 0 {
		return 1
	}
	return 0
}
