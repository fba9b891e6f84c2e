package dashboard

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// dialFrom dials the fixture's /ws from the loopback address local (any
// of 127/8 is the machine's own, as a local attacker may use).
func (f *fixture) dialFrom(local string, query string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second,
		NetDialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}).DialContext}
	u := f.ws
	if query != "" {
		u += "?" + query
	}
	conn, resp, err := d.Dial(u, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	return conn, resp, err
}

// Trial 14 round 8, F4: sessions from many loopback addresses at once,
// each address under every per-address budget, are bounded all together.
// Of 40 handshakes from 40 addresses, those past the session budget's
// burst and rate are held up to SessionWait, then refused with 503 and
// Retry-After, and counted. Without the budget all 40 were upgraded and
// sent their snapshot.
func TestSessionBudgetManyAddresses(t *testing.T) {
	const dialers, burst, perSecond = 40, 5, 1.0
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.WebSocket.SessionRate = perSecond
		o.WebSocket.SessionBurst = burst
		o.WebSocket.SessionWait = 100 * time.Millisecond
		o.WebSocket.SessionHold = 20 * time.Millisecond
	}})
	f.pushAndWait(10, 1)
	var upgraded, refused atomic.Int64
	var wg sync.WaitGroup
	began := time.Now()
	for i := range dialers {
		wg.Go(func() {
			conn, resp, err := f.dialFrom(fmt.Sprintf("127.1.%d.%d", i/200, i%200+1), "")
			if err != nil {
				require.NotNil(t, resp, "refused with an HTTP answer: %v", err)
				require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
				s, aerr := strconv.Atoi(resp.Header.Get("Retry-After"))
				require.NoError(t, aerr)
				require.GreaterOrEqual(t, s, 1)
				refused.Add(1)
				return
			}
			defer conn.Close()
			_, _, err = conn.ReadMessage() // the hello
			require.NoError(t, err)
			upgraded.Add(1)
		})
	}
	wg.Wait()
	// What the bucket can have paid meanwhile: its burst, its refill, and
	// one handshake that reserved within SessionWait of the end.
	most := int64(burst + time.Since(began).Seconds()*perSecond + 1)
	require.LessOrEqual(t, upgraded.Load(), most)
	require.Equal(t, int64(dialers), upgraded.Load()+refused.Load())
	require.Equal(t, float64(refused.Load()), testutil.ToFloat64(f.srv.metrics.refused.WithLabelValues(refusedSessionRate)))
}

// Trial 14 round 8, F5: sessions that read their hello and snapshot and
// close by themselves are charged the snapshot's bytes, whoever ends the
// connection; once the bytes are spent the next fresh session is refused
// (snapshot_bytes), while a session that resumes from the retained deltas,
// which sends no snapshot, is let in.
func TestSessionBudgetSnapshotBytes(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.WebSocket.SessionRate = 1000
		o.WebSocket.SnapshotByteRate = 1 // a byte a second: never refilled within the test
		o.WebSocket.SessionWait = 50 * time.Millisecond
		o.WebSocket.SessionHold = 10 * time.Millisecond
	}})
	seq := f.pushAndWait(200, 1)
	size := len(f.agg.SnapshotJSON(true))
	f.srv.sessions.bytes.SetBurst(size * 5 / 2) // two and a half snapshots

	sessions := 0
	for ; sessions < 10; sessions++ {
		conn, resp, err := f.dialFrom("127.0.0.1", "")
		if err != nil {
			require.NotNil(t, resp, "refused with an HTTP answer: %v", err)
			require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
			require.NotEmpty(t, resp.Header.Get("Retry-After"))
			break
		}
		c := &wsClient{t: t, conn: conn}
		c.readType("hello")
		c.send(`{"type":"resume","seq":0}`)
		c.readType("snapshot")
		require.NoError(t, conn.Close()) // the client leaves by itself
	}
	require.Equal(t, 3, sessions, "two and a half snapshots' bytes let three sessions in, the third into debt")
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.refused.WithLabelValues(refusedSnapshotBytes)))

	conn, _, err := f.dialFrom("127.0.0.1", "resume="+strconv.FormatUint(seq, 10))
	require.NoError(t, err, "a resume from the retained deltas costs no snapshot")
	c := &wsClient{t: t, conn: conn}
	t.Cleanup(func() { conn.Close() })
	c.readType("hello")
	next := f.pushAndWait(200, 2)
	c.readUntilSeq(seq, next)
}

