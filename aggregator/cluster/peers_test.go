package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPeerTableUpDownAndBack(t *testing.T) {
	tb := newPeerTable()
	t0 := time.Unix(1000, 0)
	hb := heartbeat{Interval: time.Second}

	require.True(t, tb.seen("b", t0, hb), "a new peer is a change")
	ch := tb.take()
	require.Len(t, ch, 1)
	assert.True(t, ch[0].Up)
	assert.True(t, ch[0].MissedSince.IsZero(), "first sight: backfill everything")

	require.False(t, tb.seen("b", t0.Add(time.Second), hb), "a heartbeat of an Up peer changes nothing")
	next := tb.expire(t0.Add(2949 * time.Millisecond))
	assert.Equal(t, t0.Add(2950*time.Millisecond), next, "deadline: two intervals after the last heartbeat, less a twentieth")
	assert.Empty(t, tb.take())

	assert.True(t, tb.expire(t0.Add(2950*time.Millisecond)).IsZero(), "no Up peer left")
	ch = tb.take()
	require.Len(t, ch, 1)
	assert.False(t, ch[0].Up)
	assert.Equal(t, t0.Add(time.Second), ch[0].LastSeen)

	require.True(t, tb.seen("b", t0.Add(10*time.Second), hb))
	ch = tb.take()
	require.Len(t, ch, 1)
	assert.True(t, ch[0].Up)
	assert.Equal(t, t0.Add(time.Second), ch[0].MissedSince, "the gap starts at the last heartbeat before it")
}

func TestPeerTableUsesEachPeersOwnInterval(t *testing.T) {
	tb := newPeerTable()
	t0 := time.Unix(1000, 0)
	tb.seen("fast", t0, heartbeat{Interval: 100 * time.Millisecond})
	tb.seen("slow", t0, heartbeat{Interval: 5 * time.Second})
	tb.take()
	assert.Equal(t, t0.Add(9750*time.Millisecond), tb.expire(t0.Add(200*time.Millisecond)))
	ch := tb.take()
	require.Len(t, ch, 1)
	assert.Equal(t, "fast", ch[0].Name)
	assert.Equal(t, []string{"fast", "slow"}, names(tb.list()))
}

func TestPeerTableLeavingAndAllDown(t *testing.T) {
	tb := newPeerTable()
	t0 := time.Unix(1000, 0)
	tb.seen("b", t0, heartbeat{Interval: time.Second})
	tb.seen("c", t0, heartbeat{Interval: time.Second})
	tb.take()
	require.True(t, tb.seen("b", t0.Add(time.Millisecond), heartbeat{Interval: time.Second, Leaving: true}))
	assert.False(t, tb.take()[0].Up, "a leaving peer is Down at once")
	assert.False(t, tb.seen("b", t0.Add(2*time.Millisecond), heartbeat{Interval: time.Second, Leaving: true}), "twice is no change")
	tb.allDown(t0.Add(time.Second))
	ch := tb.take()
	require.Len(t, ch, 1)
	assert.Equal(t, "c", ch[0].Name)
	for _, p := range tb.list() {
		assert.False(t, p.Up)
	}
}

func TestHeartbeatRoundTripAndBounds(t *testing.T) {
	hb := heartbeat{Interval: 1500 * time.Millisecond, Sent: time.UnixMilli(1_700_000_000_123), Leaving: true}
	got, err := unmarshalHeartbeat(hb.marshal())
	require.NoError(t, err)
	assert.Equal(t, hb.Interval, got.Interval)
	assert.True(t, hb.Sent.Equal(got.Sent))
	assert.True(t, got.Leaving)

	got, err = unmarshalHeartbeat(heartbeat{Interval: 0}.marshal())
	require.NoError(t, err)
	assert.Equal(t, minPeerInterval, got.Interval, "a zero interval would make the peer Down at once")
	got, err = unmarshalHeartbeat(heartbeat{Interval: 24 * time.Hour}.marshal())
	require.NoError(t, err)
	assert.Equal(t, maxPeerInterval, got.Interval)

	for _, bad := range [][]byte{nil, {wireVersion}, {wireVersion, 0}, {wireVersion, 0, 10}, {9, 0, 10, 0}} {
		_, err := unmarshalHeartbeat(bad)
		assert.Error(t, err, "%v", bad)
	}
}

func names(ps []Peer) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}
