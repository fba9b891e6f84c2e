package configs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Supervisor values past their bounds are refused where they are written,
// with the reason; the bounds themselves are accepted.
func TestSupervisorBounds(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"max_restarts", "supervisor: {max_restarts: 9223372036854775807}\n",
			"t.yaml:1:28: supervisor.max_restarts: 9223372036854775807 is more than the ceiling of 100 restarts"},
		{"period short", "supervisor: {period: 1ns}\n",
			"t.yaml:1:22: supervisor.period: 1ns is too short: the least is 1s"},
		{"cooldown", "supervisor: {cooldown: 10ms}\n",
			"t.yaml:1:24: supervisor.cooldown: 10ms is too short: the least is 1s"},
		{"restart rate", "supervisor: {max_restarts: 100, cooldown: 1m}\n",
			"t.yaml:1:43: supervisor.cooldown: 1m is too short for max_restarts 100: a source that crashes at every start would be restarted 100 times every 1m, more than once a second; the least is 1m40s"},
		{"backoff.initial", "supervisor: {backoff: {initial: 1ns, max: 1ns}}\n",
			"t.yaml:1:33: supervisor.backoff.initial: 1ns is too short: the least is 10ms"},
		{"backoff.max", "supervisor: {backoff: {max: 2h}}\n",
			"t.yaml:1:29: supervisor.backoff.max: 2h is too long: the most is 1h"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(c.data))
			require.Len(t, Errors(err), 1, "%v", err)
			require.True(t, strings.HasPrefix(err.Error(), c.want), "%v", err)
		})
	}
	_, err := Parse("ok.yaml", []byte("supervisor: {max_restarts: 100, period: 24h, cooldown: 100s, backoff: {initial: 10ms, max: 1h}}\n"))
	require.NoError(t, err, "at every bound")
	_, err = Parse("ok.yaml", []byte("supervisor: {max_restarts: 1, period: 1s, cooldown: 1s, backoff: {initial: 10ms, max: 10ms}}\n"))
	require.NoError(t, err, "at every floor")
}