// A handshake the session budget can pay within SessionWait is held, not
// refused, and counted as held; one that cannot takes nothing from it.
func TestSessionBudgetHoldsThenRefuses(t *testing.T) {
	o := testWS()
	o.SessionRate, o.SessionBurst, o.SessionWait, o.SessionHold = 20, 1, 200*time.Millisecond, time.Hour
	o.setDefaults()
	m := newMetrics()
	b := newSessionBudget(&o, 20_000, m)
	stop := make(chan struct{})

	ok, _, _ := b.admit(stop, false, netip.Prefix{})
	require.True(t, ok, "the burst")
	began := time.Now()
	ok, _, _ = b.admit(stop, false, netip.Prefix{})
	require.True(t, ok, "a twentieth of a second's wait is within SessionWait")
	require.GreaterOrEqual(t, time.Since(began), 25*time.Millisecond)
	require.Equal(t, 1.0, testutil.ToFloat64(m.sessionsHeld.WithLabelValues(sessionBudgetStarts)))

	b.starts.SetLimit(0.5) // now a start waits 2 s, past SessionWait
	ok, reason, retry := b.admit(stop, false, netip.Prefix{})
	require.False(t, ok)
	require.Equal(t, refusedSessionRate, reason)
	require.Greater(t, retry, o.SessionWait)
	require.Equal(t, 1.0, testutil.ToFloat64(m.refused.WithLabelValues(refusedSessionRate)))

	// A refused handshake is held until the server stops.
	held := make(chan struct{})
	go func() {
		b.hold(stop)
		close(held)
	}()
	close(stop)
	<-held
}

// A wait up to half of SessionWait is never refused, one past it always,
// and one between is refused with a probability that rises with it.
func TestSessionBudgetRefuseWait(t *testing.T) {
	const wait = 4 * time.Second
	for _, tc := range []struct {
		delay time.Duration
		u     float64
		want  bool
	}{
		{0, 0, false},
		{2 * time.Second, 0, false},
		{2*time.Second + time.Millisecond, 0, true},
		{3 * time.Second, 0.49, true},
		{3 * time.Second, 0.51, false},
		{3900 * time.Millisecond, 0.9, true},
		{wait, 0.999, true},
		{wait + time.Millisecond, 0.999, true},
	} {
		require.Equal(t, tc.want, refuseWait(tc.delay, wait, tc.u), "delay %v, u %v", tc.delay, tc.u)
	}
}

// Off (SessionRate < 0), nothing is held, refused or charged.
func TestSessionBudgetOff(t *testing.T) {
	o := testWS()
	o.setDefaults()
	b := newSessionBudget(&o, 20_000, newMetrics())
	require.Nil(t, b)
	for range 1000 {
		ok, _, _ := b.admit(nil, false, netip.Prefix{})
		require.True(t, ok)
	}
	require.Zero(t, b.chargeSnapshot(1<<30, true))
	b.hold(nil)
}

