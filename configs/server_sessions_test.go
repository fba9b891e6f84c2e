package configs

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// The session budget's keys: -1 turns it off, a rate below -1 or a
// snapshot rate below 64KiB is refused at its place.
func TestServerSessionBudget(t *testing.T) {
	src := "server:\n  session_rate: %d\n  session_snapshot_rate: %s\nsources: []\n"
	for _, tc := range []struct {
		rate  int
		bytes string
		want  string
	}{
		{0, "0", ""},
		{-1, "0", ""},
		{50, "32MiB", ""},
		{-2, "0", "a.yaml:2:17: server.session_rate: must be -1 (no budget), 0 (left out: 20) or more sessions a second, got -2"},
		{0, "1KiB", "a.yaml:3:26: server.session_snapshot_rate: 1KiB a second cannot send one snapshot of a few series within the hold: at least 64KiB (0 or left out: 16MiB)"},
		{0, "-5", "a.yaml:3:26: server.session_snapshot_rate: invalid size \"-5\": must not be negative"},
	} {
		cfg, err := Parse("a.yaml", []byte(fmt.Sprintf(src, tc.rate, tc.bytes)))
		if tc.want == "" {
			require.NoError(t, err)
			require.Equal(t, tc.rate, cfg.Server.SessionRate)
			continue
		}
		require.EqualError(t, err, tc.want)
	}
}
