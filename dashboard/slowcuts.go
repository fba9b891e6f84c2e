package dashboard

import (
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the slow-cut budget (see WebSocketOptions).
const (
	defaultSlowCutBurst      = 60
	defaultSlowCutRate       = 1.0 // cuts a second
	defaultSuspectRate       = 2.0 // handshakes a second
	defaultSuspectBurst      = 20
	defaultSlowCutAddresses  = 10_000
	refusedSlowCuts          = "slow_cuts" // handshakes refused: the address's connections keep being cut as slow
	slowCutSweepEvery        = time.Second
	slowCutRetryAfterMinimum = time.Second
	defaultSuspectHold       = 15 * time.Second
	defaultSuspectQuiet      = 10 * time.Second
	// maxHeld bounds the refused handshakes held at once (a descriptor
	// and a parked goroutine each), and so does a tenth of the server's
	// connection cap (heldShare), so that held handshakes cannot fill it;
	// past either they are answered at once.
	maxHeld   = 4096
	heldShare = 10
)

// slowCuts slows down the addresses whose WebSocket connections keep being
// cut as slow or stalled.
//
// Why: a cut costs the server little by itself, but a client that dials
// again at once comes back for another handshake, another snapshot and
// another mailbox, and is cut again a few seconds later. A thousand such
// clients from one address made 100–160 handshakes a second and took the
// readers' p99 from 5 to 173 ms (trial 14 round 7, N3). Nothing a cut
// client does on its next connection tells it apart, so the bound is on
// its address.
//
// How it works: every address with a cut has a token bucket of cuts,
// SlowCutBurst deep, refilled at SlowCutRate. While it is full the address
// is not watched. When a cut finds it empty the address becomes suspect:
// its handshakes then take a token from a second bucket (SuspectRate a
// second, SuspectBurst at once) and those that find none are refused with
// 429 and Retry-After. It stays suspect until SuspectQuiet (10 s) passes
// without a cut, not merely until its cut bucket holds a token again: a
// suspect attacker, let in at SuspectRate and cut again a few seconds
// later, keeps cutting and stays suspect, where a bucket with one token
// would let a thousand handshakes in together. An attacker that pauses
// longer than that gets one more round in before its cuts empty the
// bucket again; readers on the same address (loopback) get in 10 s after
// the attack's last cut. Handshakes are never charged otherwise:
// page reloads and ten thousand dashboards from one address pass freely
// as long as their connections read.
//
// A refused handshake is held about SuspectHold (jitter) before it is
// answered, so that a client that dials again at once, Retry-After or
// not, costs the server a parked goroutine for that long rather than a
// connection, a request and an answer several times a second: without
// the hold, 1,000 such clients made 800 refused handshakes a second, and
// the server's CPU did not fall; held 5 s, 200 a second.
//
// IPv6 addresses are grouped by /64 (one host commonly holds the whole
// prefix). At most maxAddrs addresses are watched: a cut from a new one
// when all are taken sweeps the ones at rest, and if none is, the new one
// is not watched (a bound on memory, not on the attack: an attacker with
// ten thousand addresses is beyond what a per-address bound can do).
//
// Its methods are safe for concurrent use.
type slowCuts struct {
	cutRate      rate.Limit
	cutBurst     int
	suspectRate  rate.Limit
	suspectBurst int
	maxAddrs     int
	quiet        time.Duration
	refusals     handshakeHold
	now          func() time.Time
	loopback     bool // loopback addresses are charged too (WebSocketOptions.slowCutLoopback)

	mu        sync.Mutex
	addrs     map[netip.Prefix]*slowAddr
	lastSweep time.Time
}

// slowAddr is one watched address. suspect is nil until the address's
// cuts outran its bucket, and again once SuspectQuiet passed since lastCut.
type slowAddr struct {
	cuts    *rate.Limiter
	suspect *rate.Limiter
	lastCut time.Time
}

// newSlowCuts makes the budget of o; maxConns is the server's connection
// cap (Options.MaxConnections). Nil (no budget: every method lets all
// in) when o.SlowCutBurst is negative.
func newSlowCuts(o *WebSocketOptions, maxConns int, now func() time.Time) *slowCuts {
	if o.SlowCutBurst < 0 {
		return nil
	}
	return &slowCuts{
		cutRate:      rate.Limit(o.SlowCutRate),
		cutBurst:     o.SlowCutBurst,
		suspectRate:  rate.Limit(o.SuspectRate),
		suspectBurst: o.SuspectBurst,
		maxAddrs:     defaultSlowCutAddresses,
		quiet:        o.SuspectQuiet,
		refusals:     newHandshakeHold(o.SuspectHold, maxConns),
		now:          now,
		loopback:     o.slowCutLoopback,
		addrs:        make(map[netip.Prefix]*slowAddr),
	}
}

// addrKey is the watched unit of a remote address: the address itself for
// IPv4 (IPv4-mapped IPv6 included), its /64 for IPv6; false for none.
func addrKey(ip net.IP) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, err := a.Prefix(bits)
	return p, err == nil
}

