package aggregator

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// Alerts: the aggregator carries them like sources and events, knowing
// nothing of rules. The evaluator (package alerting) hands it the alerts
// that changed; the next delta carries them, and snapshots hold the active
// ones as of their seq.

// alertState is the aggregator's side of the alerts: what the evaluator
// handed over and no delta published yet (pending, under alertsMu), and
// what published deltas hold (published, under the Aggregator's mu).
type alertState struct {
	pending   map[string]protocol.Alert // by ID; the latest version wins
	order     []string                  // pending IDs in arrival order
	published map[string]protocol.Alert // active alerts as of seq, by ID
	told      map[string]toldAlert      // what the "alert" events said last, by ID (under alertsMu)
}

// SetAlerts hands the aggregator the alerts that changed since the
// previous call, each whole: one replaces the alert with its ID, one whose
// state is resolved removes it. They go into the next delta, which is
// published even if no data changed, and into every snapshot after it.
// Two versions of one alert handed over before a delta is built make one
// entry, the later. Nil Labels and Annotations are taken as empty; a
// Value or Threshold that is NaN or infinite is written as null. The aggregator keeps the alerts given (the caller must
// not modify their maps afterwards). Safe for concurrent use; it does not
// wait for the store.
func (a *Aggregator) SetAlerts(changed []protocol.Alert) {
	if len(changed) == 0 {
		return
	}
	var events []loggedEvent
	defer func() { a.announceEncoded(events) }() // after alertsMu: queueEvent takes eventsMu
	a.alertsMu.Lock()
	defer a.alertsMu.Unlock()
	if a.alerts.pending == nil {
		a.alerts.pending = make(map[string]protocol.Alert, len(changed))
	}
	for _, al := range changed {
		if al.Labels == nil { // never null on the wire
			al.Labels = map[string]string{}
		}
		if al.Annotations == nil {
			al.Annotations = map[string]string{}
		}
		if _, ok := a.alerts.pending[al.ID]; !ok {
			a.alerts.order = append(a.alerts.order, al.ID)
		}
		a.alerts.pending[al.ID] = al
		if ev, ok := a.alertEvent(al); ok {
			events = append(events, ev)
		}
	}
	a.wakeUp() // the publisher runs only when something is pending
}

// takeAlerts moves the pending alerts into published and returns them, in
// arrival order. Must hold a.mu for writing.
func (a *Aggregator) takeAlerts() []protocol.Alert {
	a.alertsMu.Lock()
	order, pending := a.alerts.order, a.alerts.pending
	a.alerts.order, a.alerts.pending = nil, nil
	a.alertsMu.Unlock()
	if len(order) == 0 {
		return nil
	}
	if a.alerts.published == nil {
		a.alerts.published = make(map[string]protocol.Alert)
	}
	out := make([]protocol.Alert, len(order))
	for i, id := range order {
		al := pending[id]
		out[i] = al
		if al.State == protocol.AlertResolved {
			delete(a.alerts.published, id)
		} else {
			a.alerts.published[id] = al
		}
	}
	return out
}

// publishedAlerts returns the active alerts as of seq, ordered by ID. Must
// hold a.mu.
func (a *Aggregator) publishedAlerts() []protocol.Alert {
	out := make([]protocol.Alert, 0, len(a.alerts.published))
	for _, al := range a.alerts.published {
		out = append(out, al)
	}
	slices.SortFunc(out, func(x, y protocol.Alert) int { return strings.Compare(x.ID, y.ID) })
	return out
}

// AlertsJSON returns the body of GET /api/v1/alerts: the active alerts as
// of the latest delta, in Prometheus' /api/v1/alerts shape
// (protocol.AlertsResponse), ordered by ID.
func (a *Aggregator) AlertsJSON() []byte {
	a.mu.RLock()
	alerts := a.publishedAlerts()
	a.mu.RUnlock()
	resp := protocol.AlertsResponse{Status: "success", Data: protocol.AlertsData{Alerts: make([]protocol.APIAlert, len(alerts))}}
	for i, al := range alerts {
		resp.Data.Alerts[i] = apiAlert(al)
	}
	b, err := json.Marshal(resp)
	if err != nil { // strings, times and a string: cannot happen
		a.opts.Logger.Error("encode alerts", "err", err)
		return []byte(`{"status":"success","data":{"alerts":[]}}`)
	}
	return b
}

