package dashboard

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the admission limits (see WebSocketOptions).
const (
	defaultAdmitTurns = 4
	defaultAdmitQueue = 1024
	defaultAdmitWait  = 5 * time.Second
	// turnHold is how long one piece of newcomer work may keep its turn: a
	// write that has not returned by then (a socket whose buffers are
	// full, a large snapshot on a slow link) gives it back and finishes
	// unpaced, so that one stuck newcomer cannot hold the others up.
	turnHold = 10 * time.Millisecond
	// retryAfter is the Retry-After, in seconds, of a refused admission.
	retryAfter = "2"
)

// Reasons an admission is refused (pulseboard_ws_handshakes_refused_total).
const (
	refusedAdmitQueue   = "admission_queue"   // AdmitQueue handshakes already waiting
	refusedAdmitTimeout = "admission_timeout" // no turn within AdmitWait
)

// admission paces the work that new WebSocket connections bring, so that a
// burst of them cannot crowd the writers of the clients already there.
//
// Why: with the server on one core, an established client's writer is
// woken by each delta and then waits in the Go scheduler's run queue behind
// every goroutine that is runnable. A thousand connections opened at once
// are a thousand handshakes, then a thousand writers woken by every delta
// until the stall watch or the mailbox cuts the ones that never read (2 to
// 4 s); each delta reached the established clients after up to a thousand
// other writes, 10 to 15 ms later (BENCHMARKS.md, issue 14).
//
// How it works: newcomer work takes one of AdmitTurns turns (a semaphore);
// whoever waits for one is parked, not runnable. Newcomer work is a
// connection's handshake (the guard and the upgrade) and every data write
// to it until it answers the ping sent after its hello (client.settle): a
// browser does within a round trip, a peer that never reads never does.
// An established client's writer never takes a turn. A goroutine given a
// turn yields once (runtime.Gosched), so that the writers the last delta
// woke run before it rather than after a chain of newcomers handing the
// turn to each other. A turn is held at most turnHold. Handshakes wait in
// a queue of at most AdmitQueue, each for at most AdmitWait; past either
// they are refused with 503 and Retry-After, and counted. A newcomer's
// write waits as long as its connection lasts; a newcomer the broker drops
// meanwhile is closed, not resynced (see client.stream).
//
// Its methods are safe for concurrent use.
type admission struct {
	turns   chan struct{}
	queue   int64
	wait    time.Duration
	waiting atomic.Int64
	// yield runs when a turn is taken (runtime.Gosched; tests count it).
	yield func()
	// observe records a handshake's wait in seconds; waitingNow reports
	// how many handshakes wait.
	observe    func(seconds float64)
	waitingNow func(n int64)
}

func newAdmission(o *WebSocketOptions, m *metrics, yield func()) *admission {
	return &admission{
		turns: make(chan struct{}, o.AdmitTurns),
		queue: int64(o.AdmitQueue),
		wait:  o.AdmitWait,
		yield: yield,
		observe: func(s float64) {
			m.admissionWait.Observe(s)
		},
		waitingNow: func(n int64) { m.admissionWaiting.Set(float64(n)) },
	}
}

// turn is one piece of newcomer work's right to run. It is given back
// once, by whichever comes first: the work (release) or the hold timer.
type turn struct {
	a     *admission
	once  sync.Once
	timer *time.Timer // set before the turn is handed out; read by release only
}

func (a *admission) granted() *turn {
	t := &turn{a: a}
	t.timer = time.AfterFunc(turnHold, t.giveBack)
	a.yield()
	return t
}

func (t *turn) giveBack() { t.once.Do(func() { <-t.a.turns }) }

// release gives the turn back, on the goroutine that took it; later calls,
// and calls on nil, do nothing.
func (t *turn) release() {
	if t == nil {
		return
	}
	t.timer.Stop()
	t.giveBack()
}

// admit is a handshake's wait for a turn, on the request's goroutine. It
// returns the turn, or the reason it is refused: the queue is full, no
// turn came within AdmitWait, or ctx ended (the server is stopping).
func (a *admission) admit(ctx context.Context) (*turn, string) {
	select {
	case a.turns <- struct{}{}:
		a.observe(0)
		return a.granted(), ""
	default:
	}
	n := a.waiting.Add(1)
	if n > a.queue {
		a.waiting.Add(-1)
		return nil, refusedAdmitQueue
	}
	a.waitingNow(n)
	start := time.Now()
	timer := time.NewTimer(a.wait)
	defer func() {
		timer.Stop()
		a.waitingNow(a.waiting.Add(-1))
		a.observe(time.Since(start).Seconds())
	}()
	select {
	case a.turns <- struct{}{}:
		return a.granted(), ""
	case <-timer.C:
		return nil, refusedAdmitTimeout
	case <-ctx.Done():
		return nil, refusedShutdown
	}
}

// abort resets the connection of a client that never answered its first
// ping (it never read, or left at once), in a turn: a thousand that
// arrived together are cut together, and their teardown is newcomer work
// too. A reset frees the kernel's buffers at once, where a close would
// keep the unsent bytes of a peer that reads nothing. The handler's
// goroutine calls it as the connection ends; fasthttp's own close later
// finds it closed.
func (a *admission) abort(conn *budgetConn) {
	t, _ := a.take(context.Background()) // a turn comes back within turnHold
	if tc := tcpConn(conn.Conn); tc != nil {
		_ = tc.SetLinger(0)
	}
	_ = conn.Conn.Close()
	t.release()
}

// take is a newcomer writer's wait for a turn; false when ctx (the
// connection's) ended first. Never refused: a newcomer is already counted
// among the clients.
func (a *admission) take(ctx context.Context) (*turn, bool) {
	select {
	case a.turns <- struct{}{}:
		return a.granted(), true
	case <-ctx.Done():
		return nil, false
	}
}
