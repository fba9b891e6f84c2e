package alerting

import (
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
)

// Collector returns the Prometheus view of the alerts, built at scrape
// time as Prometheus itself writes them into its own TSDB:
//
//   - ALERTS{alertname, alertstate, severity, <the alert's labels>} 1, per
//     pending or firing alert;
//   - ALERTS_FOR_STATE{alertname, severity, <labels>} = when the alert
//     became active, in Unix seconds.
//
// Label names that are not valid Prometheus names are left out, and
// invalid UTF-8 in values becomes U+FFFD. The collector is unchecked: the
// label sets are only known at scrape time.
func (e *Evaluator) Collector() prometheus.Collector { return collector{e} }

type collector struct{ e *Evaluator }

func (collector) Describe(chan<- *prometheus.Desc) {}

// The evaluator's own bounds (limits.go), beside the alerts.
var (
	limitExceededDesc = prometheus.NewDesc("pulseboard_alert_rule_limit_exceeded_total",
		"Alert rule evaluations that failed because the rule would hold more alerts than it may: reason limit (its own limit) or max_alerts (alerting.max_alerts, all rules together); or because its select would list more series than the other rules' selects leave: reason max_selected_series (alerting.max_selected_series). Its alerts were dropped.",
		[]string{"reason"}, nil)
	selectedDesc = prometheus.NewDesc("pulseboard_alert_selected_series",
		"Series listed by the alert rules' selects together, bounded by alerting.max_selected_series (a select of one metric or one source lists none: it reads the store's index).", nil, nil)
	rulesOverDesc = prometheus.NewDesc("pulseboard_alert_rules_over_limit",
		"Alert rules whose latest evaluation failed on a limit (any reason of pulseboard_alert_rule_limit_exceeded_total): they hold no alerts until back within.", nil, nil)
	skippedDesc = prometheus.NewDesc("pulseboard_alert_rule_evaluations_skipped_total",
		"Alert rule evaluations left out because a round ran past its time budget (a fifth of the evaluation interval); they run first in the next round.", nil, nil)
	templateErrorsDesc = prometheus.NewDesc("pulseboard_alert_template_errors_total",
		"Annotation expansions that failed: the template's own error, or its functions' work past what one expansion may build (64 KiB). The alert goes out with \"<error expanding template: …>\" as that annotation.", nil, nil)
	activeDesc = prometheus.NewDesc("pulseboard_alerts_active",
		"Alerts pending or firing, of all rules.", nil, nil)
)

func (c collector) Collect(ch chan<- prometheus.Metric) {
	n := &c.e.counts
	ch <- prometheus.MustNewConstMetric(limitExceededDesc, prometheus.CounterValue, float64(n.overLimit.Load()), reasonLimit)
	ch <- prometheus.MustNewConstMetric(limitExceededDesc, prometheus.CounterValue, float64(n.overMaxAlerts.Load()), reasonMaxAlerts)
	ch <- prometheus.MustNewConstMetric(limitExceededDesc, prometheus.CounterValue, float64(n.overSelected.Load()), reasonSelectedSeries)
	ch <- prometheus.MustNewConstMetric(selectedDesc, prometheus.GaugeValue, float64(n.selected.Load()))
	ch <- prometheus.MustNewConstMetric(rulesOverDesc, prometheus.GaugeValue, float64(n.rulesOver.Load()))
	ch <- prometheus.MustNewConstMetric(skippedDesc, prometheus.CounterValue, float64(n.skipped.Load()))
	ch <- prometheus.MustNewConstMetric(templateErrorsDesc, prometheus.CounterValue, float64(n.templateErrors.Load()))
	ch <- prometheus.MustNewConstMetric(activeDesc, prometheus.GaugeValue, float64(n.active.Load()))
	for _, a := range c.e.Alerts() {
		names, values := metricLabels(a.Labels)
		alerts := prometheus.NewDesc("ALERTS", "Alerts pending or firing: 1 per alert, alertstate pending or firing.",
			append(names, "alertstate"), nil)
		if m, err := prometheus.NewConstMetric(alerts, prometheus.GaugeValue, 1, append(values, a.State)...); err == nil {
			ch <- m
		}
		forState := prometheus.NewDesc("ALERTS_FOR_STATE", "When each pending or firing alert became active, in Unix seconds.", names, nil)
		if m, err := prometheus.NewConstMetric(forState, prometheus.GaugeValue, float64(a.ActiveAt/1000), values...); err == nil {
			ch <- m
		}
	}
}

// metricLabels returns the names and values of labels that Prometheus
// takes, sorted by name, without alertstate (the metric's own).
func metricLabels(labels map[string]string) (names, values []string) {
	for name := range labels {
		if name != "alertstate" && model.LegacyValidation.IsValidLabelName(name) && !strings.HasPrefix(name, "__") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	values = make([]string, len(names), len(names)+1)
	for i, n := range names {
		values[i] = strings.ToValidUTF8(labels[n], "\uFFFD")
	}
	return names, values
}
