package configs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every size, span and duration key refuses an edge value for the reason
// that is true of it: a negative value as negative (not "too large", not a
// missing unit, whatever the size of its number), a number past what the
// type holds as too large or too long (not misspelt), and a misspelt one
// as wanting a unit. Sizes (memory_limit, retention sizes), spans
// (retention times) and durations (every other time key) are decoded by
// one function each, so one key of each stands for its kind, with a size
// and a duration under a second key to show it is the type, not the key.
func TestEdgeValueReasons(t *testing.T) {
	stateDir(t)
	const (
		memory   = "aggregator:\n  memory_limit: %s\n"
		rawSize  = "storage:\n  retention:\n    raw: {size: %s}\n"
		rawTime  = "storage:\n  retention:\n    raw: {time: %s}\n"
		history  = "aggregator:\n  history: %s\n"
		interval = "broadcast:\n  interval: %s\n"
	)
	for _, tc := range []struct{ yaml, value, want string }{
		{memory, "-1", `aggregator.memory_limit: invalid size "-1": must not be negative`},
		{memory, "-1GiB", `invalid size "-1GiB": must not be negative`},
		{memory, "-99999999999999999999", `invalid size "-99999999999999999999": must not be negative`},
		{memory, "-16EiB", `invalid size "-16EiB": must not be negative`},
		{memory, "0", `aggregator.memory_limit: must be positive, got 0`},
		{memory, "-0", `aggregator.memory_limit: must be positive, got 0`},
		{memory, "99999999999999999999", `invalid size "99999999999999999999": too large`},
		{memory, "16EiB", `invalid size "16EiB": too large`},
		{memory, "99999999999999999999GiB", `invalid size "99999999999999999999GiB": too large`},
		{memory, "-lots", `invalid size "-lots": want a number with a unit`},
		{memory, "1GiBs", `invalid size "1GiBs": want a number with a unit`},
		{rawSize, "-5MB", `storage.retention.raw.size: invalid size "-5MB": must not be negative`},
		{rawSize, "8EiB", `invalid size "8EiB": too large`},

		{rawTime, "-1d", `storage.retention.raw.time: invalid span "-1d": must not be negative`},
		{rawTime, "-1", `invalid span "-1": must not be negative, and wants a unit, like 12h`},
		{rawTime, "-99999999999999999999y", `invalid span "-99999999999999999999y": must not be negative`},
		{rawTime, "99999999999999999999y", `invalid span "99999999999999999999y": too long: the most is 100y`},
		{rawTime, "293y", `invalid span "293y": too long`},
		{rawTime, "-2 days", `invalid span "-2 days": want a number with a unit`},

		{history, "-1", `aggregator.history: invalid duration "-1": must not be negative, and wants a unit, like 500ms`},
		{history, "-9999999999h", `invalid duration "-9999999999h": must not be negative`},
		{history, "-1s", `aggregator.history: must be positive, got -1s`},
		{history, "0", `aggregator.history: must be positive, got 0s`},
		{history, "9999999999h", `invalid duration "9999999999h": too long: the most is 24h`},
		{history, "1", `invalid duration "1": want a number with a unit`},
		{interval, "-1", `broadcast.interval: invalid duration "-1": must not be negative, and wants a unit`},
		{interval, "-99999999999999999999s", `invalid duration "-99999999999999999999s": must not be negative`},
	} {
		y := strings.Replace(tc.yaml, "%s", tc.value, 1)
		_, err := Parse("a.yaml", []byte(y))
		require.Error(t, err, y)
		require.Contains(t, err.Error(), tc.want, y)
		require.NotContains(t, err.Error(), "\n", "one error only: %s", y)
	}
}
