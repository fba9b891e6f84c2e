package alerting

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/cmd/testtool"
	"github.com/pulseboard/pulseboard/configs"
)

// A reload that keeps a rule keeps its alerts' state; one that changes or
// removes it resolves them.
func TestApplyKeepsUnchangedRules(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cpu := cpuRule(f(80), nil, 10*time.Second)
		mem := configs.AlertRule{Name: "HighMem", Select: &configs.AlertSelect{Metric: "mem"}, Stat: "max", Window: dur(testWindow), Critical: f(1), For: dur(10 * time.Second)}
		h := newHarness(t, cpu, mem)
		h.push("host", "cpu", 90)
		h.push("host", "mem", 5)
		h.after(time.Second)
		before := h.alerts()
		require.Len(t, before, 2)

		// The same rules again, from a new load (new pointers, same values).
		cpu2, mem2 := cpuRule(f(80), nil, 10*time.Second), mem
		mem2.Critical = f(2) // changed
		require.NoError(t, h.ev.Apply([]configs.AlertRule{cpu2, mem2}))
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		snap := snapshot(t, h.agg)
		require.Len(t, snap.Alerts, 1, "the changed rule's alert resolved at once")
		require.Equal(t, "HighCPU", snap.Alerts[0].Name)

		h.push("host", "cpu", 90)
		h.push("host", "mem", 5)
		h.after(time.Second)
		after := h.alerts()
		require.Len(t, after, 2)
		for key, a := range after {
			require.Contains(t, before, key, "the same series: the same key")
			if a.Name == "HighCPU" {
				require.Equal(t, before[key].ActiveAt, a.ActiveAt, "kept: pending since the first evaluation")
			} else {
				require.Greater(t, a.ActiveAt, before[key].ActiveAt, "changed rule: a new alert")
			}
		}

		require.NoError(t, h.ev.Apply(nil))
		h.none()
	})
}

func TestApplyRejectsBadRule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, cpuRule(f(80), nil, 0))
		bad := cpuRule(f(80), nil, 0)
		bad.Window = dur(7 * time.Second) // not kept by the aggregator
		err := h.ev.Apply([]configs.AlertRule{bad})
		require.ErrorIs(t, err, ErrRule)
		require.Contains(t, err.Error(), "7s")
		bad.Stat = "median"
		require.ErrorIs(t, h.ev.Apply([]configs.AlertRule{bad}), ErrRule)
		h.push("host", "cpu", 90)
		h.after(time.Second)
		require.Equal(t, protocol.AlertFiring, h.only().State, "the rules in force are unchanged")
	})
}

// Annotations are templates over $labels and $value, with Prometheus'
// humanize functions; a template that fails at execution says so in the
// annotation.
func TestAnnotationTemplates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := cpuRule(f(80), nil, 0)
		r.Annotations = map[string]string{
			"summary": `CPU {{ $labels.cpu }} on {{ $labels.source }} at {{ $value | humanize }}% ({{ $labels.severity }})`,
			"bytes":   `{{ humanize1024 $value }}B`,
			"broken":  `{{ humanizeDuration $labels.cpu }}`,
			"long":    `{{ range $i, $_ := $labels }}{{ printf "%2000s" $i }}{{ end }}`,
		}
		h := newHarness(t, r)
		h.push("host", "cpu", 1234567, aggregator.Label{Name: "cpu", Value: "total"})
		h.after(time.Second)
		a := h.only()
		require.Equal(t, "CPU total on host at 1.235M% (warning)", a.Annotations["summary"])
		require.Equal(t, "1.177MiB", a.Annotations["bytes"])
		require.True(t, strings.HasPrefix(a.Annotations["broken"], "<error expanding template: "), a.Annotations["broken"])
		require.Equal(t, uint64(1), h.ev.counts.templateErrors.Load(), "the failed expansion is counted")
		require.LessOrEqual(t, len(a.Annotations["long"]), maxAnnotationBytes+len("…"))
		require.True(t, strings.HasSuffix(a.Annotations["long"], "…"))
	})
}

