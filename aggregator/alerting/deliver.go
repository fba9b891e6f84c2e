package alerting

import (
	"maps"
	"time"

	"github.com/pulseboard/pulseboard/aggregator/notify"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// Alert is one alert as a Sender delivers it: Alertmanager's postable
// alert, the notifier's own type. Labels hold alertname and severity;
// StartsAt is when it fired; EndsAt is, for a firing alert, until when it
// holds without news (Prometheus' four resend periods), for a resolved one
// when it resolved; GeneratorURL links to its series or source on the
// dashboard.
type Alert = notify.Alert

// Sender delivers alerts (to Alertmanagers, webhooks). Send must not
// block: the evaluator calls it on its own goroutine once per evaluation
// that has something to send, and evaluation must not wait for the
// network. The slice and its maps are the Sender's to keep.
type Sender interface {
	Send([]Alert)
}

// resolvedRetention is how long a resolved alert is sent again, every
// resend delay, as Prometheus does: a resolution lost in a dropped batch
// would leave the alert firing in Alertmanager until its endsAt.
const resolvedRetention = 15 * time.Minute

// delivery is what the Sender was last told of one instance.
type delivery struct {
	lastSent time.Time
	// sentLabels are the labels (with severity) last sent firing; nil when
	// the instance was never sent (it is pending, or just fired).
	sentLabels map[string]string
}

// resolvedAlert is a resolved alert still being sent again.
type resolvedAlert struct {
	alert    Alert
	lastSent time.Time
}

// outbox gathers one evaluation's alerts for the Sender.
type outbox struct {
	now         time.Time
	resendDelay time.Duration
	validFor    time.Duration // EndsAt of a firing alert, from now
	url         func(protocol.Alert) string
	out         []Alert
	resolved    *[]resolvedAlert
}

// firing sends a firing instance when it has just fired, changed severity
// (the old severity is resolved: Alertmanager tells alerts by labels), or
// was last sent a resend delay ago.
func (o *outbox) firing(in *instance, labels map[string]string, pa protocol.Alert) {
	d := &in.delivery
	if d.sentLabels != nil && d.sentLabels["severity"] != labels["severity"] {
		o.resolve(d, in, pa)
	}
	if d.sentLabels != nil && o.now.Sub(d.lastSent) < o.resendDelay {
		return
	}
	o.out = append(o.out, Alert{
		Labels: labels, Annotations: maps.Clone(in.annotations),
		StartsAt: in.firedAt, EndsAt: o.now.Add(o.validFor), GeneratorURL: o.url(pa),
	})
	d.lastSent, d.sentLabels = o.now, labels
}

// due reports whether firing would send the instance: it was never sent,
// its severity changed, or its resend delay passed.
func (o *outbox) due(in *instance) bool {
	d := &in.delivery
	return d.sentLabels == nil || d.sentLabels["severity"] != in.severity || o.now.Sub(d.lastSent) >= o.resendDelay
}

// resolve sends the resolution of what was last sent firing, and keeps
// sending it for resolvedRetention.
func (o *outbox) resolve(d *delivery, in *instance, pa protocol.Alert) {
	if d.sentLabels == nil {
		return // never sent: pending alerts are not
	}
	a := Alert{
		Labels: d.sentLabels, Annotations: maps.Clone(in.annotations),
		StartsAt: in.firedAt, EndsAt: o.now, GeneratorURL: o.url(pa),
	}
	o.out = append(o.out, a)
	*o.resolved = append(*o.resolved, resolvedAlert{alert: a, lastSent: o.now})
	d.sentLabels = nil
}

// resend sends again the resolved alerts whose resend delay passed, and
// forgets those resolved longer than resolvedRetention ago.
func (o *outbox) resend() {
	kept := (*o.resolved)[:0]
	for _, r := range *o.resolved {
		if o.now.Sub(r.alert.EndsAt) > resolvedRetention {
			continue
		}
		if o.now.Sub(r.lastSent) >= o.resendDelay {
			o.out = append(o.out, r.alert)
			r.lastSent = o.now
		}
		kept = append(kept, r)
	}
	clear((*o.resolved)[len(kept):])
	*o.resolved = kept
}
