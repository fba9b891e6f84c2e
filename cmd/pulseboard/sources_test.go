package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/cmd/testtool"
	pbcollectors "github.com/pulseboard/pulseboard/collectors"
	"github.com/pulseboard/pulseboard/supervisor"
)

func TestSourceInfosFromStatuses(t *testing.T) {
	at := time.Date(2026, 11, 3, 12, 0, 0, 500_000_000, time.UTC)
	statuses := []pbcollectors.Status{
		{Name: "web", Type: "http", State: supervisor.StateRunning, Stats: pbcollectors.Stats{
			Polls: 10, Failures: 2, Restarts: 1, Hangs: 1, Samples: 30, Up: true,
			LastError: "boom", LastErrorAt: at.Add(-time.Minute), LastWarning: "left out 1 infinite values",
			LastWarningAt: at, LastSuccess: at, LastPoll: 12500 * time.Microsecond,
		}},
		{Name: "new", Type: "simulated", State: supervisor.StateStarting},
	}
	require.Equal(t, []aggregator.SourceInfo{
		{Name: "web", Type: "http", State: aggregator.StateRunning, Up: true, Restarts: 1, Polls: 10, Failures: 2,
			LastError: "boom", LastErrorAt: at.UnixMilli() - 60_000, LastWarning: "left out 1 infinite values",
			LastWarningAt: at.UnixMilli(), LastSuccess: at.UnixMilli(), PollMs: 12.5},
		{Name: "new", Type: "simulated", State: aggregator.StateStarting},
	}, sourceInfos(statuses), "never: 0, not the zero time's Unix ms")

	require.NotNil(t, sourceInfos(nil), "no sources is an empty list, not null")
	require.Empty(t, sourceInfos(nil))

	for s, want := range map[supervisor.State]string{
		supervisor.StateStarting: aggregator.StateStarting,
		supervisor.StateRunning:  aggregator.StateRunning,
		supervisor.StateBackoff:  aggregator.StateBackoff,
		supervisor.StateFailed:   aggregator.StateFailed,
		supervisor.StateStopped:  aggregator.StateStopped,
		supervisor.State(99):     "State(99)",
	} {
		require.Equal(t, want, sourceState(s))
	}
}

// TestMetricsPerSourceFollowReload scrapes the program's /metrics: every
// source has its counters, a source removed by a reload loses them at
// once, an added one gains them, and promtool finds nothing to say.
// Without promtool that last check skips, except under CI=true where it
// fails.
func TestMetricsPerSourceFollowReload(t *testing.T) {
	f := startReload(t, "reload_base.yaml", true)
	require.Eventually(t, func() bool {
		return metricValue(t, f.p.registry, "pulseboard_source_samples_total", map[string]string{"source": "doomed"}) > 0
	}, waitLong, 5*time.Millisecond)

	code, body := f.do("GET", "/metrics", "")
	require.Equal(t, http.StatusOK, code)
	for _, name := range []string{
		// The collectors' own.
		"pulseboard_source_hung_polls_total", "pulseboard_source_stuck_goroutines",
		"pulseboard_source_consecutive_failures", "pulseboard_source_partial_errors_total",
		"pulseboard_source_non_finite_samples_total",
		"pulseboard_source_batches_shed_total", "pulseboard_source_samples_total",
		// The aggregator's, from sourceInfos.
		"pulseboard_source_polls_total", "pulseboard_source_failures_total", "pulseboard_source_restarts_total",
		"pulseboard_source_up", "pulseboard_source_running",
		"pulseboard_source_last_success_timestamp_seconds", "pulseboard_source_poll_duration_seconds",
	} {
		for _, src := range []string{"steady", "doomed", "edited"} {
			require.Contains(t, string(body), name+`{source="`+src+`"} `)
		}
	}
	require.Equal(t, 1.0, metricValue(t, f.p.registry, "pulseboard_source_up", map[string]string{"source": "doomed"}))
	before := body

	f.replace("reload_next.yaml")
	code, _ = f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusOK, code)
	require.True(t, f.event().OK)
	_, body = f.do("GET", "/metrics", "")
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "pulseboard_source_") {
			require.NotContains(t, line, `source="doomed"`, "a removed source's series go with it")
		}
	}
	require.Contains(t, string(body), `pulseboard_source_samples_total{source="fresh"} `)
	requirePromtoolClean(t, before)
	requirePromtoolClean(t, body)
}

func requirePromtoolClean(t *testing.T, exposition []byte) {
	t.Helper()
	testtool.RequirePromtoolClean(t, exposition)
}
