package dashboard

import (
	"time"
)

// wsLocalConn hands the handshake's connection (a *budgetConn) to the
// WebSocket handler, whose own connection hides it behind the server's
// hijack wrapper.
const wsLocalConn = "pulseboard.conn"

// stallWatch tells a peer that takes nothing from one that is slow.
//
// Why: a client that never reads still lets the server's writes succeed
// until the kernel's buffers are full (this side's send buffer,
// SendBuffer, and the peer's receive window); at a dashboard's rate that
// takes several seconds, and each of those writes costs the server a
// system call beside its readers'. The kernel knows sooner: the bytes
// written less those it still holds unacknowledged is what the peer took.
// A peer that took nothing for StallAfter while bytes waited for it is not
// reading; the writer cuts it (reason "stalled"). A slow reader still takes
// something and is left to the broker's mailbox bound (dropWatch).
//
// The kernel is asked at most once every quarter of StallAfter
// (lookEvery), not before every write: the question is a system call
// (ioctl SIOCOUTQ) of its own, and at 10,000 clients asking before each
// of their writes was 18 % of the server's CPU (BENCHMARKS.md, "10,000
// dashboards"). A look between two asks says no stall. The clock of a
// stall starts at the ask that first saw the peer's last progress with
// bytes waiting, never before the progress itself or before the bytes
// were written, so a stall is still never seen before StallAfter, and at
// most two quarters of it later than with an ask per write.
//
// Only the writer goroutine uses it.
type stallWatch struct {
	// probe says what the peer has taken and what still waits for it,
	// in bytes; false when the kernel cannot tell.
	probe func() (taken, waiting int64, ok bool)
	after time.Duration
	taken int64     // what the peer had taken at the last ask
	since time.Time // the first ask that saw taken as it is with bytes waiting; zero when idle
	asked time.Time // the last ask; zero before the first
}

// lookEvery is the least time between two asks of the kernel for a watch
// of StallAfter after.
func lookEvery(after time.Duration) time.Duration { return after / 4 }

// newStallWatch watches conn (nil, or after <= 0: a watch that never
// sees a stall).
func newStallWatch(conn *budgetConn, after time.Duration) *stallWatch {
	if conn == nil || after <= 0 {
		return nil
	}
	return &stallWatch{probe: conn.progress, after: after}
}

// progress is the stallWatch probe of a connection: the bytes written
// less those its kernel holds unacknowledged, and those.
func (c *budgetConn) progress() (taken, waiting int64, ok bool) {
	waiting, ok = c.unacked()
	return c.written.Load() - waiting, waiting, ok
}

// stalled says whether the peer took none of the bytes waiting for it for
// StallAfter, as of now; within lookEvery of its last ask of the kernel it
// says no without asking. Where the kernel cannot be asked (not Linux, not
// TCP) it never says so.
func (w *stallWatch) stalled(now time.Time) bool {
	if w == nil {
		return false
	}
	if !w.asked.IsZero() && now.Sub(w.asked) < lookEvery(w.after) {
		return false
	}
	w.asked = now
	taken, waiting, ok := w.probe()
	if !ok {
		return false
	}
	switch {
	case waiting == 0:
		// Idle: the clock starts at the first ask that sees bytes
		// waiting, not here, before they were written: with asks a
		// quarter of StallAfter apart, bytes written just before an ask
		// would otherwise count as waiting since this one.
		w.taken, w.since = taken, time.Time{}
		return false
	case taken != w.taken || w.since.IsZero():
		w.taken, w.since = taken, now
		return false
	}
	return now.Sub(w.since) >= w.after
}
