package aggregator

import (
	"strings"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// The "alert" events (docs/protocol.md): an alert turning pending,
// firing (or firing at another severity) and resolved, told once per
// change and kept in the event log like any announced event, so that a
// page opened later lists what the alerts did, not only what is active.
// The alerts themselves go on as before (SetAlerts, the deltas' alerts).

// maxAlertText bounds each text of an "alert" event, in bytes: a rule's
// name or a series id quoted whole must not swell every snapshot.
const maxAlertText = 256

// toldAlert is what the last "alert" event of an alert said.
type toldAlert struct{ state, severity string }

// alertPayload is the payload of an "alert" event.
type alertPayload struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Event    string   `json:"event"` // pending, firing, resolved
	Severity string   `json:"severity,omitempty"`
	Source   string   `json:"source,omitempty"`
	Series   string   `json:"series,omitempty"`
	Value    *float64 `json:"value,omitempty"`
}

// alertEvent is the "alert" event al's change makes, and false when it
// tells nothing new: the same state at the same severity, or a resolved
// alert this aggregator never told of. Called by SetAlerts under
// alertsMu; it notes what it told.
func (a *Aggregator) alertEvent(al protocol.Alert) (protocol.Event, bool) {
	prev, known := a.alerts.told[al.ID]
	var ts int64
	switch al.State {
	case protocol.AlertResolved:
		if !known {
			return protocol.Event{}, false
		}
		delete(a.alerts.told, al.ID)
		ts = al.ResolvedAt
	case protocol.AlertPending, protocol.AlertFiring:
		now := toldAlert{al.State, al.Severity}
		if known && prev == now {
			return protocol.Event{}, false
		}
		if a.alerts.told == nil {
			a.alerts.told = make(map[string]toldAlert)
		}
		a.alerts.told[al.ID] = now
		ts = al.ActiveAt
		if al.State == protocol.AlertFiring && al.FiredAt != 0 {
			ts = al.FiredAt
		}
		if known && prev.state == al.State { // a firing alert's severity changed: now
			ts = 0
		}
	default:
		return protocol.Event{}, false
	}
	p := alertPayload{
		ID: a.alertText(al.ID), Name: a.alertText(al.Name), Event: al.State, Severity: a.alertText(al.Severity),
		Source: a.alertText(al.Source), Series: a.alertText(al.Series),
	}
	if al.Value != nil && finite(*al.Value) {
		v := *al.Value
		p.Value = &v
	}
	if ts == 0 {
		ts = a.nowMs()
	}
	ev, err := protocol.NewEvent("alert", ts, p)
	return ev, err == nil // strings and a finite number: cannot fail
}

// alertText is s masked and cut to maxAlertText bytes at a character
// boundary (Options.Clip), "…" marking the cut.
func (a *Aggregator) alertText(s string) string {
	clip := a.opts.Clip
	if clip == nil {
		clip = cutText
	}
	s, cut := clip(s, maxAlertText)
	if cut {
		s += "…"
	}
	return s
}

// cutText is the Clip of an aggregator given none: s cut to at most n
// bytes, a character cut in two left out, nothing masked.
func cutText(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	return strings.ToValidUTF8(s[:n], ""), true
}

// announceAll queues events for the next delta (Announce); an event that
// cannot be encoded is counted as dropped.
func (a *Aggregator) announceAll(events []protocol.Event) {
	for _, ev := range events {
		if err := a.Announce(ev); err != nil {
			a.stats.eventsDropped.Add(1)
		}
	}
}
