package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/internal/lograte"
)

// The lines the log's rate limit drops are exported by level.
func TestLogLinesSuppressedExported(t *testing.T) {
	h := lograte.New(slog.NewTextHandler(io.Discard, nil), lograte.Options{Burst: 2})
	log := slog.New(h)
	for range 7 {
		log.Error("storage: write failed", "component", "storage")
	}
	c := newLogLinesCollector(log)
	require.NotNil(t, c)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP pulseboard_log_lines_suppressed_total Log lines not written by the log's rate limit (a kind of line past 10 a minute), by level; each kind's count is then written once as a "… N more like this" line.
# TYPE pulseboard_log_lines_suppressed_total counter
pulseboard_log_lines_suppressed_total{level="debug"} 0
pulseboard_log_lines_suppressed_total{level="error"} 5
pulseboard_log_lines_suppressed_total{level="info"} 0
pulseboard_log_lines_suppressed_total{level="warn"} 0
`)))
	require.Nil(t, newLogLinesCollector(slog.New(slog.DiscardHandler)))
}
