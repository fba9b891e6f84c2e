package configs

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// server.slow_cut_budget: -1 turns it off, below that is refused at its
// place.
func TestServerSlowCutBudget(t *testing.T) {
	src := "server:\n  slow_cut_budget: %d\nsources: []\n"
	for _, tc := range []struct {
		budget int
		want   string
	}{
		{0, ""},
		{-1, ""},
		{600, ""},
		{-2, "a.yaml:2:20: server.slow_cut_budget: must be -1 (no budget), 0 (left out: 60) or more cuts a minute, got -2"},
	} {
		cfg, err := Parse("a.yaml", []byte(fmt.Sprintf(src, tc.budget)))
		if tc.want == "" {
			require.NoError(t, err)
			require.Equal(t, tc.budget, cfg.Server.SlowCutBudget)
			continue
		}
		require.EqualError(t, err, tc.want)
	}
}
