package notify

import (
	"encoding/json"
	"time"
)

// Alert is one alert as Alertmanager's v2 API takes it (a "postable
// alert"). Labels identify it and must hold alertname; StartsAt is when it
// started firing; EndsAt, when set, is when it resolved or, for a firing
// alert, until when it holds without news (see ValidUntil); GeneratorURL
// links back to its series. Zero times are left out of the JSON.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Resolved reports whether the alert had resolved at now: its EndsAt is
// set and not after now.
func (a Alert) Resolved(now time.Time) bool {
	return !a.EndsAt.IsZero() && !a.EndsAt.After(now)
}

// ValidUntil is the EndsAt a firing alert carries, as Prometheus sets it:
// four resend periods (or evaluation intervals, if longer) ahead of now.
// Alertmanager resolves the alert by itself when that passes without a
// resend, so alerts do not fire forever after pulseboard stops; four
// periods ride out a few lost sends.
func ValidUntil(now time.Time, resendDelay, interval time.Duration) time.Time {
	return now.Add(4 * max(resendDelay, interval))
}

// item is one alert in a target's queue, encoded at Send: JSON is its
// postable form, firing its status at Send (for webhooks).
type item struct {
	json   []byte
	firing bool
}

// encode renders a as an item, with its times in UTC. labels is never
// null in the JSON: Alertmanager rejects that with a 400.
func encode(a Alert, now time.Time) (item, error) {
	w := a
	if w.Labels == nil {
		w.Labels = map[string]string{}
	}
	if !w.StartsAt.IsZero() {
		w.StartsAt = w.StartsAt.UTC()
	}
	if !w.EndsAt.IsZero() {
		w.EndsAt = w.EndsAt.UTC()
	}
	b, err := json.Marshal(w)
	if err != nil {
		return item{}, err
	}
	return item{json: b, firing: !a.Resolved(now)}, nil
}

// alertmanagerBody is a batch as Alertmanager's POST /api/v2/alerts takes
// it: a JSON array of postable alerts.
func alertmanagerBody(batch []item) []byte {
	b := make([]byte, 0, 2+encodedSize(batch))
	b = append(b, '[')
	for i, it := range batch {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it.json...)
	}
	return append(b, ']')
}

// webhookBody is a batch as a webhook receives it (see the package doc):
// each alert's object gets its status as a first key, which is why an
// encoded alert always starts with '{' and holds at least "labels".
func webhookBody(batch []item) []byte {
	status := statusResolved
	for _, it := range batch {
		if it.firing {
			status = statusFiring
			break
		}
	}
	b := make([]byte, 0, 48+len(batch)*len(`{"status":"resolved",`)+encodedSize(batch))
	b = append(b, `{"version":"1","status":"`...)
	b = append(b, status...)
	b = append(b, `","alerts":[`...)
	for i, it := range batch {
		if i > 0 {
			b = append(b, ',')
		}
		s := statusResolved
		if it.firing {
			s = statusFiring
		}
		b = append(b, `{"status":"`...)
		b = append(b, s...)
		b = append(b, `",`...)
		b = append(b, it.json[1:]...)
	}
	return append(b, "]}"...)
}

// encodedSize is the bytes of the batch's alerts, with a comma each.
func encodedSize(batch []item) int {
	n := 0
	for _, it := range batch {
		n += len(it.json) + 1
	}
	return n
}

const (
	statusFiring   = "firing"
	statusResolved = "resolved"
)
