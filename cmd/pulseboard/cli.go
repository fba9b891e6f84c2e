package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/internal/lograte"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise the module version from the build info is used.
var version = ""

// Version returns pulseboard's version string.
func Version() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

const usage = `pulseboard: a live metrics dashboard

Usage:
  pulseboard [run] [-config FILE] [-listen ADDR] [-log-level LEVEL]
  pulseboard check [-config FILE]
  pulseboard version

Without -config, the embedded demo config is used. With -config, the file
is reloaded when it changes, on SIGHUP and on POST /api/v1/reload: only the
sources that changed are restarted. SIGINT or SIGTERM stops gracefully; a
second one exits at once.
`

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return runCommand(args, stdout, stderr)
	case "check":
		return checkCommand(args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "pulseboard", Version())
		return 0
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "pulseboard: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

// runFlags are the flags of the run command.
type runFlags struct {
	config          string
	listen          string
	logLevel        string
	shutdownTimeout time.Duration
	// storagePath is -storage.path when given: "" keeps the history in
	// memory only, which is why an unset flag is nil rather than "".
	storagePath *string
}

func runCommand(args []string, stdout, stderr io.Writer) int {
	var f runFlags
	fs := flag.NewFlagSet("pulseboard run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", "", "config file (default: the embedded demo config)")
	fs.StringVar(&f.listen, "listen", "", "listen address, overriding server.listen")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 15*time.Second, "bound on graceful shutdown")
	fs.Func("storage.path", "the `directory` of the stored history, overriding storage.path; \"\" keeps it in memory only", func(v string) error {
		f.storagePath = &v
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pulseboard: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	level, err := parseLevel(f.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "pulseboard:", err)
		return 2
	}
	// Every line of the program goes through one rate limit: a kind of line
	// (level, message, who and what) is written 10 times a minute at most,
	// then summed up (internal/lograte; pulseboard_log_lines_suppressed_total).
	lines := lograte.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}), lograte.Options{})
	defer lines.Flush(context.Background())
	logger := slog.New(lines)

	cfg, err := loadConfig(f.config)
	if err != nil {
		printConfigErrors(stderr, err)
		return 1
	}
	if f.listen != "" {
		cfg.Server.Listen = f.listen
		if err := cfg.Server.Validate(); err != nil {
			fmt.Fprintln(stderr, "pulseboard: -listen:", err)
			return 2
		}
	}
	if f.storagePath != nil {
		cfg.Storage.Path = *f.storagePath
	}
	tuneGC(os.Getenv, int64(cfg.Aggregator.MemoryLimit))
	return run(cfg, f, logger, stdout)
}

func checkCommand(args []string, stdout, stderr io.Writer) int {
	return runCheck(args, stdout, stderr, loadConfig, loadBudget)
}

// runCheck is checkCommand with its load and its budget (loadChecked).
func runCheck(args []string, stdout, stderr io.Writer, load func(string) (*configs.Config, error), budget time.Duration) int {
	fs := flag.NewFlagSet("pulseboard check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file (default: the embedded demo config)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pulseboard: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg, err := loadChecked(*path, load, budget)
	if err != nil {
		printConfigErrors(stderr, err)
		return 1
	}
	name := *path
	if name == "" {
		name = "default.yaml (embedded)"
	}
	fmt.Fprintf(stdout, "%s: valid, %d %s\n", name, len(cfg.Sources), plural(len(cfg.Sources), "source", "sources"))
	return 0
}

func loadConfig(path string) (*configs.Config, error) {
	if path == "" {
		return configs.LoadDefault()
	}
	return configs.Load(path)
}

// printConfigErrors writes one error per line.
func printConfigErrors(w io.Writer, err error) {
	for _, line := range configErrorLines(err) {
		fmt.Fprintln(w, line)
	}
}

func configErrorLines(err error) []string {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		var lines []string
		for _, e := range joined.Unwrap() {
			lines = append(lines, configErrorLines(e)...)
		}
		return lines
	}
	return strings.Split(strings.TrimSpace(err.Error()), "\n")
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("invalid -log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// plural picks a noun's form for a count: "1 source", "2 sources".
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