// cut records that a connection from key was cut as slow or stalled. The
// client's handler calls it as the connection ends.
func (s *slowCuts) cut(key netip.Prefix) {
	if s == nil || !key.IsValid() || s.exempt(key) {
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.addrs[key]
	if a == nil {
		if len(s.addrs) >= s.maxAddrs {
			s.sweep(now)
			if len(s.addrs) >= s.maxAddrs {
				return
			}
		}
		a = &slowAddr{cuts: rate.NewLimiter(s.cutRate, s.cutBurst)}
		s.addrs[key] = a
	}
	a.lastCut = now
	if !a.cuts.AllowN(now, 1) && a.suspect == nil {
		a.suspect = rate.NewLimiter(s.suspectRate, s.suspectBurst)
	}
	if now.Sub(s.lastSweep) >= slowCutSweepEvery && len(s.addrs) > s.maxAddrs/2 {
		s.sweep(now)
	}
}

// exempt: key is a loopback address, and they are not charged. Why:
// all of 127/8 (and ::1) is one machine, whose local users may bind any
// of its addresses: a thousand slow readers from a thousand of them were
// each under their budget (trial 14 round 8, F4), and the machine's own
// dashboards, all from 127.0.0.1, were locked out while one address was
// suspect. The session budget (sessions.go) bounds them all together.
func (s *slowCuts) exempt(key netip.Prefix) bool {
	// An IPv6 key is a /64: ::1's is ::/64, which holds nothing else
	// routable.
	return !s.loopback && (key.Addr().IsLoopback() || key.Contains(netip.IPv6Loopback()))
}

// admit reports whether a handshake from key may go on; when not, how long
// to wait (Retry-After, whole seconds, at least one). The handshake guard
// calls it.
func (s *slowCuts) admit(key netip.Prefix) (bool, time.Duration) {
	if s == nil || !key.IsValid() {
		return true, 0
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.addrs[key]
	if a == nil {
		return true, 0
	}
	s.settle(a, now)
	switch {
	case a.atRest(now, s.cutBurst):
		delete(s.addrs, key)
		return true, 0
	case a.suspect == nil:
		return true, 0
	}
	r := a.suspect.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	if r.OK() && wait == 0 {
		return true, 0
	}
	r.CancelAt(now)
	wait = max(wait, slowCutRetryAfterMinimum)
	return false, time.Duration(math.Ceil(wait.Seconds())) * time.Second
}

// hold parks a refused handshake (handshakeHold.hold); nothing on a nil
// budget.
func (s *slowCuts) hold(stopping <-chan struct{}) {
	if s != nil {
		s.refusals.hold(stopping)
	}
}

// handshakeHold parks refused handshakes before their refusal is written:
// a client that dials again at once, Retry-After or not, then costs a
// parked goroutine for that long rather than a refusal several times a
// second. At most a tenth of the connection cap (heldShare), and maxHeld,
// are parked at once; past that a refusal goes out at once.
type handshakeHold struct {
	holdFor time.Duration
	held    chan struct{} // a slot per refused handshake being held
}

// newHandshakeHold parks refusals about holdFor each; maxConns is the
// server's connection cap (Options.MaxConnections).
func newHandshakeHold(holdFor time.Duration, maxConns int) handshakeHold {
	return handshakeHold{holdFor: holdFor, held: make(chan struct{}, max(1, min(maxHeld, maxConns/heldShare)))}
}

// hold parks a refused handshake for about holdFor (jitter), or until
// stopping is closed (Serve's context: the server stops; not the
// request's own Done, which fasthttp makes panic for a request no server
// runs, as limitRequest says); at once when every slot is taken. On the
// request's goroutine, before the refusal is written.
func (h *handshakeHold) hold(stopping <-chan struct{}) {
	select {
	case h.held <- struct{}{}:
	default:
		return
	}
	defer func() { <-h.held }()
	t := time.NewTimer(jitter(h.holdFor))
	defer t.Stop()
	select {
	case <-t.C:
	case <-stopping:
	}
}

// jitter spreads a hold over [d/2, 3d/2): held together, a thousand
// refused handshakes were answered together and came back together, a
// burst of connections every few seconds; spread, they come back apart.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d)
}

// settle ends a's suspicion once s.quiet passed without a cut. Under s.mu.
func (s *slowCuts) settle(a *slowAddr, now time.Time) {
	if a.suspect != nil && now.Sub(a.lastCut) >= s.quiet {
		a.suspect = nil
	}
}

// atRest: not suspect, and no cut for long enough that the bucket is full
// again (call settle first).
func (a *slowAddr) atRest(now time.Time, burst int) bool {
	return a.suspect == nil && a.cuts.TokensAt(now) >= float64(burst)
}

// sweep forgets the addresses at rest. Under s.mu.
func (s *slowCuts) sweep(now time.Time) {
	s.lastSweep = now
	for k, a := range s.addrs {
		s.settle(a, now)
		if a.atRest(now, s.cutBurst) {
			delete(s.addrs, k)
		}
	}
}

// suspects is how many addresses are suspect now (the gauge).
func (s *slowCuts) suspects() int {
	if s == nil {
		return 0
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, a := range s.addrs {
		if a.suspect != nil && now.Sub(a.lastCut) < s.quiet {
			n++
		}
	}
	return n
}

// retryAfterHeader writes d as Retry-After's whole seconds.
func retryAfterHeader(d time.Duration) string {
	return strconv.Itoa(int(d / time.Second))
}
