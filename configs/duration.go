package configs

import (
	"fmt"
	"time"
)

// Duration is a time.Duration written in YAML as "500ms", "1m" or "1h30m".
// It is a type of its own so that a bad value is reported with its position.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String renders the duration the way it is written in YAML.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: want a number with a unit, like 500ms, 10s or 1m", string(b))
	}
	*d = Duration(v)
	return nil
}
