package aggregator

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// BenchmarkAlertEvent is one alert's state change as SetAlerts tells it:
// its "alert" event built, checked and encoded for the next delta. An
// alert with the labels of a typical rule on a typical series.
func BenchmarkAlertEvent(b *testing.B) {
	a, _ := newTestAgg(Options{})
	al := firing("0000000000000001", 93.5)
	al.Source, al.Series = "host", "0a1b2c3d4e5f6071"
	al.Labels = map[string]string{"alertname": "HighCPU", "severity": "warning", "source": "host",
		"cpu": "total", "instance": "web-01.example.com:9100", "job": "node", "team": "ops"}
	states := [2]string{protocol.AlertPending, protocol.AlertFiring}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		al.State = states[i%2]
		a.SetAlerts([]protocol.Alert{al})
		if len(a.takeEvents()) != 1 {
			b.Fatal("no event")
		}
	}
}

// appendAlertEvent writes what protocol.NewEvent and Announce wrote: the
// same members with the same values, checked on payloads with and
// without each optional member, and with text that needs escaping.
func TestAlertEventEncodingAgrees(t *testing.T) {
	v, tiny, huge := 93.5, 1e-9, -3.2e18
	cases := []alertPayload{
		{ID: "0000000000000001", Name: "HighCPU", Event: "pending", From: alertNormal},
		{ID: "1", Name: "HighCPU", Event: "firing", Severity: "critical", Source: "host", Series: "0a1b2c3d4e5f6071",
			Value: &v, From: "pending", FromSeverity: "warning", Labels: map[string]string{"cpu": "total", "job": "node"}},
		{ID: "2", Name: "<b>&\"quoted\"\\</b>", Event: "resolved", Value: &tiny, From: "firing",
			Labels: map[string]string{"z": "\x00\t\n\u2028é€😀", "a": "bad\xff", "": "empty name"}},
		{ID: "3", Name: "x", Event: "firing", Value: &huge, From: alertNormal, Labels: map[string]string{}},
	}
	for i, p := range cases {
		got := appendAlertEvent(nil, 1_700_000_000_123, &p)
		ev, err := protocol.NewEvent("alert", 1_700_000_000_123, p)
		require.NoError(t, err)
		want, err := json.Marshal(ev)
		require.NoError(t, err)
		var g, w map[string]any
		require.NoError(t, json.Unmarshal(got, &g), "case %d: %s", i, got)
		require.NoError(t, json.Unmarshal(want, &w))
		require.Equal(t, w, g, "case %d:\n%s\n%s", i, got, want)
		require.True(t, strings.HasPrefix(string(got), `{"kind":"alert","ts":1700000000123,`), "flat, kind and ts first")
	}
}

// A state change's event costs one buffer, not the 8.8 KB and 287
// allocations of encoding it by reflection and checking it with a
// json.Decoder (BenchmarkAlertEvent).
func TestAlertEventAllocations(t *testing.T) {
	a, _ := newTestAgg(Options{})
	al := firing("0000000000000001", 93.5)
	al.Labels = map[string]string{"alertname": "HighCPU", "cpu": "total", "instance": "web-01:9100", "job": "node"}
	states := [2]string{protocol.AlertPending, protocol.AlertFiring}
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		al.State = states[i%2]
		i++
		a.SetAlerts([]protocol.Alert{al})
		a.takeEvents()
	})
	require.LessOrEqual(t, allocs, 10.0, "was 287")
}
