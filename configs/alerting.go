package configs

import (
	"net/url"
	"slices"
	"time"
)

// minEvalInterval is the shortest alert evaluation period accepted: below
// it, evaluating every rule over the live windows would keep a core busy.
const minEvalInterval = Duration(100 * time.Millisecond)

// Alerting is the `alerting:` block: how often rules are evaluated and
// where firing and resolved alerts are sent. The rules themselves are the
// `alerts:` list.
type Alerting struct {
	// Interval is the evaluation period of the alert rules.
	Interval Duration `yaml:"interval"`
	// Alertmanagers are the base URLs of Alertmanagers (http://host:9093,
	// path prefix kept); alerts go to <url>/api/v2/alerts. They may hold
	// credentials (user info, query values): never print them as is.
	Alertmanagers []string `yaml:"alertmanagers"`
	// ResendDelay is how often an alert that keeps firing is sent again.
	ResendDelay Duration `yaml:"resend_delay"`
	// Webhooks are URLs that receive a plain JSON POST per batch of alerts.
	// They may hold credentials, like Alertmanagers.
	Webhooks []string `yaml:"webhooks"`
	// MaxRules bounds the `alerts:` list: a file with more is refused.
	MaxRules int `yaml:"max_rules"`
	// MaxAlerts bounds the alerts (pending or firing) of all rules
	// together: a rule whose alerts would pass it fails its evaluation,
	// like a rule past its own limit.
	MaxAlerts int `yaml:"max_alerts"`
	// MaxSelectedSeries bounds the series the rules' selects list
	// together: a rule whose select would pass it fails its evaluation,
	// like a rule past its limit.
	MaxSelectedSeries int `yaml:"max_selected_series"`
}

// Alert rule bounds: what one alert costs (its labels, its state, its
// copies in the dashboards' deltas and in the notifier) is small, but a
// rule selects every series of a metric, and a file of many rules over a
// metric of many series would otherwise hold rules × series alerts.
const (
	// DefaultAlertLimit is a rule's limit when it gives none.
	DefaultAlertLimit = 1000
	// DefaultMaxAlerts is alerting.max_alerts by default.
	DefaultMaxAlerts = 10000
	// DefaultMaxRules is alerting.max_rules by default.
	DefaultMaxRules = 1000
	// MaxAlertsCeiling bounds alerting.max_alerts (and so every rule's
	// limit): at about 1 KB an alert with its copies, 100 MB. Without it a
	// file that passes check could hold rules × series alerts at start.
	MaxAlertsCeiling = 100_000
	// MaxRulesCeiling bounds alerting.max_rules: each rule is evaluated
	// every interval and may keep a list of its series.
	MaxRulesCeiling = 10_000
	// DefaultMaxSelectedSeries is alerting.max_selected_series by default:
	// a selected series costs 8 bytes, so 8 MB, and room for a select
	// with matchers over every series of a store at MaxSeriesCeiling.
	DefaultMaxSelectedSeries = 1_000_000
	// MaxSelectedSeriesCeiling bounds alerting.max_selected_series: 80 MB.
	MaxSelectedSeriesCeiling = 10_000_000
)

// defaultAlerting returns the defaults of the alerting block: evaluation
// every second, resends every minute (Prometheus' resend delay), nowhere
// to send to, DefaultMaxRules, DefaultMaxAlerts and
// DefaultMaxSelectedSeries.
func defaultAlerting() Alerting {
	return Alerting{
		Interval: Duration(time.Second), ResendDelay: Duration(time.Minute),
		MaxRules: DefaultMaxRules, MaxAlerts: DefaultMaxAlerts, MaxSelectedSeries: DefaultMaxSelectedSeries,
	}
}

// Validate checks the evaluation interval, the resend delay, the bounds
// (positive, within MaxRulesCeiling, MaxAlertsCeiling and
// MaxSelectedSeriesCeiling) and every
// target URL (http or https, with a host, no fragment; no URL twice in a
// list). A URL is quoted in an error only with its user info and query
// values masked.
func (a Alerting) Validate() error {
	var p problems
	atLeast(&p, "interval", a.Interval, minEvalInterval)
	atLeast(&p, "resend_delay", a.ResendDelay, 1)
	positive(&p, "max_rules", a.MaxRules)
	positive(&p, "max_alerts", a.MaxAlerts)
	positive(&p, "max_selected_series", a.MaxSelectedSeries)
	if a.MaxRules > MaxRulesCeiling {
		p.addf("max_rules", "%d is more than the ceiling of %d rules", a.MaxRules, MaxRulesCeiling)
	}
	if a.MaxAlerts > MaxAlertsCeiling {
		p.addf("max_alerts", "%d is more than the ceiling of %d alerts", a.MaxAlerts, MaxAlertsCeiling)
	}
	if a.MaxSelectedSeries > MaxSelectedSeriesCeiling {
		p.addf("max_selected_series", "%d is more than the ceiling of %d series", a.MaxSelectedSeries, MaxSelectedSeriesCeiling)
	}
	validateTargets(&p, "alertmanagers", a.Alertmanagers)
	validateTargets(&p, "webhooks", a.Webhooks)
	return p.err()
}

// validateTargets records the problems of a list of URLs to POST to.
func validateTargets(p *problems, key string, urls []string) {
	for i, raw := range urls {
		path := index(key, i)
		u, err := url.Parse(raw)
		switch {
		case raw == "":
			p.addf(path, "is empty: want an http:// or https:// URL")
		case err != nil:
			p.addf(path, "invalid URL %q: %v", RedactURL(raw), unwrapURLError(err))
		case u.Scheme != "http" && u.Scheme != "https":
			p.addf(path, "URL %q: the scheme must be http or https", RedactURL(raw))
		case u.Host == "":
			p.addf(path, "URL %q has no host", RedactURL(raw))
		case urlUnusable(raw, u) != "":
			p.addf(path, "URL %q: %s", RedactURL(raw), urlUnusable(raw, u))
		case u.Fragment != "" || u.RawFragment != "" || (len(raw) > 0 && raw[len(raw)-1] == '#'):
			p.addf(path, "URL %q: a fragment (#…) is never sent; leave it out", RedactURL(raw))
		default:
			if first := slices.Index(urls, raw); first < i {
				p.addf(path, "duplicate URL (also %s[%d])", key, first)
			}
		}
	}
}
