package dashboard

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// Defaults of the session budget (see WebSocketOptions).
const (
	defaultSessionRate       = 20.0     // session starts a second
	defaultSessionBurst      = 100      // session starts at once
	defaultSnapshotByteRate  = 16 << 20 // snapshot bytes a second
	defaultSnapshotByteBurst = 64 << 20 // snapshot bytes at once
	defaultSessionWait       = 5 * time.Second
	defaultSessionHold       = 15 * time.Second
)

// Reasons a handshake is held or refused by the session budget
// (pulseboard_ws_handshakes_refused_total, pulseboard_ws_sessions_held_total).
const (
	refusedSessionRate    = "session_rate"   // the server's session starts a second were spent
	refusedSnapshotBytes  = "snapshot_bytes" // the server's snapshot bytes a second were spent
	sessionBudgetStarts   = refusedSessionRate
	sessionBudgetSnapshot = refusedSnapshotBytes
)

// sessionBudget bounds the work new WebSocket sessions bring, over every
// client together: session starts (handshakes) a second, and the bytes of
// the snapshots they are sent a second.
//
// Why: a session's cost is its handshake and, above all, the snapshot a
// new client is sent (666 KB for 81 series, megabytes for thousands),
// whoever ends the connection and whatever its address. Clients that
// read their hello and snapshot and close, 50 of them dialling again at
// once, made 200 sessions a second and took a quarter of the core (trial
// 14 round 8, F5); a thousand slow readers from a thousand loopback
// addresses, each under its own slow-cut budget, did the same (F4). A
// budget per address cannot see either: any local user has all of 127/8.
// This is the WebSocket side of the HTTP's dear budgets (dear.go).
//
// How it works: two token buckets, of session starts (SessionRate a
// second, SessionBurst at once) and of snapshot bytes (SnapshotByteRate,
// SnapshotByteBurst). A handshake takes a start, and, unless it asks to
// resume (?resume=N, served from the deltas the broker retains), the
// bytes of the last snapshot sent (prepaid): its own snapshot is likely
// the same size. A snapshot a session is sent later (a resync, a resume
// too old for the deltas, a resume from 0 by message) takes what its
// prepayment does not cover, when written, as a debt the next handshakes
// wait for. A handshake the buckets cannot pay at once waits, parked,
// for its turn (the reservations are served in order), at most
// SessionWait. Past half of SessionWait a handshake is refused at random,
// the more likely the longer its wait (none at half, all at SessionWait):
// it takes nothing, is held about SessionHold (jitter, on a bounded
// number of slots, as slowCuts does) and is answered 503 with
// Retry-After. Held and refused handshakes are counted by the bucket that
// held them.
//
// Why at random, and held that long: nothing in a handshake from the
// same address tells a new dashboard from an attacker dialling again,
// and an attacker that dials again the moment its session ends takes
// each place in the queue as it frees: with a plain limit on the wait, 50
// such clients kept it full, every new reader was refused and the
// attacker almost never (measured). Refused at random, each attempt has
// the same odds, and an attacker's refused connection is parked for
// seconds, which thins its attempts until the queue has room: a new
// dashboard then waits its turn (about 2.5 s beside 50 clients leaving
// every 200 ms) instead of being refused. Beside more connections than
// that, dialling again at once, a page gets in within a few of its
// reconnects (its backoff is 0.5 s doubling to 10 s).
//
// Its methods are safe for concurrent use.
type sessionBudget struct {
	starts  *rate.Limiter
	bytes   *rate.Limiter
	wait    time.Duration
	holdFor time.Duration
	held    chan struct{} // a slot per refused handshake being held
	// lastSnapshot is the size of the last snapshot charged: what a new
	// session prepays.
	lastSnapshot atomic.Int64
	// refusedBy and heldBy count a handshake refused or held, by bucket.
	refusedBy func(reason string)
	heldBy    func(reason string)
}

// newSessionBudget makes the budget of o; maxConns is the server's
// connection cap (Options.MaxConnections). Nil (no budget: every method
// lets all in) when o.SessionRate is negative.
func newSessionBudget(o *WebSocketOptions, maxConns int, m *metrics) *sessionBudget {
	if o.SessionRate < 0 {
		return nil
	}
	return &sessionBudget{
		starts:    rate.NewLimiter(rate.Limit(o.SessionRate), o.SessionBurst),
		bytes:     rate.NewLimiter(rate.Limit(o.SnapshotByteRate), o.SnapshotByteBurst),
		wait:      o.SessionWait,
		holdFor:   o.SessionHold,
		held:      make(chan struct{}, max(1, min(maxHeld, maxConns/heldShare))),
		refusedBy: func(r string) { m.refused.WithLabelValues(r).Inc() },
		heldBy:    func(r string) { m.sessionsHeld.WithLabelValues(r).Inc() },
	}
}

