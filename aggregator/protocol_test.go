package aggregator

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// client is a protocol client as docs/protocol.md describes one: it
// applies a snapshot, then each delta's removed, added, points and windows.
type client struct {
	seq    uint64
	points map[string][]protocol.Point
	wins   map[string]protocol.Windows
}

func (c *client) apply(t *testing.T, m Message) {
	t.Helper()
	msg, err := protocol.DecodeStrict(m.Data)
	require.NoError(t, err, "%s", m.Data)
	addSeries := func(s protocol.Series) {
		c.points[s.ID] = s.Points
		c.wins[s.ID] = s.Windows
	}
	if snap, ok := msg.(*protocol.Snapshot); ok {
		c.points, c.wins = map[string][]protocol.Point{}, map[string]protocol.Windows{}
		for _, s := range snap.Series {
			addSeries(s)
		}
		c.seq = snap.Seq
		return
	}
	f := msg.(*protocol.Delta)
	require.Equal(t, c.seq+1, f.First(), "no gap: the first delta after seq N has from or seq N+1")
	for _, id := range f.Removed {
		delete(c.points, id)
		delete(c.wins, id)
	}
	for _, s := range f.Added {
		addSeries(s)
	}
	for id, ps := range f.Points {
		require.Contains(t, c.points, id, "points for a series the client has")
		c.points[id] = append(c.points[id], ps...)
	}
	for id, w := range f.Windows {
		require.Contains(t, c.wins, id)
		c.wins[id] = w
	}
	c.seq = f.Seq
}

// TestProtocolReconstructsState: clients that follow the messages, one
// reading every delta and one so slow its deltas get merged, end with the
// state a fresh snapshot shows, through series added, evicted and re-added.
func TestProtocolReconstructsState(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) { protocolRun(t, seed) })
	}
}

func protocolRun(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(21, seed))
	a, clk := newTestAgg(Options{History: time.Minute, Windows: []time.Duration{10 * time.Second, time.Minute}, MailboxSize: 4})
	fast, slow, resumer := a.Subscribe(0), a.Subscribe(0), a.Subscribe(0)
	defer fast.Close()
	defer func() { slow.Close() }()
	defer func() { resumer.Close() }()
	var cf, cs, cr client
	for step := range 400 {
		var ss []Sample
		for range rng.IntN(5) {
			name := "m" + strconv.Itoa(rng.IntN(8))
			ss = append(ss, gauge(name, clk.ms, float64(rng.IntN(1000))/10, "k", strconv.Itoa(rng.IntN(2))))
		}
		if len(ss) > 0 {
			a.ingest(batch("src"+strconv.Itoa(rng.IntN(2)), ss...))
		}
		clk.ms += int64(rng.IntN(400))
		if rng.IntN(60) == 0 {
			clk.ms += 70_000 // long silence: evictions
		}
		a.tick()
		for _, m := range drain(t, fast) {
			cf.apply(t, m)
		}
		if step%13 == 0 { // the resumer reconnects with the seq it has
			for _, m := range drainUntilDropped(t, resumer) {
				cr.apply(t, m)
			}
			resumer.Close()
			resumer = a.Subscribe(cr.seq)
		}
		if step%7 == 0 { // the slow one reads now and then, and resumes when dropped
			slow = catchUp(t, a, slow, &cs, false)
		}
	}
	slow = catchUp(t, a, slow, &cs, true)
	for { // catch up, resyncing as long as it keeps being dropped
		for _, m := range drainUntilDropped(t, resumer) {
			cr.apply(t, m)
		}
		if cr.seq == a.Seq() {
			break
		}
		resumer.Close()
		resumer = a.Subscribe(cr.seq)
	}
	require.Positive(t, a.stats.conflations.Load(), "the slow client saw merges")
	require.Positive(t, a.stats.evicted.Load())

	var want client
	want.apply(t, Message{Type: "snapshot", Data: a.SnapshotJSON(true)})
	for _, c := range []*client{&cf, &cs, &cr} {
		require.Equal(t, want.seq, c.seq)
		require.Equal(t, sortedKeys(want.points), sortedKeys(c.points))
		for id, ps := range want.points {
			got := c.points[id]
			// The client keeps what the store has already dropped.
			got = slices.DeleteFunc(slices.Clone(got), func(p protocol.Point) bool { return len(ps) > 0 && p.T < ps[0].T })
			require.Equal(t, ps, got, "points of %s", id)
			require.Equal(t, want.wins[id], c.wins[id], "windows of %s", id)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// catchUp applies what s holds to c. A dropped s is replaced by a resume
// from c's seq (the broker merges its retained deltas, or sends a
// snapshot); with all set, it goes on until c reached the latest seq.
func catchUp(t *testing.T, a *Aggregator, s *Subscription, c *client, all bool) *Subscription {
	t.Helper()
	for {
		for _, m := range drainUntilDropped(t, s) {
			c.apply(t, m)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 0)
		_, err := s.Next(ctx)
		cancel()
		if !errors.Is(err, ErrDropped) && (!all || c.seq == a.Seq()) {
			return s
		}
		s.Close()
		s = a.Subscribe(c.seq)
	}
}

// drainUntilDropped is drain for a client that may have been dropped: it
// takes what there is, and then (on ErrDropped) nothing more.
func drainUntilDropped(t *testing.T, s *Subscription) []Message {
	t.Helper()
	var out []Message
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 0)
		m, err := s.Next(ctx)
		cancel()
		if errors.Is(err, ErrDropped) || errors.Is(err, context.DeadlineExceeded) {
			return out
		}
		require.NoError(t, err)
		out = append(out, m)
	}
}
