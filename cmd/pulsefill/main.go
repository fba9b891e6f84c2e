// Command pulsefill writes into a data directory the stored history a
// pulseboard running a config would have kept over a span of time, in
// seconds: for benchmarks and tests of the stored history.
//
//	pulsefill -dir DIR [-config FILE] [-span 24h] [-to now] [-seed 0] [-host synthetic|machine]
//
// Without -config it fills for the embedded demo config (the one
// pulseboard runs without flags). -host machine takes the host source's
// series from this machine (so a pulseboard started here continues them);
// synthetic (the default) uses a fixed template, the same everywhere.
// The directory must not be in use by a running pulseboard.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/pulseboard/pulseboard/aggregator/storage"
	"github.com/pulseboard/pulseboard/cmd/testtool/fill"
	"github.com/pulseboard/pulseboard/configs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulsefill:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pulsefill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "config file (default: the embedded demo config)")
	dir := fs.String("dir", "", "data directory to fill (required)")
	span := fs.Duration("span", 24*time.Hour, "how much history to write, ending at -to")
	toFlag := fs.String("to", "now", `end of the history: "now", RFC 3339 or Unix ms`)
	seed := fs.Uint64("seed", 0, "seed of the simulated sources that have none")
	host := fs.String("host", "synthetic", `host series: "synthetic" (a fixed template) or "machine" (this machine's)`)
	flushEvery := fs.Duration("flush-every", 0, "clock time between flushes (default: min(30 × storage.flush_interval, history/3))")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("-dir is required")
	}
	if *span <= 0 {
		return fmt.Errorf("-span must be positive, got %s", *span)
	}
	to, err := parseTime(*toFlag, time.Now())
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	o := fill.Options{
		Dir: *dir, Config: cfg, From: to.Add(-*span), To: to, Seed: *seed, FlushEvery: *flushEvery,
		Logger: slog.New(slog.NewTextHandler(stderr, nil)),
	}
	switch *host {
	case "synthetic":
	case "machine":
		if o.Host, err = fill.MachineHost(ctx); err != nil {
			return err
		}
	default:
		return fmt.Errorf(`-host must be "synthetic" or "machine", got %q`, *host)
	}
	st, err := fill.Run(ctx, o)
	if err != nil {
		return err
	}
	report(stdout, o, st)
	return nil
}

func loadConfig(path string) (*configs.Config, error) {
	if path == "" {
		return configs.LoadDefault()
	}
	return configs.Load(path)
}

// parseTime reads "now", RFC 3339 or Unix milliseconds.
func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "now" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	return time.Time{}, fmt.Errorf(`-to: want "now", RFC 3339 or Unix ms, got %q`, s)
}

func report(w io.Writer, o fill.Options, st fill.Stats) {
	fmt.Fprintf(w, "filled %s: %s to %s, %d series, %d samples, %d failed polls, %d panics, %d flushes in %s\n",
		o.Dir, o.From.UTC().Format(time.RFC3339), o.To.UTC().Format(time.RFC3339),
		st.Series, st.Samples, st.FailedPolls, st.Panics, st.Flushes, st.Elapsed.Round(time.Millisecond))
	if len(st.Skipped) > 0 {
		fmt.Fprintf(w, "skipped (type not generated): %v\n", st.Skipped)
	}
	for t := storage.Raw; t < storage.NumTiers; t++ {
		ts := st.Tiers[t]
		per := 0.0
		if ts.Points > 0 {
			per = float64(ts.Bytes) / float64(ts.Points)
		}
		fmt.Fprintf(w, "tier %-3s %10d bytes %9d points %6d blocks  %.2f B/point\n", t, ts.Bytes, ts.Points, ts.Blocks, per)
	}
}
