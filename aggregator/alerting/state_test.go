package alerting

import (
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/configs"
)

// inactive → pending → firing → resolved, with activeAt, firedAt and
// resolvedAt; the sender gets the firing alert once (until the resend
// delay) and the resolution with its endsAt; the dashboards get every
// change through the aggregator.
func TestPendingFiringResolved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := cpuRule(f(80), nil, 3*time.Second)
		r.Labels = map[string]string{"team": "ops"}
		h := newHarness(t, r)
		cpu := aggregator.Label{Name: "cpu", Value: "total"}

		h.push("host", "cpu", 50, cpu)
		h.after(time.Second)
		h.none()

		h.push("host", "cpu", 90, cpu)
		h.after(time.Second)
		start := time.Now()
		a := h.only()
		require.Equal(t, protocol.AlertPending, a.State)
		require.Equal(t, start.UnixMilli(), a.ActiveAt)
		require.Zero(t, a.FiredAt)
		require.Equal(t, 90.0, *a.Value)
		require.Equal(t, 80.0, *a.Threshold)
		require.Equal(t, map[string]string{"alertname": "HighCPU", "cpu": "total", "severity": "warning", "source": "host", "team": "ops"}, a.Labels)
		require.Empty(t, h.sent.take(), "pending alerts are not sent")

		for range 2 {
			h.push("host", "cpu", 91, cpu)
			h.after(time.Second)
			require.Equal(t, protocol.AlertPending, h.only().State, "for is 3s")
		}
		h.push("host", "cpu", 92, cpu)
		h.after(time.Second)
		a = h.only()
		require.Equal(t, protocol.AlertFiring, a.State)
		require.Equal(t, time.Now().UnixMilli(), a.FiredAt)
		require.Equal(t, start.UnixMilli(), a.ActiveAt)
		sent := h.sent.take()
		require.Len(t, sent, 1)
		require.Equal(t, a.Labels, sent[0].Labels)
		require.Equal(t, time.Now(), sent[0].StartsAt)
		require.Equal(t, time.Now().Add(4*time.Minute), sent[0].EndsAt, "valid for four resend delays")
		require.Equal(t, "http://dash/#series="+a.Series, sent[0].GeneratorURL)

		// The dashboards see it after the next broadcast.
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		snap := snapshot(t, h.agg)
		require.Len(t, snap.Alerts, 1)
		require.Equal(t, protocol.AlertFiring, snap.Alerts[0].State)
		require.Equal(t, a.Series, snap.Series[0].ID)

		h.push("host", "cpu", 95, cpu)
		h.after(time.Second)
		require.Empty(t, h.sent.take(), "not again before the resend delay")

		h.push("host", "cpu", 10, cpu)
		h.after(time.Second)
		h.none()
		sent = h.sent.take()
		require.Len(t, sent, 1)
		require.Equal(t, time.Now(), sent[0].EndsAt, "resolved: endsAt is now")
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		require.Empty(t, snapshot(t, h.agg).Alerts)
	})
}

func snapshot(t *testing.T, a *aggregator.Aggregator) *protocol.Snapshot {
	t.Helper()
	m, err := protocol.DecodeStrict(a.SnapshotJSON(false))
	require.NoError(t, err)
	return m.(*protocol.Snapshot)
}

// A pending alert whose condition stops is dropped, never sent.
func TestPendingDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, cpuRule(f(80), nil, 10*time.Second))
		h.push("host", "cpu", 90)
		h.after(time.Second)
		require.Equal(t, protocol.AlertPending, h.only().State)
		h.push("host", "cpu", 70)
		h.after(time.Second)
		h.none()
		require.Empty(t, h.sent.take())
	})
}