// admit pays a new session's start, and its snapshot's expected bytes
// unless resume (a ?resume=N handshake). It returns at once when the
// buckets can pay now; else it waits for them, parked, at most
// SessionWait (stopping, Serve's context, ends the wait early). ok false:
// they could not pay within SessionWait, or, past half of it, it was
// refused at random (see sessionBudget); nothing is taken, and reason
// names the bucket, retry how long until it could have paid (Retry-After).
// prepaid is the bytes taken for the snapshot (client.chargeSnapshot).
// On the handshake's goroutine (guardHandshake).
func (b *sessionBudget) admit(stopping <-chan struct{}, resume bool) (prepaid int, ok bool, reason string, retry time.Duration) {
	if b == nil {
		return 0, true, "", 0
	}
	now := time.Now()
	start := b.starts.ReserveN(now, 1)
	if !start.OK() { // a burst of 0: no session at all
		return 0, false, refusedSessionRate, time.Second
	}
	delay, reason := start.DelayFrom(now), refusedSessionRate
	var snap *rate.Reservation
	if !resume {
		prepaid = int(min(b.lastSnapshot.Load(), int64(b.bytes.Burst())))
		snap = b.bytes.ReserveN(now, prepaid)
		if d := snap.DelayFrom(now); snap.OK() && d > delay {
			delay, reason = d, refusedSnapshotBytes
		}
	}
	if refuseWait(delay, b.wait, rand.Float64()) {
		start.CancelAt(now)
		if snap != nil {
			snap.CancelAt(now)
		}
		b.refusedBy(reason)
		return 0, false, reason, delay
	}
	if delay > 0 {
		b.heldBy(reason)
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-stopping:
		}
	}
	return prepaid, true, "", 0
}

// refuseWait decides whether a handshake that would wait delay for the
// session budget is refused, given SessionWait (wait) and a uniform draw
// u in [0, 1): never up to half of wait, always past wait, and between
// the two with a probability rising linearly from 0 to 1.
func refuseWait(delay, wait time.Duration, u float64) bool {
	half := wait / 2
	switch {
	case delay > wait:
		return true
	case delay <= half:
		return false
	}
	return u < float64(delay-half)/float64(wait-half)
}

// chargeSnapshot takes n bytes of a snapshot written to a session from the
// bytes bucket, less what is left of its prepayment (*prepaid, which it
// lowers): now, without waiting, a debt at most a burst deep that the
// next handshakes wait for. It records n as what the next session
// prepays. The client's writer calls it before writing a snapshot.
func (b *sessionBudget) chargeSnapshot(n int, prepaid *int) {
	if b == nil || n <= 0 {
		return
	}
	b.lastSnapshot.Store(int64(n))
	covered := min(n, *prepaid)
	*prepaid -= covered
	if rest := n - covered; rest > 0 {
		b.bytes.ReserveN(time.Now(), min(rest, b.bytes.Burst()))
	}
}

// hold parks a refused handshake for about holdFor (jitter), or until
// stopping is closed; at once when every slot is taken. Why: a client
// that dials again at once, Retry-After or not, then costs a parked
// goroutine for that long rather than a refusal several times a second
// (slowCuts.hold says the same). On the request's goroutine, before the
// refusal is written.
func (b *sessionBudget) hold(stopping <-chan struct{}) {
	if b == nil {
		return
	}
	select {
	case b.held <- struct{}{}:
	default:
		return
	}
	defer func() { <-b.held }()
	t := time.NewTimer(jitter(b.holdFor))
	defer t.Stop()
	select {
	case <-t.C:
	case <-stopping:
	}
}

func newSessionsHeldCounter() *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulseboard_ws_sessions_held_total",
		Help: "WebSocket handshakes held back (at most session_wait) for the server-wide session budget, then let in, by the bucket they waited for (session_rate: session starts a second; snapshot_bytes: snapshot bytes a second). Those that would have waited longer are counted in pulseboard_ws_handshakes_refused_total under the same reason.",
	}, []string{"reason"})
	for _, r := range []string{sessionBudgetStarts, sessionBudgetSnapshot} {
		v.WithLabelValues(r)
	}
	return v
}