// Loopback addresses are not charged by the slow-cut budget by default:
// any local user has all of 127/8, and the machine's own dashboards come
// from 127.0.0.1 (trial 14 round 8, F4). Other addresses still are.
func TestSlowCutsLoopbackExempt(t *testing.T) {
	var o WebSocketOptions
	o.setDefaults()
	sc := newSlowCuts(&o, 20_000, time.Now)
	for _, ip := range []string{"127.0.0.1", "127.1.2.3", "::1"} {
		k := mustKey(t, ip)
		for range defaultSlowCutBurst * 3 {
			sc.cut(k)
		}
		ok, _ := sc.admit(k)
		require.True(t, ok, ip)
	}
	require.Zero(t, sc.suspects())
	remote := mustKey(t, "192.0.2.7")
	for range defaultSlowCutBurst + 1 {
		sc.cut(remote)
	}
	require.Equal(t, 1, sc.suspects())
}

// One remote address may take a quarter of the session budget's starts:
// past its share its handshakes are refused whatever the draw, counted
// under address_share, while other addresses still start theirs. Loopback
// addresses have no share (any local user has all of 127/8), and the
// share of an address at rest is forgotten.
func TestSessionBudgetSharesBetweenAddresses(t *testing.T) {
	o := testWS()
	// No refill while the test runs: only the bursts count.
	o.SessionRate, o.SessionBurst, o.SessionWait, o.SessionHold = 0.001, 8, 200*time.Millisecond, time.Hour
	o.setDefaults()
	m := newMetrics()
	b := newSessionBudget(&o, 20_000, m)
	key := func(ip string) netip.Prefix {
		k, ok := addrKey(net.ParseIP(ip))
		require.True(t, ok)
		return k
	}

	for i := range 2 {
		ok, _, _ := b.admit(nil, false, key("192.0.2.7"))
		require.True(t, ok, "start %d is within the address's share of 8/4", i)
	}
	ok, reason, retry := b.admit(nil, false, key("192.0.2.7"))
	require.False(t, ok, "the third start from one address is past its share")
	require.Equal(t, refusedAddressShare, reason)
	require.Greater(t, retry, o.SessionWait/2)
	require.Equal(t, 1.0, testutil.ToFloat64(m.refused.WithLabelValues(refusedAddressShare)))
	require.InDelta(t, 6, b.starts.Tokens(), 0.01, "a refused start took nothing from the budget")

	ok, _, _ = b.admit(nil, false, key("2001:db8::1"))
	require.True(t, ok, "another address starts its own")
	ok, _, _ = b.admit(nil, false, key("2001:db8::2"))
	require.True(t, ok, "the same /64 shares one share")
	ok, reason, _ = b.admit(nil, false, key("2001:db8::3"))
	require.False(t, ok)
	require.Equal(t, refusedAddressShare, reason)

	for i := range 4 {
		ok, _, _ = b.admit(nil, false, key("127.0.0.1"))
		require.True(t, ok, "loopback start %d: no share, only the budget", i)
	}
	ok, reason, _ = b.admit(nil, false, key("127.0.0.1"))
	require.False(t, ok, "the budget itself is spent")
	require.Equal(t, refusedSessionRate, reason)
	require.Equal(t, 2.0, testutil.ToFloat64(m.refused.WithLabelValues(refusedAddressShare)))
}

// The shares are bounded in memory: addresses whose share is whole again
// are forgotten, and past maxAddrs of them in use a new address goes
// unshared rather than growing the map.
func TestAddressSharesBounded(t *testing.T) {
	s := newAddressShares(1, 4, 4) // a share of one start, refilled every 4 s
	now := time.Unix(1e9, 0)
	for i := range 4 {
		r := s.reserve(netip.MustParsePrefix(fmt.Sprintf("192.0.2.%d/32", i)), now)
		require.NotNil(t, r)
		require.Zero(t, r.DelayFrom(now))
	}
	require.Nil(t, s.reserve(netip.MustParsePrefix("192.0.2.200/32"), now), "every slot in use: unshared")
	later := now.Add(5 * time.Second)
	r := s.reserve(netip.MustParsePrefix("192.0.2.200/32"), later)
	require.NotNil(t, r, "the shares at rest were swept")
	require.Len(t, s.addrs, 1)
}