// apiAlert renders an alert in Prometheus' API shape.
func apiAlert(al protocol.Alert) protocol.APIAlert {
	v := protocol.APIAlert{Labels: al.Labels, Annotations: al.Annotations, State: al.State, Value: "NaN"}
	if v.Labels == nil {
		v.Labels = map[string]string{}
	}
	if v.Annotations == nil {
		v.Annotations = map[string]string{}
	}
	if al.ActiveAt != 0 {
		t := time.UnixMilli(al.ActiveAt).UTC()
		v.ActiveAt = &t
	}
	if al.KeepFiringSince != 0 {
		t := time.UnixMilli(al.KeepFiringSince).UTC()
		v.KeepFiringSince = &t
	}
	if al.Value != nil {
		v.Value = strconv.FormatFloat(*al.Value, 'e', -1, 64)
	}
	return v
}

// mergeAlerts folds the alerts of consecutive deltas: one entry per ID,
// the latest version, at the place of its first appearance.
func mergeAlerts(ds []*delta) []protocol.Alert {
	var out []protocol.Alert
	at := map[string]int{}
	for _, d := range ds {
		for _, al := range d.alerts {
			if i, ok := at[al.ID]; ok {
				out[i] = al
				continue
			}
			at[al.ID] = len(out)
			out = append(out, al)
		}
	}
	return out
}

// appendAlerts writes `,"alerts":[…]` when there are any.
func appendAlerts(b []byte, alerts []protocol.Alert) []byte {
	if len(alerts) == 0 {
		return b
	}
	b = append(b, `,"alerts":[`...)
	for i := range alerts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendAlert(b, &alerts[i])
	}
	return append(b, ']')
}

// appendAlert writes an Alert with the names of its json tags.
func appendAlert(b []byte, al *protocol.Alert) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, al.ID)
	b = append(b, `,"name":`...)
	b = appendString(b, al.Name)
	b = append(b, `,"state":`...)
	b = appendString(b, al.State)
	b = append(b, `,"severity":`...)
	b = appendString(b, al.Severity)
	b = append(b, `,"labels":`...)
	b = appendStringMap(b, al.Labels)
	b = append(b, `,"annotations":`...)
	b = appendStringMap(b, al.Annotations)
	b = append(b, `,"value":`...)
	b = appendOptFloat(b, al.Value)
	if al.Threshold != nil {
		b = append(b, `,"threshold":`...)
		b = appendOptFloat(b, al.Threshold)
	}
	if al.Series != "" {
		b = append(b, `,"series":`...)
		b = appendString(b, al.Series)
	}
	if al.Source != "" {
		b = append(b, `,"source":`...)
		b = appendString(b, al.Source)
	}
	b = append(b, `,"active_at":`...)
	b = strconv.AppendInt(b, al.ActiveAt, 10)
	for _, f := range [...]struct {
		key string
		v   int64
	}{{`,"fired_at":`, al.FiredAt}, {`,"resolved_at":`, al.ResolvedAt}, {`,"keep_firing_since":`, al.KeepFiringSince}} {
		if f.v != 0 {
			b = append(b, f.key...)
			b = strconv.AppendInt(b, f.v, 10)
		}
	}
	return append(b, '}')
}

// appendOptFloat writes a number, or null for nil, NaN and ±Inf (which
// encoding/json refuses: a producer must not hand them over).
func appendOptFloat(b []byte, v *float64) []byte {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return append(b, "null"...)
	}
	return appendFloat(b, *v)
}

// appendStringMap writes a map of strings with its keys sorted, as
// encoding/json does; nil is {}.
func appendStringMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}