// Hysteresis: fire above 80, resolve only below 70; in between the alert
// keeps firing at the lowest severity.
func TestHysteresisAndSeverity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := cpuRule(f(80), f(95), 0)
		r.Clear = f(70)
		h := newHarness(t, r)
		h.push("host", "cpu", 85)
		h.after(time.Second)
		a := h.only()
		require.Equal(t, protocol.AlertFiring, a.State, "for 0: fires at once")
		require.Equal(t, protocol.SeverityWarning, a.Severity)
		require.Len(t, h.sent.take(), 1)

		h.push("host", "cpu", 97)
		h.after(time.Second)
		a = h.only()
		require.Equal(t, protocol.SeverityCritical, a.Severity)
		require.Equal(t, 95.0, *a.Threshold)
		sent := h.sent.take()
		require.Len(t, sent, 2, "the warning resolved, the critical firing")
		require.Equal(t, "warning", sent[0].Labels["severity"])
		require.Equal(t, time.Now(), sent[0].EndsAt)
		require.Equal(t, "critical", sent[1].Labels["severity"])

		h.push("host", "cpu", 75) // in the band: still firing
		h.after(time.Second)
		a = h.only()
		require.Equal(t, protocol.AlertFiring, a.State)
		require.Equal(t, protocol.SeverityWarning, a.Severity)

		h.push("host", "cpu", 69)
		h.after(time.Second)
		h.none()
	})
}

// below: true mirrors every comparison.
func TestBelow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := cpuRule(f(20), f(10), 0)
		r.Below, r.Clear = true, f(25)
		h := newHarness(t, r)
		h.push("host", "cpu", 15)
		h.after(time.Second)
		require.Equal(t, protocol.SeverityWarning, h.only().Severity)
		h.push("host", "cpu", 5)
		h.after(time.Second)
		require.Equal(t, protocol.SeverityCritical, h.only().Severity)
		require.Equal(t, 10.0, *h.only().Threshold)
		h.push("host", "cpu", 22)
		h.after(time.Second)
		require.Equal(t, protocol.AlertFiring, h.only().State)
		h.push("host", "cpu", 26)
		h.after(time.Second)
		h.none()
	})
}

// keep_firing_for keeps a firing alert that long after its condition
// stopped, unless the condition comes back.
func TestKeepFiringFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := cpuRule(f(80), nil, 0)
		r.KeepFiringFor = dur(3 * time.Second)
		h := newHarness(t, r)
		h.push("host", "cpu", 90)
		h.after(time.Second)
		h.push("host", "cpu", 50)
		h.after(time.Second)
		a := h.only()
		require.Equal(t, protocol.AlertFiring, a.State)
		require.Equal(t, time.Now().UnixMilli(), a.KeepFiringSince)
		h.push("host", "cpu", 90) // back: the clock starts again later
		h.after(time.Second)
		require.Zero(t, h.only().KeepFiringSince)
		h.push("host", "cpu", 50)
		for range 3 { // 0, 1 and 2 seconds after it stopped
			h.after(time.Second)
			h.push("host", "cpu", 50)
			require.Equal(t, protocol.AlertFiring, h.only().State)
		}
		h.after(time.Second)
		h.none()
	})
}

// A stale series holds its alert's state for max(for, keep_firing_for),
// so a source that fails a poll or two does not flap the alert; longer,
// and the alert resolves.
func TestStaleHoldsThenResolves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, cpuRule(f(80), nil, 3*time.Second))
		for range 4 {
			h.push("host", "cpu", 90)
			h.after(time.Second)
		}
		firedAt := h.only().FiredAt
		require.NotZero(t, firedAt)
		h.sent.take()

		h.fail("host")
		h.after(time.Second)
		a := h.only()
		require.Equal(t, protocol.AlertFiring, a.State, "held while stale")
		require.Nil(t, a.Value, "no value while stale")
		h.push("host", "cpu", 90) // back: as if nothing happened
		h.after(time.Second)
		require.Equal(t, firedAt, h.only().FiredAt)
		require.Empty(t, h.sent.take(), "no flap reached Alertmanager")

		h.fail("host")
		h.after(time.Second)
		h.after(time.Second)
		require.Equal(t, protocol.AlertFiring, h.only().State)
		h.after(time.Second) // stale for 3s: for
		h.none()
		require.Len(t, h.sent.take(), 1, "resolved")
	})
}

