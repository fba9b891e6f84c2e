package configs

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/alecthomas/units"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/prometheus/common/model"
)

// Storage is the `storage:` block: where the durable history lives, how
// often it is written, and how long each tier keeps its data.
type Storage struct {
	// Path is the data directory. Left out of a file, it is the user's
	// state directory (StateDir); "" keeps everything in memory, as
	// pulseboard did before it had storage. A Config built in code starts
	// with "" (memory only): nothing writes to disk unless asked.
	Path string `yaml:"path"`
	// FlushInterval is how often new data is written: kill -9 loses at most
	// this much.
	FlushInterval Duration `yaml:"flush_interval"`
	// Retention bounds each tier by age and by size.
	Retention Retention `yaml:"retention"`
}

// Retention holds the bounds of the three tiers: the raw samples, and the
// per-minute and per-hour aggregates.
type Retention struct {
	Raw    TierLimit `yaml:"raw"`
	Minute TierLimit `yaml:"1m"`
	Hour   TierLimit `yaml:"1h"`
}

// TierLimit bounds one tier: its oldest data goes once it is older than
// Time or once the tier holds more than Size bytes, whichever comes first
// (Netdata's model). A zero bound is no bound of that kind.
type TierLimit struct {
	Time LongDuration `yaml:"time"`
	Size ByteSize     `yaml:"size"`
}

// defaultStorage: raw samples for 2 days, minutes for 90 days, hours for
// 2 years, each tier at most 1 GiB; flushed every 10 s.
func defaultStorage() Storage {
	const day = 24 * time.Hour
	return Storage{
		FlushInterval: Duration(10 * time.Second),
		Retention: Retention{
			Raw:    TierLimit{Time: LongDuration(2 * day), Size: ByteSize(units.GiB)},
			Minute: TierLimit{Time: LongDuration(90 * day), Size: ByteSize(units.GiB)},
			Hour:   TierLimit{Time: LongDuration(730 * day), Size: ByteSize(units.GiB)},
		},
	}
}

// applyDefaults puts the data in the state directory when a file leaves
// storage.path out. A Config built in code keeps "" (memory only), and
// without a home directory to hold it the history stays in memory too.
func (s *Storage) applyDefaults(k keys) {
	if _, fromFile := k.(docKeys); !fromFile || k.has("path") {
		return
	}
	if dir, err := StateDir(); err == nil {
		s.Path = dir
	}
}

// Limits of the storage keys.
const (
	minFlushInterval = Duration(100 * time.Millisecond)
	maxFlushInterval = Duration(10 * time.Minute)
	// MaxRetention is the longest any tier keeps its data.
	MaxRetention = LongDuration(100 * 365 * 24 * time.Hour)
)

// Validate checks the flush interval and that each tier's time is at
// least the one before it: a coarser tier that forgets sooner than a finer
// one would leave a hole in a long range.
func (s Storage) Validate() error { return s.validate(valuesOf(&s)) }

// validate is Validate, told by k which keys the file gives: a tier's
// time the file leaves at its default, shorter than the finer tier's time
// the file gives, is the given time's fault, reported there.
func (s Storage) validate(k keys) error {
	var p problems
	if s.FlushInterval < minFlushInterval || s.FlushInterval > maxFlushInterval {
		p.addf("flush_interval", "must be between %s and %s, got %s", minFlushInterval, maxFlushInterval, s.FlushInterval)
	}
	r := s.Retention
	for _, t := range []struct {
		key         string
		limit, prev TierLimit
		prevKey     string
	}{{"1m", r.Minute, r.Raw, "raw"}, {"1h", r.Hour, r.Minute, "1m"}} {
		// 0 is no limit: the longest of all.
		if t.limit.Time != 0 && (t.prev.Time == 0 || t.limit.Time < t.prev.Time) {
			prev := t.prev.Time.String()
			if t.prev.Time == 0 {
				prev = "0, no limit"
			}
			key, prevKey := "retention."+t.key+".time", "retention."+t.prevKey+".time"
			given := func(tier string) bool { return k.sub("retention").sub(tier).has("time") }
			switch {
			case !given(t.key) && given(t.prevKey):
				want := "of at least " + prev
				if t.prev.Time == 0 {
					prev, want = "0 (no limit)", "0 too"
				}
				p.addf(prevKey, "%s is longer than %s (%s, the default): a coarser tier keeps its data at least as long; give %s %s",
					prev, key, t.limit.Time, key, want)
			case !given(t.prevKey):
				p.addf(key, "%s is shorter than %s (%s, the default): a coarser tier keeps its data at least as long", t.limit.Time, prevKey, prev)
			default:
				p.addf(key, "%s is shorter than %s (%s): a coarser tier keeps its data at least as long", t.limit.Time, prevKey, prev)
			}
		}
	}
	return p.err()
}

// StateDir is where pulseboard keeps its data when the config does not
// say: $XDG_STATE_HOME/pulseboard, else ~/.local/state/pulseboard on Unix;
// ~/Library/Application Support/pulseboard on macOS; %LocalAppData%\pulseboard
// on Windows. An error when there is no home directory to put it in.
func StateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "pulseboard"), nil
	}
	switch runtime.GOOS {
	case "windows", "darwin", "ios":
		d, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("no directory for the stored history (set storage.path): %w", err)
		}
		if runtime.GOOS == "windows" {
			if l := os.Getenv("LocalAppData"); l != "" {
				d = l
			}
		}
		return filepath.Join(d, "pulseboard"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no directory for the stored history (set storage.path): %w", err)
	}
	return filepath.Join(home, ".local", "state", "pulseboard"), nil
}

