// Command pulseload drives a pulseboard dashboard with many WebSocket
// clients and reports what they saw:
//
//	go run ./cmd/pulseload -url ws://127.0.0.1:8080/ws -clients 1000 -duration 30s -ramp 5s -pid $(pgrep -n pulseboard)
//
// Clients connect over -ramp, then are measured for -duration: connected
// clients, messages per second, delivery delay (receive time minus the
// message's "ts", for deltas built after the client connected: those built
// before are the catch-up after a shared snapshot, counted as replayed)
// p50/p90/p99/max, sequence gaps (a delta that does not
// start right after the previous seq, not counting a snapshot resync),
// resyncs, bytes decoded and bytes on the wire (with -compress the clients
// offer permessage-deflate, as browsers do), and with -pid the server's CPU
// and resident memory from /proc.
// With -stalled N, N more connections that never read are opened as the
// measurement starts, and the summary says how many the server cut:
//
//	pulseload -clients 5 -stalled 1000 -duration 30s -pid $(pgrep -n pulseboard)
//
// They are dialed by this process: on a single core, dialing a thousand
// delays its own measured clients by tens of milliseconds, whatever the
// server does. To measure the server alone, open them from a second
// pulseload (-clients 1 -stalled N) while a first one measures, and give
// the measured clients a -warmup (their first deltas follow the catch-up
// after their snapshot).
//
// It only targets loopback addresses, and its size and length are bounded.
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
	"syscall"
	"time"
)

// Bounds: the tool is for measuring this project on one machine, not for
// flooding anything.
const (
	maxClients  = 20000
	maxDuration = 10 * time.Minute
	maxRamp     = 5 * time.Minute
)

type config struct {
	url      string
	clients  int
	duration time.Duration
	ramp     time.Duration
	warmup   time.Duration
	pid      int
	token    string
	report   time.Duration
	jsonOut  bool
	stalled  int
	compress bool
}

var errUsage = errors.New("usage")

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("pulseload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "ws://127.0.0.1:8080/ws", "WebSocket URL of the dashboard (loopback only)")
	fs.IntVar(&c.clients, "clients", 100, fmt.Sprintf("number of clients (1…%d)", maxClients))
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long to measure once every client connected (max 10m)")
	fs.DurationVar(&c.ramp, "ramp", 0, "spread the connects over this long (max 5m); 0 connects at once")
	fs.DurationVar(&c.warmup, "warmup", 0, "wait this long after the clients connected before measuring (max 5m)")
	fs.IntVar(&c.pid, "pid", 0, "server process to sample for CPU and RSS (from /proc)")
	fs.StringVar(&c.token, "token", "", "viewer token, sent as Authorization: Bearer")
	fs.DurationVar(&c.report, "report", time.Second, "progress line interval")
	fs.BoolVar(&c.jsonOut, "json", false, "print the summary as JSON")
	fs.IntVar(&c.stalled, "stalled", 0, fmt.Sprintf("also open this many connections (0…%d) that never read, with %d-byte receive buffers, when the measurement starts", maxClients, stalledRcvBuf))
	fs.BoolVar(&c.compress, "compress", false, "offer permessage-deflate, as browsers do; each client then inflates one message in 16 whole (the decoded sizes are theirs) and of the others only the header")
	if err := fs.Parse(args); err != nil {
		return c, errUsage
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	case c.clients < 1 || c.clients > maxClients:
		return c, fmt.Errorf("-clients must be within 1…%d", maxClients)
	case c.stalled < 0 || c.clients+c.stalled > maxClients:
		return c, fmt.Errorf("-stalled must be within 0…%d (with -clients)", maxClients-c.clients)
	case c.duration <= 0 || c.duration > maxDuration:
		return c, fmt.Errorf("-duration must be within (0, %s]", maxDuration)
	case c.ramp < 0 || c.ramp > maxRamp:
		return c, fmt.Errorf("-ramp must be within [0, %s]", maxRamp)
	case c.warmup < 0 || c.warmup > maxRamp:
		return c, fmt.Errorf("-warmup must be within [0, %s]", maxRamp)
	case c.report <= 0:
		return c, fmt.Errorf("-report must be positive")
	case c.pid < 0:
		return c, fmt.Errorf("-pid must be positive")
	}
	if _, err := checkTarget(c.url); err != nil {
		return c, err
	}
	return c, nil
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, errUsage) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "pulseload:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sum, err := run(ctx, cfg, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "pulseload:", err)
		return 1
	}
	if cfg.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(sum)
	} else {
		sum.print(stdout)
	}
	if sum.Dialed == 0 {
		fmt.Fprintln(stderr, "pulseload: no client connected")
		return 1
	}
	return 0
}
