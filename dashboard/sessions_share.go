package dashboard

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Shares of the session budget (see addressShares).
const (
	// sessionShareDivisor: one address may take a quarter of the
	// session budget's starts, a second and at once.
	sessionShareDivisor = 4
	refusedAddressShare = "address_share" // handshakes refused: the address took its share of the session budget
	shareSweepEvery     = time.Second
)

// addressShares bounds the share of the session budget (sessionBudget) that
// the handshakes of one client address may take: a quarter of its session
// starts a second and at once. IPv6 addresses are grouped by /64, as for
// the slow-cut budget.
//
// Why: the session budget is one for every client, so a single remote
// host that dials again and again spent all of it, and every other
// address's new dashboards waited behind it or were refused. With a share
// each, one address can take at most a quarter; the other three quarters
// are left to everyone else, whose own shares bound them in turn.
//
// Loopback addresses (127/8, ::1) are not charged: any local user may bind
// any of them, so a share per loopback address bounds nothing, and the
// machine's own dashboards all come from 127.0.0.1. Behind a reverse proxy
// every client has the proxy's address and so shares one quarter; the
// documentation says to raise server.session_rate there.
//
// At most maxAddrs addresses are tracked: one whose bucket is full again
// is at rest and forgotten by the next sweep, and when every slot holds
// an address that is not, a new address is let through unshared (a bound
// on memory; the session budget still bounds them all together).
//
// Its methods are safe for concurrent use.
type addressShares struct {
	rate     rate.Limit
	burst    int
	maxAddrs int

	mu        sync.Mutex
	addrs     map[netip.Prefix]*rate.Limiter
	lastSweep time.Time
}

func newAddressShares(r float64, burst, maxAddrs int) *addressShares {
	return &addressShares{
		rate:     rate.Limit(r / sessionShareDivisor),
		burst:    max(1, burst/sessionShareDivisor),
		maxAddrs: maxAddrs,
		addrs:    make(map[netip.Prefix]*rate.Limiter),
	}
}

// reserve takes one session start from key's share at now. The returned
// reservation is nil when key is not charged (invalid, loopback, or not
// tracked for want of room); else its DelayFrom(now) says how long key
// must wait for its share, and the caller cancels it when the handshake
// does not go on. On the handshake's goroutine (sessionBudget.admit).
func (s *addressShares) reserve(key netip.Prefix, now time.Time) *rate.Reservation {
	if s == nil || !key.IsValid() || key.Addr().IsLoopback() || key.Contains(netip.IPv6Loopback()) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastSweep) >= shareSweepEvery && len(s.addrs) > s.maxAddrs/2 {
		s.sweep(now)
	}
	lim := s.addrs[key]
	if lim == nil {
		if len(s.addrs) >= s.maxAddrs {
			s.sweep(now)
			if len(s.addrs) >= s.maxAddrs {
				return nil
			}
		}
		lim = rate.NewLimiter(s.rate, s.burst)
		s.addrs[key] = lim
	}
	return lim.ReserveN(now, 1)
}

// sweep forgets the addresses whose share is whole again. Needs mu.
func (s *addressShares) sweep(now time.Time) {
	s.lastSweep = now
	for k, lim := range s.addrs {
		if lim.TokensAt(now) >= float64(s.burst) {
			delete(s.addrs, k)
		}
	}
}
