package main

import (
	"time"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/collectors"
	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/supervisor"
)

// The "supervision" events of the stream (docs/protocol.md): what the
// collectors' supervisor did to a source, told to the dashboards as it
// happens and kept in the aggregator's event log, so that a page opened
// later still lists a crash, its restart and when a parked source is
// retried.

// sourcesSupervisor is the name of the supervisor of the sources (the
// collectors' Manager): its children are the sources, by name.
const sourcesSupervisor = "collectors"

// maxEventError bounds the error an event carries, in bytes: a panic
// value or a target's reply quoted whole must not swell every snapshot.
const maxEventError = 512

// supervisionPayload is the payload of a "supervision" event.
type supervisionPayload struct {
	Source   string `json:"source"`
	Event    string `json:"event"`
	Restarts int    `json:"restarts"`
	Error    string `json:"error,omitempty"`
	DelayMs  int64  `json:"delay_ms,omitempty"`
	RetryAt  int64  `json:"retry_at,omitempty"`
}

// supervisionEvent is the stream's event for e, and false for what the
// stream does not tell: the events of other supervisors than the
// sources', a supervisor giving up (the root restarts it: the tree says
// so), and kinds to come.
func supervisionEvent(e supervisor.Event) (protocol.Event, bool) {
	if e.Supervisor != sourcesSupervisor || e.Child == "" {
		return protocol.Event{}, false
	}
	p := supervisionPayload{Source: e.Child, Restarts: e.Restarts}
	switch e.Kind {
	case supervisor.EventStarted:
		p.Event = "started"
	case supervisor.EventExited:
		p.Event = "stopped" // a clean stop: a reload, a removal, the program stopping
		if e.Err != nil {
			p.Event = "crashed"
		}
	case supervisor.EventRestarting:
		p.Event = "restarting"
	case supervisor.EventParked:
		p.Event = "parked"
	case supervisor.EventStuck:
		p.Event = "stuck"
	default:
		return protocol.Event{}, false
	}
	var ts int64
	if !e.Time.IsZero() {
		ts = e.Time.UnixMilli()
	}
	if e.Kind == supervisor.EventRestarting || e.Kind == supervisor.EventParked {
		p.DelayMs = e.Delay.Milliseconds()
		if ts != 0 {
			p.RetryAt = e.Time.Add(e.Delay).UnixMilli()
		}
	}
	if e.Err != nil {
		p.Error = eventError(e.Err.Error())
	}
	ev, err := protocol.NewEvent("supervision", ts, p)
	return ev, err == nil // a struct of strings and ints: cannot fail
}

// eventError is an error as an event shows it: its first line (a panic
// carries its stack), URLs redacted (user info and query values; the
// collector masked the source's own secrets before its supervisor saw
// the error), cut to maxEventError bytes at a character boundary.
func eventError(text string) string {
	var urls *configs.Redactor // the nil Redactor masks URLs only
	cut, clipped := urls.Clip(firstLine(text), maxEventError)
	if clipped {
		cut += "…"
	}
	return cut
}

// sourcePayload is the payload of a "source" event: a source's polls
// failing ("down", with the failed poll's error) or working again ("up").
type sourcePayload struct {
	Source string `json:"source"`
	Event  string `json:"event"`
	Error  string `json:"error,omitempty"`
}

// sourceEvent is the stream's event for a source's polls failing or
// working again (collectors.ManagerOptions.Health). The error was masked
// by the collector with the source's secrets; eventError masks URLs and
// bounds it as a supervision event's.
func sourceEvent(h collectors.HealthChange) (protocol.Event, bool) {
	if h.Source == "" {
		return protocol.Event{}, false
	}
	p := sourcePayload{Source: h.Source, Event: "down", Error: eventError(h.Error)}
	if h.Up {
		p.Event, p.Error = "up", ""
	}
	var ts int64
	if !h.At.IsZero() {
		ts = h.At.UnixMilli()
	}
	ev, err := protocol.NewEvent("source", ts, p)
	return ev, err == nil // strings: cannot fail
}

// serverPayload is the payload of a "server" event.
type serverPayload struct {
	Event   string `json:"event"`
	Version string `json:"version,omitempty"`
	// Previous is when the previous run last wrote its history (Unix ms),
	// 0 when unknown (memory only, a first start): a page draws the
	// restart on its charts only when there was a run before.
	Previous int64 `json:"previous,omitempty"`
}

// serverStartedEvent is the stream's event for this process starting at
// started, after a run whose last stored time was previous (0: none).
func serverStartedEvent(started time.Time, previous int64, version string) protocol.Event {
	p := serverPayload{Event: "started", Version: eventError(version), Previous: max(0, previous)}
	ev, _ := protocol.NewEvent("server", started.UnixMilli(), p) // strings and an int: cannot fail
	return ev
}

// announceSource sends a source's health change to the stream; it must
// not block (ManagerOptions.Health runs on the collector's goroutine).
func (p *program) announceSource(h collectors.HealthChange) {
	ev, ok := sourceEvent(h)
	if !ok {
		return
	}
	if err := p.sendEvent(ev); err != nil {
		p.log.Warn("a source event not announced", "source", h.Source, "err", err)
	}
}
