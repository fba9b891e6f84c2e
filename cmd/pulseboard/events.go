package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/supervisor"
)

// eventRecorder is the supervision tree's hook: every event is logged and
// counted, so the logs and /metrics tell the same story, and a source's
// events go to the dashboards (supervisionEvent).
type eventRecorder struct {
	log    *slog.Logger
	events *prometheus.CounterVec
	panics *prometheus.CounterVec
	// announce sends a source's event to the stream; it must not block
	// (program.sendEvent queues it for the next delta). Nil: none sent.
	announce func(protocol.Event) error
}

// newEventRecorder returns the hook; announce as in eventRecorder.
func newEventRecorder(log *slog.Logger, announce func(protocol.Event) error) *eventRecorder {
	return &eventRecorder{
		announce: announce,
		log:      log.With("component", "supervisor"),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_supervisor_events_total",
			Help: "Supervision events by supervisor, child and kind (started, exited, restarting, gave_up, stuck, parked).",
		}, []string{"supervisor", "child", "event"}),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_supervisor_panics_total",
			Help: "Panics recovered from supervised children.",
		}, []string{"supervisor", "child"}),
	}
}

// Record is the supervisor hook, called on the supervisor's goroutine. It
// must not block: it logs, counts and queues the stream's event.
func (r *eventRecorder) Record(e supervisor.Event) {
	if ev, ok := supervisionEvent(e); ok && r.announce != nil {
		if err := r.announce(ev); err != nil {
			r.log.Warn("a supervision event not announced", "err", err)
		}
	}
	r.events.WithLabelValues(e.Supervisor, e.Child, e.Kind.String()).Inc()
	var panicked *supervisor.PanicError
	if e.Kind == supervisor.EventExited && errors.As(e.Err, &panicked) {
		r.panics.WithLabelValues(e.Supervisor, e.Child).Inc()
	}
	level := slog.LevelInfo
	switch e.Kind {
	case supervisor.EventExited, supervisor.EventRestarting:
		if e.Err != nil {
			level = slog.LevelWarn
		}
	case supervisor.EventGaveUp, supervisor.EventStuck, supervisor.EventParked:
		level = slog.LevelError
	}
	attrs := []any{"supervisor", e.Supervisor, "child", e.Child, "event", e.Kind.String(), "restarts", e.Restarts}
	if e.Delay > 0 {
		attrs = append(attrs, "delay", e.Delay)
	}
	if e.Err != nil {
		attrs = append(attrs, "err", firstLine(e.Err.Error()))
	}
	r.log.Log(context.Background(), level, "supervision", attrs...)
}

func (r *eventRecorder) Describe(ch chan<- *prometheus.Desc) {
	r.events.Describe(ch)
	r.panics.Describe(ch)
}

func (r *eventRecorder) Collect(ch chan<- prometheus.Metric) {
	r.events.Collect(ch)
	r.panics.Collect(ch)
}

// firstLine keeps log lines single-line: a panic error carries its stack.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
