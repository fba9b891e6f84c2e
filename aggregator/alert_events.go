package aggregator

import (
	"slices"
	"strconv"
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

// maxAlertLabels bounds the labels an "alert" event carries: those past it
// (in name order) are left out, so that a series with hundreds of labels
// cannot swell every snapshot either.
const maxAlertLabels = 16

// alertNormal is an "alert" event's from for an alert this server had not
// told of: Grafana's "Normal", the state before pending (or firing, for a
// rule without a for).
const alertNormal = "normal"

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
	// From is the state this server last told of the alert (pending,
	// firing), or normal for one it had not: what a reader needs to tell
	// a pending that ended unfired from a firing's resolution, and a
	// severity change from a firing.
	From string `json:"from"`
	// FromSeverity is the severity last told, with from pending or firing.
	FromSeverity string `json:"from_severity,omitempty"`
	// Labels are the alert's labels but alertname, severity and source
	// (members of their own): what tells the instances of one rule apart.
	Labels map[string]string `json:"labels,omitempty"`
}

// alertEvent is the "alert" event al's change makes, encoded as the
// deltas carry it, and false when it tells nothing new: the same state at
// the same severity, or a resolved alert this aggregator never told of.
// Called by SetAlerts under alertsMu; it notes what it told.
func (a *Aggregator) alertEvent(al protocol.Alert) (loggedEvent, bool) {
	prev, known := a.alerts.told[al.ID]
	var ts int64
	switch al.State {
	case protocol.AlertResolved:
		if !known {
			return loggedEvent{}, false
		}
		delete(a.alerts.told, al.ID)
		ts = al.ResolvedAt
	case protocol.AlertPending, protocol.AlertFiring:
		now := toldAlert{al.State, al.Severity}
		if known && prev == now {
			return loggedEvent{}, false
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
		return loggedEvent{}, false
	}
	p := alertPayload{
		ID: a.alertText(al.ID), Name: a.alertText(al.Name), Event: al.State, Severity: a.alertText(al.Severity),
		Source: a.alertText(al.Source), Series: a.alertText(al.Series), From: alertNormal,
		Labels: a.alertLabels(al.Labels),
	}
	if known {
		p.From, p.FromSeverity = prev.state, a.alertText(prev.severity)
	}
	if al.Value != nil && finite(*al.Value) {
		v := *al.Value
		p.Value = &v
	}
	if ts == 0 {
		ts = a.nowMs()
	}
	return loggedEvent{ts: ts, data: appendAlertEvent(make([]byte, 0, p.encodedSizeHint()), ts, &p)}, true
}

// encodedSizeHint is about the length of p's event, so that its buffer
// is allocated once: the members' names and punctuation, and the texts
// (a few more bytes for those that need escaping are a growth at worst).
func (p *alertPayload) encodedSizeHint() int {
	n := 192 + len(p.ID) + len(p.Name) + len(p.Event) + len(p.Severity) + len(p.Source) + len(p.Series) + len(p.From) + len(p.FromSeverity)
	for k, v := range p.Labels {
		n += len(k) + len(v) + 6
	}
	return n
}

// appendAlertEvent writes the "alert" event of p at ts as the deltas carry
// it, flat: {"kind":"alert","ts":…, then p's members as encoding/json
// writes them (TestAlertEventEncodingAgrees)}. Built with
// protocol.NewEvent and Announce, each state change cost 8.8 KB of
// garbage (the payload encoded by reflection, then decoded token by token
// twice to check its members); written here, one buffer.
func appendAlertEvent(b []byte, ts int64, p *alertPayload) []byte {
	b = append(b, `{"kind":"alert","ts":`...)
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, `,"id":`...)
	b = appendString(b, p.ID)
	b = append(b, `,"name":`...)
	b = appendString(b, p.Name)
	b = append(b, `,"event":`...)
	b = appendString(b, p.Event)
	for _, f := range [...]struct{ key, v string }{{`,"severity":`, p.Severity}, {`,"source":`, p.Source}, {`,"series":`, p.Series}} {
		if f.v != "" {
			b = append(b, f.key...)
			b = appendString(b, f.v)
		}
	}
	if p.Value != nil {
		b = append(b, `,"value":`...)
		b = appendFloat(b, *p.Value)
	}
	b = append(b, `,"from":`...)
	b = appendString(b, p.From)
	if p.FromSeverity != "" {
		b = append(b, `,"from_severity":`...)
		b = appendString(b, p.FromSeverity)
	}
	if len(p.Labels) > 0 {
		b = append(b, `,"labels":`...)
		b = appendStringMap(b, p.Labels)
	}
	return append(b, '}')
}

// alertLabels are an alert's labels as its event carries them: all but
// alertname, severity and source, at most maxAlertLabels (the first by
// name), each name and value masked and cut as alertText; nil for none.
func (a *Aggregator) alertLabels(ls map[string]string) map[string]string {
	names := make([]string, 0, len(ls))
	for k := range ls {
		switch k {
		case "alertname", "severity", "source":
		default:
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	names = names[:min(len(names), maxAlertLabels)]
	out := make(map[string]string, len(names))
	for _, k := range names {
		out[a.alertText(k)] = a.alertText(ls[k])
	}
	return out
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

// announceEncoded queues events already encoded for the next delta, as
// Announce does.
func (a *Aggregator) announceEncoded(events []loggedEvent) {
	for _, ev := range events {
		a.queueEvent(ev)
	}
}
