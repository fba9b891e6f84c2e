package alerting

import (
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

// matchedRule is mRule over the series of m that match.
func matchedRule(name string, match ...string) configs.AlertRule {
	r := mRule(name, 0)
	r.Select = &configs.AlertSelect{Metric: "m", Match: match}
	return r
}

// Rules with different selects list their series each; together they
// list at most MaxSelectedSeries. A rule whose select would pass it fails
// its evaluation as a rule past its limit does (its alerts end, counted
// with reason max_selected_series, logged), holds no list, and comes back
// once there is room: here when the rule before it leaves.
func TestMaxSelectedSeriesAcrossRules(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		var logs strings.Builder
		every := matchedRule("Every", `id=~".*"`)
		most := matchedRule("Most", `id=~"[1-9][0-9]"`)
		absent := configs.AlertRule{Name: "NoFive", Absent: true, Select: &configs.AlertSelect{Metric: "m", Match: []string{`id="5"`}}}
		h.reopen(func(o *Options) {
			o.MaxSelectedSeries = 150
			o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		}, every, most, absent)
		count := func() map[string]int {
			out := map[string]int{}
			for _, a := range h.ev.Alerts() {
				out[a.Name]++
			}
			return out
		}

		h.pushMany(50, 1) // ids 0-49: 50 + 40 + 1 listed
		h.after(time.Second)
		require.Equal(t, map[string]int{"Every": 50, "Most": 40}, count())
		require.Equal(t, "91", h.metric("pulseboard_alert_selected_series"))
		h.sent.take()

		h.pushMany(100, 1) // ids 0-99: Every lists 100, Most would list 90 more
		h.after(time.Second)
		require.Equal(t, map[string]int{"Every": 100}, count(), "Most fails; the absent rule still fits")
		require.Equal(t, "101", h.metric("pulseboard_alert_selected_series"))
		require.Equal(t, "1", h.metric(`pulseboard_alert_rule_limit_exceeded_total{reason="max_selected_series"}`))
		require.Equal(t, "1", h.metric("pulseboard_alert_rules_over_limit"))
		resolved := 0
		for _, a := range h.sent.take() {
			if a.Labels["alertname"] == "Most" {
				require.Equal(t, time.Now(), a.EndsAt, "sent resolved")
				resolved++
			}
		}
		require.Equal(t, 40, resolved)
		require.Contains(t, logs.String(), "rule=Most max_selected_series=150")

		h.after(time.Second)
		require.Equal(t, "2", h.metric(`pulseboard_alert_rule_limit_exceeded_total{reason="max_selected_series"}`), "counted each round")
		require.Equal(t, 1, strings.Count(logs.String(), "max_selected_series: its alerts are dropped"), "logged once")

		require.NoError(t, h.ev.Apply([]configs.AlertRule{most, absent}))
		require.Equal(t, "1", h.metric("pulseboard_alert_selected_series"), "Every's list given back at once")
		h.after(time.Second)
		require.Equal(t, map[string]int{"Most": 90}, count(), "room again")
		require.Equal(t, "91", h.metric("pulseboard_alert_selected_series"))
		require.Equal(t, "0", h.metric("pulseboard_alert_rules_over_limit"))
	})
}

// An absent rule's select is held to the bound too: past it the rule
// fails, counted, rather than listing.
func TestMaxSelectedSeriesAbsentRule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		absent := configs.AlertRule{Name: "NoneLow", Absent: true, Select: &configs.AlertSelect{Metric: "m", Match: []string{`id=~"1.*"`}}}
		h.reopen(func(o *Options) { o.MaxSelectedSeries = 5 }, absent)
		h.pushMany(20, 1) // ids 1, 10-19: 11 series
		h.after(time.Second)
		h.none()
		require.Equal(t, "0", h.metric("pulseboard_alert_selected_series"))
		require.Equal(t, "1", h.metric(`pulseboard_alert_rule_limit_exceeded_total{reason="max_selected_series"}`))
		require.Equal(t, "1", h.metric("pulseboard_alert_rules_over_limit"))
	})
}