// A firing alert is sent again every resend delay; a resolved one too, for
// 15 minutes.
func TestResend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, configs.AlertRule{Name: "Down", Health: &configs.AlertHealth{Source: "x"}})
		h.srcs.set(aggregator.SourceInfo{Name: "x", Polls: 1})
		h.after(time.Second)
		require.Len(t, h.sent.take(), 1)
		h.after(30 * time.Second)
		require.Empty(t, h.sent.take())
		h.after(30 * time.Second)
		require.Len(t, h.sent.take(), 1, "resent after a minute")
		h.srcs.set(aggregator.SourceInfo{Name: "x", Polls: 2, Up: true})
		h.after(time.Second)
		resolved := h.sent.take()
		require.Len(t, resolved, 1)
		n := 0
		for range 20 {
			h.after(time.Minute)
			for _, a := range h.sent.take() {
				require.Equal(t, resolved[0].EndsAt, a.EndsAt)
				n++
			}
		}
		require.Equal(t, 15, n, "every minute for 15 minutes")
	})
}

// Serve evaluates every interval until cancelled; a second Serve is
// refused; a restarted Serve keeps the state.
func TestServeLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, configs.AlertRule{Name: "Down", Health: &configs.AlertHealth{Source: "x"}, For: dur(5 * time.Second)})
		h.srcs.set(aggregator.SourceInfo{Name: "x", Polls: 1})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- h.ev.Serve(ctx) }()
		synctest.Wait()
		require.ErrorIs(t, h.ev.Serve(ctx), ErrAlreadyServing)
		time.Sleep(3500 * time.Millisecond)
		synctest.Wait()
		rounds, _ := h.ev.Stats()
		require.Equal(t, uint64(3), rounds)
		cancel()
		require.NoError(t, <-done)
		activeAt := h.only().ActiveAt

		ctx, cancel = context.WithCancel(context.Background())
		go func() { done <- h.ev.Serve(ctx) }()
		time.Sleep(3 * time.Second)
		synctest.Wait()
		a := h.only()
		require.Equal(t, activeAt, a.ActiveAt)
		require.Equal(t, protocol.AlertFiring, a.State)
		cancel()
		require.NoError(t, <-done)
	})
}

// Without rules Serve does not wake; Apply wakes it, and it sleeps again
// once the rules and their resolved alerts are gone.
func TestServeSleepsWithoutRules(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		h.srcs.set(aggregator.SourceInfo{Name: "x", Polls: 1})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- h.ev.Serve(ctx) }()
		rounds := func() uint64 {
			time.Sleep(5 * time.Second)
			synctest.Wait()
			n, _ := h.ev.Stats()
			return n
		}
		require.Zero(t, rounds(), "no rules: no evaluation")

		down := configs.AlertRule{Name: "Down", Health: &configs.AlertHealth{Source: "x"}}
		require.NoError(t, h.ev.Apply([]configs.AlertRule{down}))
		require.Equal(t, uint64(5), rounds(), "a rule: every second")
		require.Equal(t, protocol.AlertFiring, h.only().State)

		require.NoError(t, h.ev.Apply(nil))
		require.Equal(t, uint64(10), rounds(), "the resolved alert is still sent again")
		time.Sleep(resolvedRetention)
		synctest.Wait()
		n := rounds()
		require.Equal(t, n, rounds(), "its retention over: no evaluation")

		require.NoError(t, h.ev.Apply([]configs.AlertRule{down}))
		require.Equal(t, n+5, rounds(), "woken again by Apply")
		cancel()
		require.NoError(t, <-done)
	})
}

