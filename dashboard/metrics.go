package dashboard

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Reasons a WebSocket handshake is refused (pulseboard_ws_handshakes_refused_total).
const (
	refusedOrigin       = "origin"        // Origin neither the page's own nor allowed
	refusedAuth         = "auth"          // viewer token missing or wrong
	refusedNotWebSocket = "not_websocket" // GET /ws without an upgrade
	refusedShutdown     = "shutting_down" // the server is closing
	refusedCapacity     = "capacity"      // MaxClients reached
	// refusedAdmitQueue and refusedAdmitTimeout: admission.go;
	// refusedSlowCuts: slowcuts.go; refusedSessionRate and
	// refusedSnapshotBytes: sessions.go; refusedAddressShare:
	// sessions_share.go.
)

// Reasons a client message is ignored (pulseboard_ws_client_messages_ignored_total).
const (
	ignoredOversized = "oversized" // above MaxMessageBytes
	ignoredMalformed = "malformed" // not a JSON object, or a resume without seq
	ignoredUnknown   = "unknown"   // a type the protocol does not know
)

// Reasons the server ends a WebSocket connection (pulseboard_ws_disconnects_total).
const (
	disconnectPeer     = "peer"      // the client closed or the network failed
	disconnectDeadPeer = "dead_peer" // no pong nor message within PongWait
	disconnectTooBig   = "too_big"   // a message above ReadLimit (1009)
	disconnectFlood    = "flood"     // too many client messages (1008)
	disconnectSlow     = "slow"      // dropped by the broker too often (1013)
	disconnectStalled  = "stalled"   // took none of the bytes waiting for it for StallAfter
	disconnectWrite    = "write"     // a write timed out or failed other than by the peer leaving
	disconnectShutdown = "shutdown"  // the server is stopping (1001)
	disconnectInternal = "internal"  // the feed ended the subscription (1011)

	disconnectControlFlood = "control_flood" // too many pings or pongs (1008)
	disconnectReadBudget   = "read_budget"   // more bytes than the read budget, whatever the frames (1008)
	disconnectBinary       = "binary"        // a binary message: the protocol is text only (1003)
	disconnectSlowMessage  = "slow_message"  // a message not complete within MessageWait (1008)
	disconnectProtocol     = "protocol"      // a frame RFC 6455 forbids, a one-byte close body included (1002); a compressed message that does not inflate (1007)
	disconnectInvalidUTF8  = "invalid_utf8"  // a text message or a close reason that is not UTF-8 (1007)
	disconnectResumes      = "resumes"       // more resume messages than MaxResumes within ResyncWindow (1008)
)

// metrics are the dashboard's own; they live as long as the Server, across
// restarts of Serve.
type metrics struct {
	clients      prometheus.Gauge
	messagesSent prometheus.Counter
	batched      prometheus.Counter
	bytesSent    prometheus.Counter
	slowDrops    prometheus.Counter
	hostRefused  prometheus.Counter
	readBudget   prometheus.Counter
	// droppedFrames and droppedBytes: what peers sent after the server's
	// close frame, read and dropped unparsed (awaitPeerClose).
	droppedFrames prometheus.Counter
	droppedBytes  prometheus.Counter
	refused       *prometheus.CounterVec
	ignored       *prometheus.CounterVec
	disconnects   *prometheus.CounterVec
	requests      *prometheus.CounterVec
	rangeSeconds  prometheus.Histogram
	delivery      prometheus.Histogram
	rangeRefused  *prometheus.CounterVec
	rangePoints   prometheus.Counter
	malformed     *prometheus.CounterVec
	limited       *prometheus.CounterVec // requests over their connection's request budget (reqbudget.go)
	// answersRefused and answerBytes follow the answers held while
	// written (answers.go).
	answersRefused *prometheus.CounterVec
	// dearLimited and answerUnits follow the server's dear budget and
	// the charge by answer size (reqbudget.go).
	dearLimited *prometheus.CounterVec
	answerUnits prometheus.Counter
	answerBytes prometheus.Gauge
	// admissionWait and admissionWaiting follow the handshakes' waits
	// for a turn (admission.go).
	admissionWait    prometheus.Histogram
	admissionWaiting prometheus.Gauge
	newcomers        prometheus.Gauge
	// sessionsHeld: handshakes held for the session budget (sessions.go).
	sessionsHeld *prometheus.CounterVec
	// resyncsHeld and resyncHeldSeconds: sessions that waited for the
	// resync budget after a snapshot (sessions.go).
	resyncsHeld       prometheus.Counter
	resyncHeldSeconds prometheus.Counter
	// resumesAsSnapshot: resumes the retained deltas could not serve as
	// they are, answered with the shared snapshot (writer.go).
	resumesAsSnapshot prometheus.Counter
	// conns: the listener's (conns.go).
	conns *connMetrics
}

