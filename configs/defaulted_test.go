package configs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// An error that comes of a key the file writes against one it leaves at
// its default is reported at the written key, or, where the rule cannot
// tell which is at fault, says that the other is the default: never at an
// index or a key the file does not have as if it were written there. A
// key left out that is required keeps its "is required" (its value is
// zero, not a default).
func TestErrorsAtDefaultedKeys(t *testing.T) {
	stateDir(t)
	for _, tc := range []struct{ yaml, want string }{
		// The trial's case, and its kind: windows left out, history too short.
		{"aggregator:\n  history: 2m\n",
			"a.yaml:2:12: aggregator.history: 2m is shorter than the default windows (1m, 5m, 15m), which need a history of at least 15m: give a longer history, or windows no longer than 2m"},
		{"aggregator:\n  history: 10m\n  windows:\n",
			"a.yaml:2:12: aggregator.history: 10m is shorter than the default windows (1m, 5m, 15m), which need a history of at least 15m: give a longer history, or windows no longer than 10m"},
		// Windows written, history left out: at the window, the default named.
		{"aggregator:\n  windows: [1m, 30m]\n",
			"a.yaml:2:17: aggregator.windows[1]: window 30m is longer than history (15m, the default): give aggregator.history of at least 30m"},
		// Both written: as before.
		{"aggregator:\n  history: 10m\n  windows: [1m, 15m]\n",
			"a.yaml:3:17: aggregator.windows[1]: window 15m is longer than history (10m)"},
		// A retention tier's time left out, the finer one's written.
		{"storage:\n  retention:\n    1m: {time: 3y}\n",
			"a.yaml:3:16: storage.retention.1m.time: 3y is longer than retention.1h.time (2y, the default): a coarser tier keeps its data at least as long; give retention.1h.time of at least 3y"},
		// Any other rule: at the nearest written key, saying the default.
		{"supervisor:\n  backoff: {initial: 1m}\n",
			"a.yaml:2:12: supervisor.backoff.max: 30s is shorter than backoff.initial (1m) (supervisor.backoff.max is not in the file: that is its default)"},
		{"aggregator:\n  memory_limit: 1KiB\n",
			"(aggregator.queue_samples is not in the file: that is its default)"},
		// Required keys left out are not defaults.
		{"sources:\n  - name: p\n    type: http\n", "a.yaml:2:5: sources[0].url: is required for http sources"},
	} {
		_, err := Parse("a.yaml", []byte(tc.yaml))
		require.Error(t, err, tc.yaml)
		require.Contains(t, err.Error(), tc.want, tc.yaml)
		require.NotContains(t, err.Error(), "\n", "one error only: %s", tc.yaml)
		if strings.Contains(tc.want, "is required") {
			require.NotContains(t, err.Error(), "default", tc.yaml)
		}
	}
}