// LongDuration is a span written as Prometheus writes its retention:
// "12h", "2d", "90d", "1w", "2y" (a day is 24 h, a year 365 days), up to
// MaxRetention. Unlike Duration it may exceed a day.
type LongDuration time.Duration

// D returns the value as a time.Duration.
func (d LongDuration) D() time.Duration { return time.Duration(d) }

// String writes the span in years or days when it is a whole number of
// them ("2y", "90d"), else as Prometheus does ("36h", "1d12h30m").
func (d LongDuration) String() string {
	const day = LongDuration(24 * time.Hour)
	switch {
	case d > 0 && d%(365*day) == 0:
		return strconv.FormatInt(int64(d/(365*day)), 10) + "y"
	case d > 0 && d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return model.Duration(d).String()
}

// MarshalYAML writes the span as a string.
func (d LongDuration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML reads a span, reporting a bad one at its position.
func (d *LongDuration) UnmarshalYAML(node ast.Node) error {
	text, err := scalarText(node, "a span like 12h, 2d, 90d or 2y")
	if err != nil || text == nil {
		return err
	}
	v, perr := model.ParseDuration(*text)
	switch {
	case perr != nil && negativeReason(*text, parseSpan, "12h, 2d, 90d or 2y") != "":
		why := negativeReason(*text, parseSpan, "12h, 2d, 90d or 2y")
		return &yaml.SyntaxError{Message: fmt.Sprintf("invalid span %q: %s", *text, why), Token: node.GetToken()}
	case perr != nil && wellFormed(*text, parseSpan):
		return &yaml.SyntaxError{Message: fmt.Sprintf("invalid span %q: too long: the most is %s", *text, MaxRetention), Token: node.GetToken()}
	case perr != nil:
		return &yaml.SyntaxError{Message: fmt.Sprintf("invalid span %q: want a number with a unit, like 12h, 2d, 90d or 2y", *text), Token: node.GetToken()}
	case LongDuration(v) > MaxRetention:
		return &yaml.SyntaxError{Message: fmt.Sprintf("invalid span %q: too long: the most is %s", *text, MaxRetention), Token: node.GetToken()}
	}
	*d = LongDuration(v)
	return nil
}

// ByteSize is a size in bytes written as Prometheus writes
// retention.size: "512MB", "1GB", "2GiB" (units of 1024, as there), or a
// plain number of bytes.
type ByteSize int64

// String writes the size with the largest unit that divides it ("1GiB").
func (b ByteSize) String() string { return units.Base2Bytes(b).String() }

// MarshalYAML writes the size as a string.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// UnmarshalYAML reads a size, reporting a bad one at its position.
func (b *ByteSize) UnmarshalYAML(node ast.Node) error {
	text, err := scalarText(node, "a size like 512MB, 1GB or 2GiB")
	if err != nil || text == nil {
		return err
	}
	if why := negativeReason(*text, parseSize, "512MB, 1GB or 2GiB"); why != "" {
		return &yaml.SyntaxError{Message: fmt.Sprintf("invalid size %q: %s", *text, why), Token: node.GetToken()}
	}
	v, perr := sizeOf(*text)
	switch {
	case (perr != nil || v < 0) && wellFormed(*text, parseSize):
		// A number past int64, or one a unit takes past it (ParseUnit
		// wraps 2^63 to a negative): well formed, only too large.
		return &yaml.SyntaxError{Message: fmt.Sprintf("invalid size %q: too large: the most is %d bytes (8EiB)", *text, int64(math.MaxInt64)), Token: node.GetToken()}
	case perr != nil || v < 0:
		return &yaml.SyntaxError{Message: fmt.Sprintf("invalid size %q: want a number with a unit, like 512MB, 1GB or 2GiB", *text), Token: node.GetToken()}
	}
	*b = ByteSize(v)
	return nil
}

// sizeOf reads a size: a plain number of bytes, or a number with a unit
// of 1024 (ParseBase2Bytes).
func sizeOf(text string) (units.Base2Bytes, error) {
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return units.Base2Bytes(n), nil
	}
	return units.ParseBase2Bytes(text)
}

// parseSize is sizeOf's verdict on text.
func parseSize(text string) error {
	_, err := sizeOf(text)
	return err
}

// parseSpan is model.ParseDuration's verdict on text.
func parseSpan(text string) error {
	_, err := model.ParseDuration(text)
	return err
}

// scalarText is the text of a scalar node, nil for a null one (the key
// left empty keeps its default), or an error at the node naming what was
// wanted.
func scalarText(node ast.Node, want string) (*string, error) {
	switch n := node.(type) {
	case *ast.NullNode:
		return nil, nil
	case *ast.StringNode:
		return &n.Value, nil
	case *ast.IntegerNode, *ast.FloatNode:
		s := n.GetToken().Value
		return &s, nil
	}
	tok := node.GetToken()
	if m, ok := node.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
		tok = m.Values[0].Key.GetToken()
	}
	return nil, &yaml.SyntaxError{Message: fmt.Sprintf("want %s, got a %s", want, node.Type().YAMLName()), Token: tok}
}
