package aggregator

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

func firing(id string, v float64) protocol.Alert {
	return protocol.Alert{
		ID: id, Name: "HighCPU", State: protocol.AlertFiring, Severity: protocol.SeverityWarning,
		Labels: map[string]string{"alertname": "HighCPU"}, Value: &v, ActiveAt: 1_700_000_000_000,
	}
}

func snapshotOf(t *testing.T, a *Aggregator) *protocol.Snapshot {
	return decodeSnapshot(t, a.SnapshotJSON(false))
}

// Alerts reach the next delta (published for them alone), snapshots hold
// the active ones as of their seq, and a resolved alert leaves.
func TestAlertsInDeltasAndSnapshots(t *testing.T) {
	a, _ := newTestAgg(Options{})
	sub := a.Subscribe(0)
	defer sub.Close()
	a.SetAlerts([]protocol.Alert{firing("0000000000000001", 90), firing("0000000000000002", 95)})
	require.Empty(t, snapshotOf(t, a).Alerts, "not in a snapshot before a delta carries them")
	a.SetAlerts([]protocol.Alert{firing("0000000000000001", 91)}) // the later version wins
	a.tick()
	require.Equal(t, uint64(1), a.Seq(), "a delta for alerts alone")
	d := a.broker.recent[len(a.broker.recent)-1]
	require.Len(t, d.alerts, 2)
	require.Equal(t, 91.0, *d.alerts[0].Value)
	snap := snapshotOf(t, a)
	require.Len(t, snap.Alerts, 2)
	require.Equal(t, "0000000000000001", snap.Alerts[0].ID)
	require.Equal(t, map[string]string{}, snap.Alerts[0].Annotations, "never null")

	resolved := firing("0000000000000002", 10)
	resolved.State, resolved.ResolvedAt = protocol.AlertResolved, 1_700_000_001_000
	a.SetAlerts([]protocol.Alert{resolved})
	a.tick()
	snap = snapshotOf(t, a)
	require.Len(t, snap.Alerts, 1)

	var api protocol.AlertsResponse
	require.NoError(t, json.Unmarshal(a.AlertsJSON(), &api))
	require.Equal(t, "success", api.Status)
	require.Len(t, api.Data.Alerts, 1)
	require.Equal(t, "9.1e+01", api.Data.Alerts[0].Value)
	require.Equal(t, int64(1_700_000_000), api.Data.Alerts[0].ActiveAt.Unix())

	a.SetAlerts(nil) // nothing: no delta
	a.tick()
	require.Equal(t, uint64(2), a.Seq())
}

func TestAlertsJSONEmptyAndNoValue(t *testing.T) {
	a, _ := newTestAgg(Options{})
	require.JSONEq(t, `{"status":"success","data":{"alerts":[]}}`, string(a.AlertsJSON()))
	al := firing("0000000000000003", 0)
	al.Value, al.State, al.KeepFiringSince = nil, protocol.AlertFiring, 1_700_000_002_000
	a.SetAlerts([]protocol.Alert{al})
	a.tick()
	var api protocol.AlertsResponse
	require.NoError(t, json.Unmarshal(a.AlertsJSON(), &api))
	require.Equal(t, "NaN", api.Data.Alerts[0].Value)
	require.NotNil(t, api.Data.Alerts[0].KeepFiringSince)
}

// A merge keeps one entry per alert, its latest version, where it first
// appeared.
func TestMergeAlerts(t *testing.T) {
	d1 := &delta{alerts: []protocol.Alert{firing("a", 1), firing("b", 2)}}
	d2 := &delta{alerts: []protocol.Alert{firing("b", 3), firing("c", 4)}}
	m := mergeAlerts([]*delta{d1, d2})
	require.Len(t, m, 3)
	require.Equal(t, []string{"a", "b", "c"}, []string{m[0].ID, m[1].ID, m[2].ID})
	require.Equal(t, 3.0, *m[1].Value)
}