// Trial 14 round 9, F2: snapshots sent on sessions already open (resume
// messages too old for the retained deltas) are paid from a bucket of
// their own, and their session waits its turn: they never delay a new
// session, and their bytes come at the budget's rate.
func TestResyncSnapshotsDoNotDelayNewSessions(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.WebSocket.SessionRate = 1000
		o.WebSocket.SessionWait = 50 * time.Millisecond
		o.WebSocket.SessionHold = 10 * time.Millisecond
		o.WebSocket.MaxResumes = 100
	}})
	f.pushAndWait(200, 1)
	size := len(f.agg.SnapshotJSON(true))
	// A snapshot and a half a second, as much at once: the second resync
	// in a row waits about half a second, the third a second more.
	for _, lim := range []*rate.Limiter{f.srv.sessions.bytes, f.srv.sessions.resyncs} {
		lim.SetLimit(rate.Limit(size * 3 / 2))
		lim.SetBurst(size * 3 / 2)
	}

	a := f.dial("", nil)
	a.readType("hello")
	a.readType("snapshot")
	began := time.Now()
	resync := func() {
		a.send(`{"type":"resume","seq":0}`)
		a.readType("snapshot")
	}
	// Three resyncs in a row, each paid before it is written: the first
	// at once, the second after a third of a second, the third a second
	// after that.
	resync()
	second := time.Now()
	resync()
	require.GreaterOrEqual(t, time.Since(second), 250*time.Millisecond, "the second resync waited for its bytes before it was written")
	resync()
	require.Eventually(t, func() bool { return testutil.ToFloat64(f.srv.metrics.resyncsHeld) >= 2 },
		5*time.Second, time.Millisecond, "the resumer waits for its resyncs")
	// The resumes spent the resync bucket; a new session is let in at
	// once all the same.
	heldBefore := testutil.ToFloat64(f.srv.metrics.sessionsHeld.WithLabelValues(sessionBudgetSnapshot))
	b := f.dial("", nil)
	b.readType("hello")
	b.readType("snapshot")
	require.Equal(t, heldBefore, testutil.ToFloat64(f.srv.metrics.sessionsHeld.WithLabelValues(sessionBudgetSnapshot)),
		"a new session did not wait for the resumers' snapshots")
	require.Zero(t, testutil.ToFloat64(f.srv.metrics.refused.WithLabelValues(refusedSnapshotBytes)))

	// The fourth could not have been written before the third's wait.
	resync()
	require.GreaterOrEqual(t, time.Since(began), time.Second, "the resyncs came at the budget's rate")
	require.Greater(t, testutil.ToFloat64(f.srv.metrics.resyncHeldSeconds), 0.75, "a third of a second, then most of a second")
}

