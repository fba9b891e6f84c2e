package aggregator

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// alertEvents are the snapshot's "alert" events, decoded.
func alertEventsIn(t *testing.T, snap *protocol.Snapshot) []alertPayload {
	t.Helper()
	var out []alertPayload
	for _, e := range snap.Events {
		if e.Kind != "alert" {
			continue
		}
		var p alertPayload
		require.NoError(t, e.DecodePayload(&p))
		out = append(out, p)
	}
	return out
}

// Each state change of an alert is one event at the time it happened: a
// new pending one, it firing, it firing at another severity, and it
// resolving. A repeat of the same state tells nothing; a resolved alert
// never told of is not told.
func TestAlertEventsPerStateChange(t *testing.T) {
	a, c := newTestAgg(Options{})
	pending := firing("0000000000000001", 90)
	pending.State, pending.Source, pending.Series = protocol.AlertPending, "host", "0a1b2c3d4e5f6071"
	a.SetAlerts([]protocol.Alert{pending})
	a.SetAlerts([]protocol.Alert{pending}) // evaluated again, unchanged
	c.ms += 1000
	a.tick()
	fire := pending
	fire.State, fire.FiredAt = protocol.AlertFiring, c.ms-200
	a.SetAlerts([]protocol.Alert{fire})
	a.tick()
	crit := fire
	crit.Severity = protocol.SeverityCritical
	c.ms += 1000
	a.SetAlerts([]protocol.Alert{crit})
	a.tick()
	gone := crit
	gone.State, gone.ResolvedAt = protocol.AlertResolved, c.ms-100
	stranger := gone
	stranger.ID = "0000000000000009"
	a.SetAlerts([]protocol.Alert{gone, stranger})
	a.tick()

	snap := snapshotOf(t, a)
	got := alertEventsIn(t, snap)
	require.Len(t, got, 4, "%+v", got)
	var states, sev []string
	for _, p := range got {
		states = append(states, p.Event)
		sev = append(sev, p.Severity)
		require.Equal(t, "0000000000000001", p.ID)
		require.Equal(t, "HighCPU", p.Name)
		require.Equal(t, "host", p.Source)
		require.Equal(t, "0a1b2c3d4e5f6071", p.Series)
		require.NotNil(t, p.Value)
	}
	require.Equal(t, []string{"pending", "firing", "firing", "resolved"}, states)
	require.Equal(t, []string{"warning", "warning", "critical", "critical"}, sev)
	var from, fromSev []string
	for _, p := range got {
		from = append(from, p.From)
		fromSev = append(fromSev, p.FromSeverity)
	}
	require.Equal(t, []string{"normal", "pending", "firing", "firing"}, from, "what each change left")
	require.Equal(t, []string{"", "warning", "warning", "critical"}, fromSev)
	var ts []int64
	for _, e := range snap.Events {
		ts = append(ts, e.TS)
	}
	require.Equal(t, []int64{pending.ActiveAt, fire.FiredAt, 1_700_000_002_000, gone.ResolvedAt}, ts,
		"the alert's own times; a severity change when it was seen")
}

// A hostile alert's texts are masked (Options.Clip) and bounded, cut at
// a character boundary; a value that is not finite is left out.
func TestAlertEventTextsBoundedAndRedacted(t *testing.T) {
	clip := func(s string, n int) (string, bool) {
		return cutText(strings.ReplaceAll(s, "hunter2", "xxxxx"), n)
	}
	a, _ := newTestAgg(Options{Clip: clip})
	al := firing("0000000000000001", 1)
	inf := 1.0 / zero
	al.Value = &inf
	al.Name = "token=hunter2 " + strings.Repeat("é", 400)
	al.Source = "http://user:hunter2@example"
	a.SetAlerts([]protocol.Alert{al})
	a.tick()
	got := alertEventsIn(t, snapshotOf(t, a))
	require.Len(t, got, 1)
	require.NotContains(t, got[0].Name, "hunter2")
	require.NotContains(t, got[0].Source, "hunter2")
	require.LessOrEqual(t, len(got[0].Name), maxAlertText+len("…"))
	require.True(t, strings.HasSuffix(got[0].Name, "é…"), "cut at a character boundary")
	require.Nil(t, got[0].Value)
}

var zero float64

// A pending alert that ends unfired says so (from pending), as one that
// fired says firing: the page tells "pending → normal" from "firing →
// normal". Its labels, but those with members of their own, name the
// instance; an alert told anew after a resolution starts from normal.
func TestAlertEventFromAndLabels(t *testing.T) {
	a, c := newTestAgg(Options{})
	al := firing("0000000000000002", 70)
	al.State, al.Source = protocol.AlertPending, "spiky"
	al.Labels = map[string]string{"alertname": "HighCPU", "severity": "warning", "source": "spiky", "shard": "2", "env": "demo"}
	a.SetAlerts([]protocol.Alert{al})
	a.tick()
	gone := al
	gone.State, gone.ResolvedAt = protocol.AlertResolved, c.ms
	a.SetAlerts([]protocol.Alert{gone})
	a.tick()
	again := al
	again.State, again.FiredAt = protocol.AlertFiring, c.ms+10
	a.SetAlerts([]protocol.Alert{again})
	a.tick()

	got := alertEventsIn(t, snapshotOf(t, a))
	require.Len(t, got, 3)
	require.Equal(t, []string{"normal", "pending", "normal"}, []string{got[0].From, got[1].From, got[2].From})
	require.Equal(t, "resolved", got[1].Event)
	require.Equal(t, "warning", got[1].FromSeverity)
	require.Empty(t, got[2].FromSeverity, "nothing was told of it since its resolution")
	for _, p := range got {
		require.Equal(t, map[string]string{"shard": "2", "env": "demo"}, p.Labels)
	}
}

// An alert's labels in its event are bounded in number (the first by
// name), and masked and cut like its other texts; one with no labels of
// its own carries none.
func TestAlertEventLabelsBounded(t *testing.T) {
	clip := func(s string, n int) (string, bool) {
		return cutText(strings.ReplaceAll(s, "hunter2", "xxxxx"), n)
	}
	a, _ := newTestAgg(Options{Clip: clip})
	al := firing("0000000000000003", 1)
	for i := range 40 {
		al.Labels[fmt.Sprintf("l%02d", i)] = "v"
	}
	al.Labels["l00"] = "token=hunter2 " + strings.Repeat("x", 400)
	bare := firing("0000000000000004", 1)
	a.SetAlerts([]protocol.Alert{al, bare})
	a.tick()
	got := alertEventsIn(t, snapshotOf(t, a))
	require.Len(t, got, 2)
	require.Len(t, got[0].Labels, maxAlertLabels)
	require.Contains(t, got[0].Labels, "l15")
	require.NotContains(t, got[0].Labels, "l16")
	require.NotContains(t, got[0].Labels["l00"], "hunter2")
	require.LessOrEqual(t, len(got[0].Labels["l00"]), maxAlertText+len("…"))
	require.Nil(t, got[1].Labels, "alertname alone: nothing to tell instances apart by")
}