// An empty window is no data, like a stale series; NaN samples count in
// no statistic.
func TestEmptyWindowIsNoData(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, cpuRule(f(80), nil, 0))
		h.push("host", "cpu", math.NaN())
		h.after(time.Second)
		h.none()
		h.push("host", "cpu", 90)
		h.after(time.Second)
		require.Equal(t, protocol.AlertFiring, h.only().State)
		h.after(testWindow + 2*time.Second) // the window empties; for 0: ends at once
		h.none()
	})
}

func TestHealthRule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, configs.AlertRule{Name: "Down", Health: &configs.AlertHealth{Source: "flaky"}, For: dur(2 * time.Second)})
		h.srcs.set(aggregator.SourceInfo{Name: "flaky", State: protocol.StateStarting})
		h.after(time.Second)
		h.none() // not polled yet: not down
		h.srcs.set(aggregator.SourceInfo{Name: "flaky", State: protocol.StateRunning, Polls: 3, Failures: 1, LastError: "refused"})
		h.after(time.Second)
		a := h.only()
		require.Equal(t, protocol.AlertPending, a.State)
		require.Equal(t, protocol.SeverityCritical, a.Severity)
		require.Equal(t, map[string]string{"alertname": "Down", "severity": "critical", "source": "flaky"}, a.Labels)
		require.Nil(t, a.Threshold)
		h.after(2 * time.Second)
		require.Equal(t, protocol.AlertFiring, h.only().State)
		h.srcs.set(aggregator.SourceInfo{Name: "flaky", State: protocol.StateRunning, Up: true, Polls: 4})
		h.after(time.Second)
		h.none()
	})
}

func TestStaleRule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, configs.AlertRule{Name: "Stale", Select: &configs.AlertSelect{Source: "host"}, Stale: true, Severity: "warning"})
		h.push("host", "cpu", 1)
		h.after(time.Second)
		h.none()
		h.fail("host")
		h.after(2 * time.Second)
		a := h.only()
		require.Equal(t, protocol.AlertFiring, a.State)
		require.Equal(t, protocol.SeverityWarning, a.Severity)
		require.InDelta(t, 2.0, *a.Value, 0.2, "seconds stale")
		h.push("host", "cpu", 1)
		h.after(time.Second)
		h.none()
	})
}

func TestAbsentRule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, configs.AlertRule{Name: "NoJobs", Select: &configs.AlertSelect{Source: "flaky", Metric: "jobs"}, Absent: true, For: dur(time.Second)})
		h.after(time.Second)
		a := h.only()
		require.Equal(t, protocol.AlertPending, a.State)
		require.Equal(t, map[string]string{"alertname": "NoJobs", "severity": "critical", "source": "flaky"}, a.Labels)
		h.after(time.Second)
		require.Equal(t, protocol.AlertFiring, h.only().State)
		h.push("flaky", "jobs", 1)
		h.after(time.Second)
		h.none()
		h.fail("flaky") // stale counts as absent
		h.after(time.Second)
		require.Equal(t, protocol.AlertPending, h.only().State)
	})
}

// One alert per matching series; the matcher list selects on labels,
// source and metric.
func TestOneAlertPerSeriesAndMatchers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, configs.AlertRule{
			Name: "Hot", Select: &configs.AlertSelect{Match: []string{`metric="cpu"`, `cpu!~"total|idle"`, `source=~"h.*"`}},
			Stat: "last", Window: dur(testWindow), Warning: f(50),
		})
		for _, c := range []string{"0", "1", "total"} {
			h.push("host", "cpu", 90, aggregator.Label{Name: "cpu", Value: c})
		}
		h.push("other", "cpu", 90, aggregator.Label{Name: "cpu", Value: "0"})
		h.push("host", "mem", 90, aggregator.Label{Name: "cpu", Value: "0"})
		h.after(time.Second)
		as := h.ev.Alerts()
		require.Len(t, as, 2)
		ids := map[string]bool{}
		for _, a := range as {
			require.Equal(t, "host", a.Source)
			require.NotEqual(t, "total", a.Labels["cpu"])
			ids[a.ID] = true
		}
		require.Len(t, ids, 2, "one id per series")
	})
}
