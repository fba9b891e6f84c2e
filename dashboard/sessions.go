package dashboard

import (
	"math/rand/v2"
	"net/netip"
	"sync"
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
// resume (?resume=N, served from the deltas the broker retains), waits
// until the bytes bucket is out of debt. Every snapshot a session was
// sent whole (the first, a resync, a resume too old for the deltas)
// takes its bytes once written, as a debt at most a burst deep that the
// next handshakes wait for. Why once written, whole: that is what it
// cost; a slow or stalled reader that never takes its snapshot costs the
// server what its socket buffers hold until it is cut, and is bounded by
// the starts. A handshake the buckets cannot pay at once waits, parked,
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
	starts *rate.Limiter
	bytes  *rate.Limiter
	// resyncs is the bytes of the snapshots sent on sessions already
	// open (a resume too old for the deltas, a resync after a drop): a
	// bucket of their own, so that they never delay a new session (see
	// chargeSnapshot).
	resyncs  *rate.Limiter
	chargeMu sync.Mutex // a charge of bytes reads then takes (chargeSnapshot)
	shares   *addressShares
	wait     time.Duration
	refusals handshakeHold
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
		resyncs:   rate.NewLimiter(rate.Limit(o.SnapshotByteRate), o.SnapshotByteBurst),
		shares:    newAddressShares(o.SessionRate, o.SessionBurst, defaultSlowCutAddresses),
		wait:      o.SessionWait,
		refusals:  newHandshakeHold(o.SessionHold, maxConns),
		refusedBy: func(r string) { m.refused.WithLabelValues(r).Inc() },
		heldBy:    func(r string) { m.sessionsHeld.WithLabelValues(r).Inc() },
	}
}

// admit pays a new session's start, from the budget and from the share of
// it that key (the client's address, addrKey) may take, and, unless
// resume (a ?resume=N handshake that the retained deltas serve as they
// are: Feed.Resumable), waits for the snapshot bytes' debt to be paid. It
// returns at once when the buckets can pay now; else it waits for them, parked, at most SessionWait (stopping, Serve's context,
// ends the wait early). ok false: the address's share could not pay
// within half of SessionWait (reason address_share), the budget could
// not within SessionWait, or, past half of it, it was refused at random
// (see sessionBudget); nothing is taken, and reason names the bucket,
// retry how long until it could have paid (Retry-After). On the
// handshake's goroutine (guardHandshake).
func (b *sessionBudget) admit(stopping <-chan struct{}, resume bool, key netip.Prefix) (ok bool, reason string, retry time.Duration) {
	if b == nil {
		return true, "", 0
	}
	now := time.Now()
	share := b.shares.reserve(key, now)
	var shareDelay time.Duration
	if share != nil {
		// An address past its share is refused whatever the draw: it is
		// the one spending the budget.
		if shareDelay = share.DelayFrom(now); shareDelay > b.wait/2 {
			share.CancelAt(now)
			b.refusedBy(refusedAddressShare)
			return false, refusedAddressShare, shareDelay
		}
	}
	cancel := func() {
		if share != nil {
			share.CancelAt(now)
		}
	}
	start := b.starts.ReserveN(now, 1)
	if !start.OK() { // a burst of 0: no session at all
		cancel()
		return false, refusedSessionRate, time.Second
	}
	delay, reason := start.DelayFrom(now), refusedSessionRate
	if debt := -b.bytes.TokensAt(now); !resume && debt > 0 {
		if d := time.Duration(debt / float64(b.bytes.Limit()) * float64(time.Second)); d > delay {
			delay, reason = d, refusedSnapshotBytes
		}
	}
	if shareDelay > delay {
		delay, reason = shareDelay, refusedAddressShare
	}
	if refuseWait(delay, b.wait, rand.Float64()) {
		start.CancelAt(now)
		cancel()
		b.refusedBy(reason)
		return false, reason, delay
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
	return true, "", 0
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

// chargeSnapshot takes the n bytes of a snapshot sent whole to a session,
// now, without waiting, and returns how long the session must wait before
// it writes (zero for a session's first).
//
// A session's first snapshot (resync false) is charged to the bytes
// bucket, as a debt at most a burst deep that the next handshakes wait
// for (admit), whoever ends the connection afterwards. A later one
// (resync: a resume too old for the retained deltas, a resync after a
// drop) is charged to the resyncs bucket, and its session waits until
// its own reservation is paid: the debt is the resumers', never the
// handshakes'. Why: resume messages on connections already open, each
// within its allowance of resumes, made snapshots that were charged to
// the handshakes' bucket only, a debt nothing capped (2.88 GB in 20 s
// from 150 connections) that every new dashboard then waited for, and
// was refused for, for over two minutes (trial 14 round 9, F2). Now
// their bytes come at the budget's rate whatever the number of resumers,
// each waiting its turn in order, and new sessions never see them.
//
// The client's writer calls it after a session's first snapshot is
// written, and for a resync before it is built, priced at the shared
// snapshot's last size, waiting what it returns (client.holdFor).
func (b *sessionBudget) chargeSnapshot(n int, resync bool) time.Duration {
	if b == nil || n <= 0 {
		return 0
	}
	now := time.Now()
	if !resync {
		// The debt stays within a burst in all, not a burst a snapshot:
		// 150 sessions admitted together before any was charged left
		// 150 MB of debt, and new dashboards were refused for it long
		// after they left (trial 14 round 10, F1).
		b.chargeMu.Lock()
		defer b.chargeMu.Unlock()
		if room := float64(b.bytes.Burst()) + b.bytes.TokensAt(now); room >= 1 {
			b.bytes.ReserveN(now, min(n, int(room)))
		}
		return 0
	}
	return b.resyncs.ReserveN(now, min(n, b.resyncs.Burst())).DelayFrom(now)
}

// hold parks a refused handshake (handshakeHold.hold), in slots of its
// own beside the slow-cut budget's; nothing on a nil budget.
func (b *sessionBudget) hold(stopping <-chan struct{}) {
	if b != nil {
		b.refusals.hold(stopping)
	}
}

func newSessionsHeldCounter() *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulseboard_ws_sessions_held_total",
		Help: "WebSocket handshakes held back (at most session_wait) for the server-wide session budget, then let in, by the bucket they waited for (session_rate: session starts a second; snapshot_bytes: snapshot bytes a second; address_share: the quarter of the session starts one client address may take). Those that would have waited longer are counted in pulseboard_ws_handshakes_refused_total under the same reason.",
	}, []string{"reason"})
	for _, r := range []string{sessionBudgetStarts, sessionBudgetSnapshot, refusedAddressShare} {
		v.WithLabelValues(r)
	}
	return v
}
