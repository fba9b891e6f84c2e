package configs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAlertingDefaults(t *testing.T) {
	c, err := Parse("empty.yaml", []byte("alerting: {}\n"))
	require.NoError(t, err)
	require.Equal(t, Duration(time.Second), c.Alerting.Interval)
	require.Equal(t, Duration(time.Minute), c.Alerting.ResendDelay)
	require.Empty(t, c.Alerting.Alertmanagers)
	require.Empty(t, c.Alerting.Webhooks)
}

func TestAlertingParses(t *testing.T) {
	c, err := Parse("a.yaml", []byte(`alerting:
  interval: 500ms
  alertmanagers: [http://127.0.0.1:9093, "https://am.example.com/prefix"]
  resend_delay: 30s
  webhooks: ["https://hooks.example.com/pulse?token=abc"]
`))
	require.NoError(t, err)
	require.Equal(t, Alerting{
		Interval:      Duration(500 * time.Millisecond),
		Alertmanagers: []string{"http://127.0.0.1:9093", "https://am.example.com/prefix"},
		ResendDelay:   Duration(30 * time.Second),
		Webhooks:      []string{"https://hooks.example.com/pulse?token=abc"},
		MaxRules:      DefaultMaxRules,
		MaxAlerts:     DefaultMaxAlerts,

		MaxSelectedSeries: DefaultMaxSelectedSeries,
	}, c.Alerting)
}

// Each rule of Alerting.Validate, with the field path; no message quotes
// a credential or a query value.
func TestAlertingValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(a *Alerting)
		path   string
		msg    string
	}{
		{"zero interval", func(a *Alerting) { a.Interval = 0 }, "alerting.interval", "must be positive, got 0s"},
		{"short interval", func(a *Alerting) { a.Interval = Duration(10 * time.Millisecond) }, "alerting.interval", "10ms is too short: the least is 100ms"},
		{"negative resend", func(a *Alerting) { a.ResendDelay = Duration(-time.Second) }, "alerting.resend_delay", "must be positive, got -1s"},
		{"no rules allowed", func(a *Alerting) { a.MaxRules = 0 }, "alerting.max_rules", "must be positive, got 0"},
		{"no alerts allowed", func(a *Alerting) { a.MaxAlerts = -1 }, "alerting.max_alerts", "must be positive, got -1"},
		{"rules past the ceiling", func(a *Alerting) { a.MaxRules = MaxRulesCeiling + 1 }, "alerting.max_rules", "10001 is more than the ceiling of 10000 rules"},
		{"alerts past the ceiling", func(a *Alerting) { a.MaxAlerts = 100_000_000 }, "alerting.max_alerts", "100000000 is more than the ceiling of 100000 alerts"},
		{"no series selected", func(a *Alerting) { a.MaxSelectedSeries = 0 }, "alerting.max_selected_series", "must be positive, got 0"},
		{"selected series past the ceiling", func(a *Alerting) { a.MaxSelectedSeries = 1e9 }, "alerting.max_selected_series", "1000000000 is more than the ceiling of 10000000 series"},
		{"empty url", func(a *Alerting) { a.Alertmanagers = []string{""} }, "alerting.alertmanagers[0]", "is empty"},
		{"scheme", func(a *Alerting) { a.Alertmanagers = []string{"ftp://u:hunter2@am/?token=s3cret"} }, "alerting.alertmanagers[0]",
			`URL "ftp://xxxxx:xxxxx@am/?token=xxxxx": the scheme must be http or https`},
		{"no host", func(a *Alerting) { a.Webhooks = []string{"http:///hook?key=s3cret"} }, "alerting.webhooks[0]", `URL "http:///hook?key=xxxxx" has no host`},
		{"unparsable", func(a *Alerting) { a.Webhooks = []string{"http://u:hunter2@[::1:80/x?key=s3cret"} }, "alerting.webhooks[0]", "missing ']' in host"},
		{"port", func(a *Alerting) { a.Webhooks = []string{"http://h:99999/hook"} }, "alerting.webhooks[0]", "port 99999 is not in 1..65535"},
		{"space", func(a *Alerting) { a.Alertmanagers = []string{"http://am:9093/x?token=s3 cret"} }, "alerting.alertmanagers[0]",
			`URL "http://am:9093/x?token=xxxxx": has a space`},
		{"fragment", func(a *Alerting) { a.Webhooks = []string{"http://h/hook#s3cret"} }, "alerting.webhooks[0]", "a fragment (#…) is never sent"},
		{"duplicate", func(a *Alerting) {
			a.Alertmanagers = []string{"http://u:hunter2@am:9093", "http://other:9093", "http://u:hunter2@am:9093"}
		}, "alerting.alertmanagers[2]", "duplicate URL (also alertmanagers[0])"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(&c.Alerting)
			errs := Errors(c.Validate())
			require.Len(t, errs, 1)
			require.Equal(t, tc.path, errs[0].Path)
			require.Contains(t, errs[0].Msg, tc.msg)
			for _, secret := range []string{"hunter2", "s3cret"} {
				require.NotContains(t, errs[0].Error(), secret)
			}
		})
	}
}

func TestAlertingErrorHasPosition(t *testing.T) {
	_, err := Load("testdata/alerting_bad_url.yaml")
	errs := Errors(err)
	require.Len(t, errs, 1)
	require.Equal(t, `testdata/alerting_bad_url.yaml:4:7: alerting.alertmanagers[1]: URL "ftp://xxxxx:xxxxx@alerts.example.com/?token=xxxxx": the scheme must be http or https`, errs[0].Error())
	require.False(t, strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cret"))
}

// The tester's alert bomb: max_alerts and a rule's limit at 1e8 passed
// check and filled gigabytes at the next start. Both are refused at their
// place; at the ceilings the file loads.
func TestAlertingCeilingsHavePositions(t *testing.T) {
	src := "sources: []\n" +
		"alerting: {max_rules: %d, max_alerts: %d}\n" +
		"alerts:\n  - {name: a, select: {metric: m}, stat: last, warning: 1, limit: %d}\n"
	_, err := Parse("a.yaml", []byte(fmt.Sprintf(src, 10_001, 100_000_000, 100_000_000)))
	errs := Errors(err)
	require.Len(t, errs, 2, err)
	require.Equal(t, "a.yaml:2:23: alerting.max_rules: 10001 is more than the ceiling of 10000 rules", errs[0].Error())
	require.Equal(t, "a.yaml:2:42: alerting.max_alerts: 100000000 is more than the ceiling of 100000 alerts", errs[1].Error())

	_, err = Parse("a.yaml", []byte(fmt.Sprintf(src, MaxRulesCeiling, MaxAlertsCeiling, MaxAlertsCeiling+1)))
	require.EqualError(t, err, "a.yaml:4:67: alerts[0].limit: 100001 is more than alerting.max_alerts (100000)")

	c, err := Parse("a.yaml", []byte(fmt.Sprintf(src, MaxRulesCeiling, MaxAlertsCeiling, MaxAlertsCeiling)))
	require.NoError(t, err)
	require.Equal(t, MaxAlertsCeiling, c.Alerts[0].Limit)
}
