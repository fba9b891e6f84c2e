package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// reloadEvent is a reload's report to the dashboards: the payload of a
// protocol event of kind "reload", which the aggregator sends in the next
// delta's "events" for the UI's banner and chart markers. Its members go
// on the wire after kind and ts (docs/protocol.md, "reload").
type reloadEvent struct {
	// TimeMs is when the reload was applied or rejected, in Unix ms: the
	// event's ts.
	TimeMs  int64  `json:"-"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
	// Errors are the reasons a reload was rejected, one per line.
	Errors []string `json:"errors,omitempty"`
	// Added, Removed and Changed name the sources a reload touched;
	// NeedsRestart the settings it could not apply live.
	Added        []string `json:"added,omitempty"`
	Removed      []string `json:"removed,omitempty"`
	Changed      []string `json:"changed,omitempty"`
	NeedsRestart []string `json:"needs_restart,omitempty"`
}

const reloadKind = "reload"

// event is e as the protocol carries it.
func (e reloadEvent) event() (protocol.Event, error) {
	return protocol.NewEvent(reloadKind, e.TimeMs, e)
}

// announcer pushes an event to every connected dashboard. It must not
// block for long: it is called by the reloader, between two reloads.
type announcer interface {
	announce(reloadEvent) error
}

// streamAnnouncer announces through the aggregator's delta stream (and,
// in a cluster, to the peers): program.sendEvent.
type streamAnnouncer struct{ send func(protocol.Event) error }

func (a streamAnnouncer) announce(e reloadEvent) error {
	ev, err := e.event()
	if err != nil {
		return err
	}
	return a.send(ev)
}

// successEvent describes an applied reload in one line.
func successEvent(at time.Time, d configDiff) reloadEvent {
	var parts []string
	for _, c := range []struct {
		what  string
		names []string
	}{{"added", d.added}, {"removed", d.removed}, {"changed", d.changed}} {
		if len(c.names) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", c.what, strings.Join(c.names, ", ")))
		}
	}
	if d.alertsChanged {
		parts = append(parts, "alert rules changed")
	}
	msg := "config reloaded: no source changed"
	if len(parts) > 0 {
		msg = "config reloaded: " + strings.Join(parts, "; ")
	}
	if len(d.needsRestart) > 0 {
		msg += "; needs a restart to take effect: " + strings.Join(d.needsRestart, ", ")
	}
	return reloadEvent{
		TimeMs: at.UnixMilli(), OK: true, Message: msg,
		Added: d.added, Removed: d.removed, Changed: d.changed, NeedsRestart: d.needsRestart,
	}
}

// failureEvent describes a rejected reload.
func failureEvent(at time.Time, lines []string) reloadEvent {
	return reloadEvent{
		TimeMs: at.UnixMilli(), OK: false,
		Message: strings.Join(lines, "; "), Errors: lines,
	}
}

// Reload results, the values of the result label.
const (
	resultSuccess = "success"
	resultFailure = "failure"
	// resultTimeout: loading the file ran past its budget and was
	// abandoned (see loadWithin), or a read of the file or of one it
	// names timed out (configs.ErrReadTimeout); the running config is
	// unchanged.
	resultTimeout = "timeout"
	// resultPostponed: the file changed under every read of it
	// (stillChangingError); the file watch asks again once it settles.
	resultPostponed = "postponed"
)

// Reload triggers, the values of the requests' trigger label.
const (
	triggerFile   = "file"
	triggerSignal = "signal"
	triggerAPI    = "api"
)

// reloadMetrics count reloads on /metrics.
type reloadMetrics struct {
	reloads *prometheus.CounterVec
	// requests counts every reason to reload, before coalescing: thirty
	// SIGHUPs during one reload are thirty requests and one more reload.
	requests    *prometheus.CounterVec
	lastSuccess prometheus.Gauge
}

// newReloadMetrics registers the reload metrics on reg. Both results are
// there from the start, at 0, so that a rate or an alert on failures has a
// series to look at before the first one; the last success is the time
// the config was first loaded.
func newReloadMetrics(reg prometheus.Registerer, loaded time.Time) (*reloadMetrics, error) {
	m := &reloadMetrics{
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_config_reloads_total",
			Help: "Config reloads by result: success (applied), failure (rejected), timeout (loading the file ran past its budget and was abandoned) or postponed (the file kept changing while it was read: still being written); the running config is unchanged unless success.",
		}, []string{"result"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_config_reload_requests_total",
			Help: "Reasons to reload the config, by trigger: file (it changed), signal (SIGHUP) or api (POST /api/v1/reload). Requests that arrive while a reload runs are served together by the next one, so this counts more than pulseboard_config_reloads_total.",
		}, []string{"trigger"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pulseboard_config_last_reload_success_timestamp_seconds",
			Help: "When the running config was last loaded or reloaded successfully, in seconds since the epoch.",
		}),
	}
	m.reloads.WithLabelValues(resultSuccess)
	m.reloads.WithLabelValues(resultFailure)
	m.reloads.WithLabelValues(resultTimeout)
	m.reloads.WithLabelValues(resultPostponed)
	for _, t := range []string{triggerFile, triggerSignal, triggerAPI} {
		m.requests.WithLabelValues(t)
	}
	m.lastSuccess.Set(float64(loaded.UnixNano()) / 1e9)
	for _, c := range []prometheus.Collector{m.reloads, m.requests, m.lastSuccess} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register reload metrics: %w", err)
		}
	}
	return m, nil
}

func (m *reloadMetrics) succeeded(at time.Time) {
	m.reloads.WithLabelValues(resultSuccess).Inc()
	m.lastSuccess.Set(float64(at.UnixNano()) / 1e9)
}

// requested counts one reason to reload; trigger is a reloadRequest's
// ("file", "signal hangup", "api").
func (m *reloadMetrics) requested(trigger string) {
	if strings.HasPrefix(trigger, triggerSignal) {
		trigger = triggerSignal
	}
	m.requests.WithLabelValues(trigger).Inc()
}

func (m *reloadMetrics) failed() { m.reloads.WithLabelValues(resultFailure).Inc() }

func (m *reloadMetrics) timedOut() { m.reloads.WithLabelValues(resultTimeout).Inc() }

func (m *reloadMetrics) postponed() { m.reloads.WithLabelValues(resultPostponed).Inc() }
