package protocol

import "time"

// Alert states. An alert is pending from the moment its rule's condition
// holds until it has held for the rule's `for`, then firing until it
// resolves; "resolved" appears only in a delta, once, to say the alert is
// gone.
const (
	AlertPending  = "pending"
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// Alert severities: which of the rule's thresholds the value passed.
const (
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// Alert is one alert instance: one rule on one series (on one source for
// a health rule, on the rule itself for an absence rule), as snapshots and
// deltas carry it.
type Alert struct {
	// ID is 16 lowercase hex digits, a hash of the rule's name and the
	// series' (or source's) identity: stable while the rule and its series
	// are, across reloads and restarts.
	ID string `json:"id"`
	// Name is the rule's name, the alertname label.
	Name string `json:"name"`
	// State is pending, firing or (deltas only) resolved.
	State string `json:"state"`
	// Severity is warning or critical, also in Labels.
	Severity string `json:"severity"`
	// Labels identify the alert as Alertmanager sees it: alertname,
	// severity, source, the series' labels and the rule's. Never null.
	Labels map[string]string `json:"labels"`
	// Annotations are the rule's annotations with their templates
	// expanded. Never null.
	Annotations map[string]string `json:"annotations"`
	// Value is the rule's statistic at the latest evaluation; null when
	// there was none (a stale series, an empty window, NaN).
	Value *float64 `json:"value"`
	// Threshold is the threshold the value passed (the critical one when
	// it passed both): a chart draws it as a line. Absent for health,
	// stale and absence rules.
	Threshold *float64 `json:"threshold,omitempty"`
	// Series is the id of the series the alert is about; absent for health
	// and absence rules.
	Series string `json:"series,omitempty"`
	// Source is the source of that series, or the source of a health rule;
	// absent for absence rules.
	Source string `json:"source,omitempty"`
	// ActiveAt is when the alert became pending, Unix ms.
	ActiveAt int64 `json:"active_at"`
	// FiredAt is when it became firing, Unix ms; absent while pending.
	FiredAt int64 `json:"fired_at,omitempty"`
	// ResolvedAt is when it resolved, Unix ms; only with state resolved.
	ResolvedAt int64 `json:"resolved_at,omitempty"`
	// KeepFiringSince is when the condition of a firing alert stopped
	// holding while the rule's keep_firing_for keeps it firing, Unix ms;
	// absent otherwise.
	KeepFiringSince int64 `json:"keep_firing_since,omitempty"`
}

// AlertsResponse is the body of GET /api/v1/alerts: Prometheus' own
// /api/v1/alerts shape, so that tools written for Prometheus read it.
type AlertsResponse struct {
	Status string     `json:"status"` // "success"
	Data   AlertsData `json:"data"`
}

// AlertsData holds the active alerts of an AlertsResponse.
type AlertsData struct {
	Alerts []APIAlert `json:"alerts"` // never null
}

// APIAlert is one active alert in Prometheus' API shape.
type APIAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"` // pending or firing
	// ActiveAt is when it became pending, RFC 3339.
	ActiveAt *time.Time `json:"activeAt,omitempty"`
	// KeepFiringSince is when its condition stopped holding while
	// keep_firing_for keeps it firing; absent otherwise.
	KeepFiringSince *time.Time `json:"keepFiringSince,omitempty"`
	// Value is the statistic as Prometheus writes it
	// (strconv.FormatFloat(v, 'e', -1, 64)), "NaN" when there was none.
	Value string `json:"value"`
}