// A reconnecting page whose missed deltas the server still holds costs a
// start only: it is let in at once while the snapshot budgets are spent,
// by new sessions or by resyncs on open ones (trial 14 round 10, F1: made
// to wait for 150 connections' resyncs, every reconnecting page was
// refused for the length of the attack). One the retained deltas do not
// serve (a seq too old, ?resume=0) will be sent a snapshot: it waits for
// the new sessions' bucket as a new session does, and pays there.
func TestResumeHandshakeWaitsOnlyForASnapshot(t *testing.T) {
	f := newFixture(t, fixtureOptions{
		agg: func(o *aggregator.Options) { o.RetainDeltas = 2 },
		dash: func(o *Options) {
			o.WebSocket.SessionRate = 1000
			o.WebSocket.SessionWait = 50 * time.Millisecond
			o.WebSocket.SessionHold = 10 * time.Millisecond
		}})
	var last uint64
	for i := range 5 {
		last = f.pushAndWait(200, float64(i))
	}
	size := len(f.agg.SnapshotJSON(true))
	for _, lim := range []*rate.Limiter{f.srv.sessions.bytes, f.srv.sessions.resyncs} {
		lim.SetLimit(1) // never refilled within the test
		lim.SetBurst(size * 3 / 2)
	}
	f.srv.sessions.resyncs.ReserveN(time.Now(), size*3/2)
	f.srv.sessions.resyncs.ReserveN(time.Now(), size) // resyncs in debt
	for range 2 {                                     // new sessions; the second pays into debt
		c := f.dial("", nil)
		c.readType("hello")
		c.readType("snapshot")
	}
	require.Eventually(t, func() bool { return f.srv.sessions.bytes.Tokens() < 0 }, 5*time.Second, time.Millisecond)

	for _, q := range []string{"resume=1", "resume=0"} {
		conn, resp, err := f.dialFrom("127.0.0.1", q)
		require.Error(t, err, "%s will be sent a snapshot: it waits for the new sessions' debt, past SessionWait", q)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		require.Nil(t, conn)
	}
	began := time.Now()
	conn, _, err := f.dialFrom("127.0.0.1", "resume="+strconv.FormatUint(last, 10))
	require.NoError(t, err, "a resume the retained deltas serve is let in at once")
	require.Less(t, time.Since(began), time.Second)
	c := &wsClient{t: t, conn: conn}
	t.Cleanup(func() { conn.Close() })
	c.readType("hello")
	c.readUntilSeq(last, f.pushAndWait(200, 9))
}

// Trial 14 round 9, F3: a resume the retained deltas cannot serve within
// half a mailbox is answered with the snapshot every client shares, paid
// as a resync, and counted; none is merged for it alone. One within is
// served from the log as before.
func TestResumeOfManyDeltasGetsTheSharedSnapshot(t *testing.T) {
	f := newFixture(t, fixtureOptions{agg: func(o *aggregator.Options) {
		o.MailboxSize, o.RetainDeltas = 4, 50
	}})
	first := f.pushAndWait(2, 1)
	c := f.dial("", nil)
	c.readType("hello")
	seen := c.readType("snapshot").Seq
	last := seen
	for i := range 10 {
		next := f.pushAndWait(2, float64(2+i))
		c.readUntilSeq(last, next)
		last = next
	}
	require.Greater(t, last-seen, uint64(2))

	c.send(fmt.Sprintf(`{"type":"resume","seq":%d}`, last-1))
	end := f.pushAndWait(2, 20)
	// The stream may write a delta or two before the server reads the
	// resume (a loaded machine); the answer is the one that starts again
	// at the delta the client says it missed.
	fr := c.readType("delta")
	for fr.first() != last {
		require.Greater(t, fr.first(), last, "one delta missed: from the log, not a gap")
		fr = c.readType("delta")
	}
	c.readUntilSeq(fr.Seq, end)
	require.Zero(t, testutil.ToFloat64(f.srv.metrics.resumesAsSnapshot))

	c.send(fmt.Sprintf(`{"type":"resume","seq":%d}`, max(first, seen)))
	snap := c.readType("snapshot")
	require.GreaterOrEqual(t, snap.Seq, last)
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.resumesAsSnapshot))
}

// The new sessions' snapshot debt stays within one burst in all, however
// many sessions were admitted together before any was charged (trial 14
// round 10, F1: 150 at once left 150 MB of debt, and new dashboards were
// refused long after they left).
func TestSessionBudgetDebtWithinABurst(t *testing.T) {
	o := testWS()
	o.SessionRate, o.SnapshotByteRate, o.SnapshotByteBurst = 100, 1000, 10_000
	o.setDefaults()
	b := newSessionBudget(&o, 20_000, newMetrics())
	for range 150 {
		require.Zero(t, b.chargeSnapshot(8000, false))
	}
	require.GreaterOrEqual(t, b.bytes.Tokens(), -10_000.5, "at most a burst of debt")
	require.Less(t, b.bytes.Tokens(), -9_000.0)
}
