package main

import (
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pulseboard/pulseboard/internal/lograte"
)

// logLinesCollector exports what the log's rate limit dropped, by level, at
// scrape time: pulseboard_log_lines_suppressed_total{level}.
type logLinesCollector struct {
	h    *lograte.Handler
	desc *prometheus.Desc
}

// logLevels are the levels the counter has a series for, always.
var logLevels = []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}

// newLogLinesCollector is the collector of the program's log, or nil when
// log is not rate-limited (tests' loggers).
func newLogLinesCollector(log *slog.Logger) prometheus.Collector {
	h, ok := log.Handler().(*lograte.Handler)
	if !ok {
		return nil
	}
	return &logLinesCollector{h: h, desc: prometheus.NewDesc("pulseboard_log_lines_suppressed_total",
		"Log lines not written by the log's rate limit (a kind of line past 10 a minute), by level; each kind's count is then written once as a \"… N more like this\" line.",
		[]string{"level"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *logLinesCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *logLinesCollector) Collect(ch chan<- prometheus.Metric) {
	for _, l := range logLevels {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(c.h.Suppressed(l)), strings.ToLower(l.String()))
	}
}
