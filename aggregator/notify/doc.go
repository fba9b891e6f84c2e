// Package notify delivers alerts to Alertmanagers (through their v2 API,
// POST /api/v2/alerts) and to plain JSON webhooks, the way Prometheus'
// notifier does: batches of at most 64 alerts, one bounded queue and one
// sender goroutine per target, retries with backoff within a bound, a
// timeout on every request, and drops counted. It knows nothing of rules:
// the alert engine hands it the alerts to send and it sends them.
//
// # The contract with the engine
//
// Which alerts to send, and when, is the engine's business, as in
// Prometheus, where the rule manager decides and the notifier only
// delivers. Each evaluation the engine calls Send with the alerts that
// need sending:
//
//   - an alert that starts firing, at once;
//   - an alert that keeps firing, again every resend_delay (Alertmanager
//     forgets an alert whose endsAt passes, and a resend also brings back
//     one that was dropped), with EndsAt set to ValidUntil(now,
//     resend_delay, interval) so that Alertmanager resolves it by itself
//     if pulseboard stops sending;
//   - an alert that resolves, with EndsAt set to the time it resolved, and
//     again every resend_delay for a while (Prometheus keeps resending for
//     15 minutes), since a resolution lost in a dropped batch would leave
//     the alert firing until its old endsAt.
//
// Pending alerts are never sent. Send copies what it needs (each alert is
// encoded once, before Send returns), so the caller may reuse its maps.
// Labels must hold alertname; GeneratorURL should point at the series on
// the dashboard.
//
// # Delivery
//
// Every target (each Alertmanager and each webhook URL) has a queue of
// Options.QueueCapacity alerts (10,000 by default); when it is full, the
// oldest alerts are dropped and counted. Its sender takes up to 64 alerts
// at a time and POSTs them, under Options.Timeout (10 s). A request that
// fails for a reason that may pass (no connection, a timeout, 429, 5xx) is
// tried again after Options.RetryInitial (0.5 s), doubling, ±20 % jitter,
// up to Options.Attempts tries (4) in all; then the batch is dropped. A
// 4xx or a redirect will not pass on its own (a wrong URL or payload): the
// batch is dropped at once. Response bodies are read up to
// Options.MaxResponseBytes (64 KiB) and quoted in errors up to 200 bytes.
//
// The queues and the batch being tried belong to the Notifier, not to
// Serve: a restart of Serve (by its supervisor) loses nothing.
//
// # Payloads
//
// An Alertmanager receives a JSON array of Alert. A webhook receives
//
//	{"version":"1","status":"firing","alerts":[{"status":"firing",<Alert fields>},…]}
//
// where an alert's status is "resolved" once its EndsAt has passed (at
// Send) and the payload's status is "firing" when any of its alerts fires.
//
// # Secrets
//
// A target URL may hold credentials (user info, sent as basic auth) and
// tokens (query values). No error, log line or metric label shows them:
// targets are named by configs.RedactURL, net/http's errors (which quote
// the URL) are unwrapped, and a server's answer quoted in an error has
// every credential and query value of its URL masked.
//
// # Metrics
//
// Collector exports, per target (label target, the masked URL):
// pulseboard_notifications_sent_total, pulseboard_notifications_errors_total,
// pulseboard_notifications_dropped_total, pulseboard_notifications_queue_length
// and the histogram pulseboard_notifications_latency_seconds; and
// pulseboard_notifications_queue_capacity. They are Prometheus'
// prometheus_notifications_* with the label alertmanager named target,
// since webhooks are targets too.
package notify
