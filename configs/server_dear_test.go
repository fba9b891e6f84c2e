package configs

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// The dear budgets' keys: -1 turns them off, a burst that cannot pay one
// dear request or a negative value is refused at its place.
func TestServerDearBudget(t *testing.T) {
	src := "server:\n  dear_request_rate: %d\n  dear_request_burst: %d\nsources: []\n"
	for _, tc := range []struct {
		rate, burst int
		want        string
	}{
		{0, 0, ""},
		{-1, 0, ""},
		{500, 20, ""},
		{-2, 0, "a.yaml:2:22: server.dear_request_rate: must be -1 (no budget), 0 (left out: 2000) or more cost units a second, got -2"},
		{0, -1, "a.yaml:3:23: server.dear_request_burst: must not be negative, got -1 (0 or left out: 4000)"},
		{0, 19, "a.yaml:3:23: server.dear_request_burst: 19 cost units cannot pay one dear request (20): at least 20"},
	} {
		cfg, err := Parse("a.yaml", []byte(fmt.Sprintf(src, tc.rate, tc.burst)))
		if tc.want == "" {
			require.NoError(t, err)
			require.Equal(t, tc.rate, cfg.Server.DearRequestRate)
			continue
		}
		require.EqualError(t, err, tc.want)
	}
}
