package dashboard

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a settable now for slowCuts.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestSlowCuts(t *testing.T) (*slowCuts, *fakeClock) {
	t.Helper()
	var o WebSocketOptions
	o.setDefaults()
	o.slowCutLoopback = true
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	return newSlowCuts(&o, 20_000, clock.now), clock
}

func mustKey(t *testing.T, ip string) netip.Prefix {
	t.Helper()
	k, ok := addrKey(net.ParseIP(ip))
	require.True(t, ok, ip)
	return k
}

// admitN counts how many of n handshakes from key are let in.
func admitN(sc *slowCuts, key netip.Prefix, n int) int {
	in := 0
	for range n {
		if ok, _ := sc.admit(key); ok {
			in++
		}
	}
	return in
}

// Handshakes alone are never charged: ten thousand dashboards from one
// address, and an address with a few cuts (a tab on a bad link), pass.
func TestSlowCutsHandshakesFreeWithoutCuts(t *testing.T) {
	sc, clock := newTestSlowCuts(t)
	lo := mustKey(t, "127.0.0.1")
	require.Equal(t, 10_000, admitN(sc, lo, 10_000))
	for range defaultSlowCutBurst {
		sc.cut(lo)
		clock.advance(100 * time.Millisecond)
	}
	require.Equal(t, 10_000, admitN(sc, lo, 10_000), "within its budget: not suspect")
	require.Zero(t, sc.suspects())
}

// Issue 14 (trial 14 round 7, N3): an address whose cuts outrun the budget
// is let in at SuspectRate (SuspectBurst at once), the rest refused with a
// Retry-After of whole seconds; it stays suspect while its cuts go on and
// is forgotten once its bucket is full again. Other addresses pass.
func TestSlowCutsSuspectAddressPaced(t *testing.T) {
	sc, clock := newTestSlowCuts(t)
	atk := mustKey(t, "127.0.0.1")
	other := mustKey(t, "192.0.2.7")
	for range defaultSlowCutBurst + 1 {
		sc.cut(atk)
	}
	require.Equal(t, 1, sc.suspects())
	require.Equal(t, defaultSuspectBurst, admitN(sc, atk, 1000), "the burst, then nothing")
	ok, wait := sc.admit(atk)
	require.False(t, ok)
	require.Equal(t, time.Second, wait)
	require.Equal(t, "1", retryAfterHeader(wait))
	require.Equal(t, 1000, admitN(sc, other, 1000), "another address is not touched")

	// A minute of attack: one second at a time, every handshake let in is
	// cut again; the address is let in twice a second and stays suspect.
	in := 0
	for range 60 {
		clock.advance(time.Second)
		n := admitN(sc, atk, 100)
		in += n
		for range n {
			sc.cut(atk)
		}
	}
	require.InDelta(t, 60*defaultSuspectRate, in, 2)
	require.Equal(t, 1, sc.suspects())

	// The attack stops: suspect until SuspectQuiet passes without a cut,
	// then let in freely; forgotten once its bucket is full again.
	clock.advance(defaultSuspectQuiet - time.Second)
	require.Equal(t, 1, sc.suspects())
	require.Equal(t, int((defaultSuspectQuiet-time.Second).Seconds()*defaultSuspectRate), admitN(sc, atk, 1000),
		"what refilled meanwhile, no more")
	clock.advance(time.Second)
	require.Zero(t, sc.suspects())
	require.Equal(t, 1000, admitN(sc, atk, 1000))
	require.Len(t, sc.addrs, 1, "its bucket is not full yet")

	// It comes back: its cuts empty what the bucket refilled, and it is
	// suspect again.
	for range int(defaultSuspectQuiet.Seconds()*defaultSlowCutRate) + 2 {
		sc.cut(atk)
	}
	require.Equal(t, 1, sc.suspects())
	require.Equal(t, defaultSuspectBurst, admitN(sc, atk, 1000))

	clock.advance(time.Minute + defaultSuspectQuiet)
	require.Equal(t, 1000, admitN(sc, atk, 1000))
	require.Empty(t, sc.addrs, "at rest: forgotten")
}

// IPv6 clients are one address per /64; IPv4-mapped ones are IPv4.
func TestSlowCutsAddrKey(t *testing.T) {
	require.Equal(t, mustKey(t, "2001:db8:1:2::1"), mustKey(t, "2001:db8:1:2:ffff::9"))
	require.NotEqual(t, mustKey(t, "2001:db8:1:2::1"), mustKey(t, "2001:db8:1:3::1"))
	require.Equal(t, mustKey(t, "192.0.2.1"), mustKey(t, "::ffff:192.0.2.1"))
	require.Equal(t, 32, mustKey(t, "192.0.2.1").Bits())
	_, ok := addrKey(nil)
	require.False(t, ok)
}

// The addresses watched are bounded: those at rest are swept to make room,
// and past the bound a new address is not watched.
func TestSlowCutsBoundedAddresses(t *testing.T) {
	sc, clock := newTestSlowCuts(t)
	sc.maxAddrs = 4
	keys := []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"}
	for _, ip := range keys[:4] {
		sc.cut(mustKey(t, ip))
	}
	sc.cut(mustKey(t, keys[4]))
	require.Len(t, sc.addrs, 4, "none at rest: the fifth is not watched")
	require.NotContains(t, sc.addrs, mustKey(t, keys[4]))

	clock.advance(time.Minute) // every bucket full again
	sc.cut(mustKey(t, keys[4]))
	require.Len(t, sc.addrs, 1, "the ones at rest were swept")
	require.Contains(t, sc.addrs, mustKey(t, keys[4]))
}

// A refused handshake is held SuspectHold, or until the server stops; at
// most the held slots are held, the others answered at once.
func TestSlowCutsHold(t *testing.T) {
	var o WebSocketOptions
	o.setDefaults()
	o.SuspectHold = time.Hour
	sc := newSlowCuts(&o, 20, time.Now) // a tenth of 20 connections: 2 held at most
	require.Equal(t, 2, cap(sc.refusals.held))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	for range 2 {
		go func() { sc.hold(ctx.Done()); done <- struct{}{} }()
	}
	require.Eventually(t, func() bool { return len(sc.refusals.held) == 2 }, 5*time.Second, time.Millisecond)
	began := time.Now()
	sc.hold(ctx.Done()) // no slot: at once
	require.Less(t, time.Since(began), time.Minute)
	require.Empty(t, done, "the two held are still held")
	cancel()
	for range 2 {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("a held handshake outlived its context")
		}
	}
	require.Zero(t, len(sc.refusals.held))
}
