package aggregator

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// TestMetricsPromtoolClean feeds a whole scrape, hostile names and all,
// to `promtool check metrics`, which must report nothing. Without promtool
// it skips, except under CI=true (see testtool.Require).
func TestMetricsPromtoolClean(t *testing.T) {
	promtool := testtool.Require(t, "promtool")
	a, c := newTestAgg(Options{Sources: func() []SourceInfo {
		return []SourceInfo{{Name: "demo", State: StateRunning, Polls: 3}}
	}})
	ctr := gauge("requests_total", c.ms, 5)
	ctr.Kind = KindCounter
	for i := range 5 {
		a.ingest(batch("demo",
			gauge("temperature_celsius", c.ms, 20+float64(i), "room", "a"),
			gauge("queue.depth", c.ms, 3, "source", "x", "__bad", "y\xff"),
			ctr,
		))
		c.ms += 1000
		ctr.TimeMs = c.ms
		ctr.Value += 10
	}
	a.tick()
	mfs, err := registry(t, a).Gather()
	require.NoError(t, err)
	var text bytes.Buffer
	enc := expfmt.NewEncoder(&text, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		require.NoError(t, enc.Encode(mf))
	}
	require.Contains(t, text.String(), "pulseboard_window_value")

	cmd := exec.CommandContext(t.Context(), promtool, "check", "metrics")
	cmd.Stdin = &text
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Empty(t, strings.TrimSpace(string(out)))
}