func newMetrics() *metrics {
	m := &metrics{
		conns: newConnMetrics(),
		clients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pulseboard_ws_clients",
			Help: "WebSocket clients connected now.",
		}),
		messagesSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_ws_messages_sent_total",
			Help: "WebSocket messages written to clients (hello, snapshots, deltas).",
		}),
		batched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_ws_batched_messages_total",
			Help: "Of pulseboard_ws_messages_sent_total, those that reached the kernel in one write with others: a client's writer that finds several messages ready (the client is behind) writes up to 8 at once.",
		}),
		bytesSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_ws_bytes_sent_total",
			Help: "Payload bytes of the WebSocket messages written to clients.",
		}),
		slowDrops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_ws_slow_client_drops_total",
			Help: "Times a client fell so far behind that the broker dropped it; it is resynced with a snapshot or closed.",
		}),
		hostRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_http_host_refused_total",
			Help: "HTTP requests refused with 421 because their Host is not allowed (DNS rebinding defence).",
		}),
		readBudget: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_http_conn_read_budget_exceeded_total",
			Help: "Connections (HTTP or WebSocket) closed for sending more bytes than their read budget.",
		}),
		droppedFrames: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_ws_frames_dropped_after_close_total",
			Help: "WebSocket frames clients sent after the server's close decision, while it waited (at most CloseWait) for their close: read under the read budget and dropped unparsed. Their own close frames are not counted.",
		}),
		droppedBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_ws_bytes_dropped_after_close_total",
			Help: "Bytes, frame headers included, of pulseboard_ws_frames_dropped_after_close_total.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_ws_handshakes_refused_total",
			Help: "WebSocket handshakes refused, by reason.",
		}, []string{"reason"}),
		ignored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_ws_client_messages_ignored_total",
			Help: "Client messages ignored, by reason.",
		}, []string{"reason"}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_ws_disconnects_total",
			Help: "WebSocket connections ended, by reason.",
		}, []string{"reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		rangeSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pulseboard_range_query_seconds",
			Help:    "Time taken by range queries run (WebSocket and REST), waiting for a turn left out. Requests refused as invalid, by the dashboard or the store, are not observed: see pulseboard_ws_range_refused_total and pulseboard_http_requests_total{code=\"400\"}.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		delivery: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pulseboard_ws_delivery_delay_seconds",
			Help:    "Time from a delta's build (its ts), or from the client's snapshot written if that was later, until its write to a client's connection returned: how far behind the dashboards are, as the server sees it.",
			Buckets: []float64{.001, .002, .004, .008, .016, .032, .064, .128, .256, .512, 1.024, 2.048, 4.096, 8.192},
		}),
		rangeRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_ws_range_refused_total",
			Help: "WebSocket range requests answered with an error instead of being run, by reason (budget: the connection's range budget was spent; invalid; answers: the answers held filled max_answer_bytes; busy: the server's budget for WebSocket range work, all clients together, was spent).",
		}, []string{"reason"}),
		rangePoints: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_ws_range_points_total",
			Help: "Points sent in answers to WebSocket range requests: the range work done for clients.",
		}),
		malformed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_http_requests_malformed_total",
			Help: "HTTP requests fasthttp refused before any route, by reason (malformed: 400, e.g. an empty or doubled Host; header_too_large: 431; body_too_large: 413; timeout: 408; read_error).",
		}, []string{"reason"}),
		admissionWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pulseboard_ws_admission_wait_seconds",
			Help:    "Time WebSocket handshakes waited for a turn among the new connections' work, refused ones included (0 when one was free).",
			Buckets: []float64{.001, .005, .025, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		admissionWaiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pulseboard_ws_admission_waiting",
			Help: "WebSocket handshakes waiting now for a turn among the new connections' work.",
		}),
		limited:      newLimitedCounter(),
		sessionsHeld: newSessionsHeldCounter(),
		resyncsHeld: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_ws_resyncs_held_total",
			Help: "Snapshots sent on WebSocket sessions already open (a resume too old for the retained deltas, a resync after a drop) after which the session waited for the server-wide budget of such snapshots' bytes (server.session_snapshot_rate, a bucket apart from the new sessions').",
		}),
		resumesAsSnapshot: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_ws_resumes_as_snapshot_total",
			Help: "WebSocket resumes (?resume=N or a resume message) that the retained deltas could not serve as they are (too old, or more than half a mailbox to merge), answered with the snapshot shared by every client and paid as a resync.",
		}),
		resyncHeldSeconds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_ws_resync_held_seconds_total",
			Help: "Time WebSocket sessions waited, in all, for the budget of the snapshots sent on sessions already open (see pulseboard_ws_resyncs_held_total).",
		}),
		dearLimited: newDearLimitedCounter(),
		answerUnits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pulseboard_http_answer_cost_units_total",
			Help: "Request cost units charged after the answer for its size (one per 64 KiB of body), to its connection's request budget and to the server's dear budget.",
		}),
		answersRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulseboard_http_answers_refused_total",
			Help: "Answers (/metrics, the snapshot without points, range answers, single series) answered 503 instead, before being built, by route pattern, because the answers held already filled max_answer_bytes (slow readers hold theirs until written or timed out).",
		}, []string{"route"}),
		answerBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pulseboard_http_answer_bytes_in_flight",
			Help: "Bytes (buffer capacity) of answers held now: /metrics expositions and snapshots without points (shared, counted once, while cached or being written), range answers and single series (from before they are built until written or the write timed out).",
		}),
		newcomers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pulseboard_ws_newcomers",
			Help: "WebSocket clients connected that have not answered their first ping yet (never-reading ones among them): their writes take turns among the new connections' work.",
		}),
	}
	// Known label values start at zero, so that rate() sees the first event.
	for _, r := range []string{refusedOrigin, refusedAuth, refusedNotWebSocket, refusedShutdown, refusedCapacity, refusedAdmitQueue, refusedAdmitTimeout, refusedSlowCuts, refusedSessionRate, refusedSnapshotBytes, refusedAddressShare} {
		m.refused.WithLabelValues(r)
	}
	for _, r := range []string{ignoredOversized, ignoredMalformed, ignoredUnknown} {
		m.ignored.WithLabelValues(r)
	}
	for _, r := range []string{disconnectPeer, disconnectDeadPeer, disconnectTooBig, disconnectFlood,
		disconnectSlow, disconnectStalled, disconnectWrite, disconnectShutdown, disconnectInternal,
		disconnectControlFlood, disconnectReadBudget, disconnectBinary, disconnectInvalidUTF8,
		disconnectSlowMessage, disconnectProtocol, disconnectResumes} {
		m.disconnects.WithLabelValues(r)
	}
	for _, r := range []string{rangeRefusedBudget, rangeRefusedInvalid, rangeRefusedAnswers, rangeRefusedBusy} {
		m.rangeRefused.WithLabelValues(r)
	}
	for _, r := range []string{metricsPath, seriesPath, snapshotPath} {
		m.answersRefused.WithLabelValues(r)
	}
	for _, r := range []string{malformedRequest, malformedHeaderSize, malformedBodySize, malformedTimeout, malformedReadError} {
		m.malformed.WithLabelValues(r)
	}
	return m
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.clients, m.messagesSent, m.batched, m.bytesSent, m.slowDrops, m.hostRefused, m.readBudget,
		m.droppedFrames, m.droppedBytes,
		m.refused, m.ignored, m.disconnects, m.requests, m.rangeSeconds, m.delivery,
		m.rangeRefused, m.rangePoints, m.malformed, m.limited, m.dearLimited, m.answerUnits, m.answersRefused, m.answerBytes, m.admissionWait, m.admissionWaiting, m.newcomers, m.sessionsHeld, m.resyncsHeld, m.resyncHeldSeconds, m.resumesAsSnapshot,
		m.conns.open, m.conns.idle, m.conns.max, m.conns.refused, m.conns.evicted, m.conns.acceptErrors}
}

// droppedAfterClose counts what one connection's peer sent after the
// server's close; called by its handler once the reader is done.
func (m *metrics) droppedAfterClose(d droppedFrames) {
	if d.frames > 0 {
		m.droppedFrames.Add(float64(d.frames))
		m.droppedBytes.Add(float64(d.bytes))
	}
}

// sent counts one message written to one client.
func (m *metrics) sent(n int) {
	m.messagesSent.Inc()
	m.bytesSent.Add(float64(n))
}

// suspectsGauge is pulseboard_ws_slow_suspect_addresses, read from sc at
// scrape time.
func (m *metrics) suspectsGauge(sc *slowCuts) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pulseboard_ws_slow_suspect_addresses",
		Help: "Client addresses (IPv6: /64s) whose WebSocket connections were cut as slow or stalled faster than their budget: their handshakes are let in at a bounded rate, the others refused with 429 (pulseboard_ws_handshakes_refused_total{reason=\"slow_cuts\"}).",
	}, func() float64 { return float64(sc.suspects()) })
}