// ALERTS and ALERTS_FOR_STATE as Prometheus writes them.
func TestAlertsMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := cpuRule(f(80), nil, 10*time.Second)
		r.Labels = map[string]string{"team": "ops"}
		h := newHarness(t, r, configs.AlertRule{Name: "Down", Health: &configs.AlertHealth{Source: "x"}})
		h.srcs.set(aggregator.SourceInfo{Name: "x", Polls: 1})
		h.push("host", "cpu", 90, aggregator.Label{Name: "cpu", Value: "bad\xff"}, aggregator.Label{Name: "weird-name", Value: "x"})
		h.after(time.Second)
		at := strconv.FormatFloat(float64(time.Now().Unix()), 'e', -1, 64)
		want := strings.ReplaceAll(`# HELP ALERTS Alerts pending or firing: 1 per alert, alertstate pending or firing.
# TYPE ALERTS gauge
ALERTS{alertname="Down",alertstate="firing",severity="critical",source="x"} 1
ALERTS{alertname="HighCPU",alertstate="pending",cpu="bad\ufffd",severity="warning",source="host",team="ops"} 1
# HELP ALERTS_FOR_STATE When each pending or firing alert became active, in Unix seconds.
# TYPE ALERTS_FOR_STATE gauge
ALERTS_FOR_STATE{alertname="Down",severity="critical",source="x"} @T
ALERTS_FOR_STATE{alertname="HighCPU",cpu="bad\ufffd",severity="warning",source="host",team="ops"} @T
# HELP pulseboard_alert_rule_evaluations_skipped_total Alert rule evaluations left out because a round ran past its time budget (a fifth of the evaluation interval); they run first in the next round.
# TYPE pulseboard_alert_rule_evaluations_skipped_total counter
pulseboard_alert_rule_evaluations_skipped_total 0
# HELP pulseboard_alert_rule_limit_exceeded_total Alert rule evaluations that failed because the rule would hold more alerts than it may: reason limit (its own limit) or max_alerts (alerting.max_alerts, all rules together); or because its select would list more series than the other rules' selects leave: reason max_selected_series (alerting.max_selected_series). Its alerts were dropped.
# TYPE pulseboard_alert_rule_limit_exceeded_total counter
pulseboard_alert_rule_limit_exceeded_total{reason="limit"} 0
pulseboard_alert_rule_limit_exceeded_total{reason="max_alerts"} 0
pulseboard_alert_rule_limit_exceeded_total{reason="max_selected_series"} 0
# HELP pulseboard_alert_rules_over_limit Alert rules whose latest evaluation failed on a limit (any reason of pulseboard_alert_rule_limit_exceeded_total): they hold no alerts until back within.
# TYPE pulseboard_alert_rules_over_limit gauge
pulseboard_alert_rules_over_limit 0
# HELP pulseboard_alert_selected_series Series listed by the alert rules' selects together, bounded by alerting.max_selected_series (a select of one metric or one source lists none: it reads the store's index).
# TYPE pulseboard_alert_selected_series gauge
pulseboard_alert_selected_series 0
# HELP pulseboard_alert_template_errors_total Annotation expansions that failed: the template's own error, or its functions' work past what one expansion may build (64 KiB). The alert goes out with "<error expanding template: …>" as that annotation.
# TYPE pulseboard_alert_template_errors_total counter
pulseboard_alert_template_errors_total 0
# HELP pulseboard_alerts_active Alerts pending or firing, of all rules.
# TYPE pulseboard_alerts_active gauge
pulseboard_alerts_active 2
`, "@T", at)
		want = strings.ReplaceAll(want, `\ufffd`, "\ufffd")
		reg := prometheus.NewPedanticRegistry()
		require.NoError(t, reg.Register(h.ev.Collector()))
		require.Equal(t, want, gatherText(t, reg))
	})
}

// promtool checks the exposition.
func TestAlertsMetricsPromtool(t *testing.T) {
	promtool := testtool.Require(t, "promtool")
	var text string
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, cpuRule(f(80), nil, 0))
		h.push("host", "cpu", 90, aggregator.Label{Name: "cpu", Value: "0"})
		h.after(time.Second)
		reg := prometheus.NewRegistry()
		require.NoError(t, reg.Register(h.ev.Collector()))
		text = gatherText(t, reg)
	})
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", out, text)
	require.Empty(t, strings.TrimSpace(string(out)), text)
	require.Contains(t, text, `ALERTS{alertname="HighCPU",alertstate="firing",cpu="0",severity="warning",source="host"} 1`)
}
