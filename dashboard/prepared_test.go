package dashboard

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/stretchr/testify/require"
)

// One message, one prepared frame: every client asking for the same bytes
// gets the same PreparedMessage (so a compressed frame is built once);
// equal bytes elsewhere are another message; an evicted one is prepared
// again.
func TestPreparedCacheSharesFrames(t *testing.T) {
	var pc preparedCache
	msg := []byte(`{"type":"delta","seq":1}`)
	a, err := pc.get(msg)
	require.NoError(t, err)
	b, err := pc.get(msg)
	require.NoError(t, err)
	require.Same(t, a, b)
	c, err := pc.get(append([]byte(nil), msg...))
	require.NoError(t, err)
	require.NotSame(t, a, c, "another slice is another message")
	for range preparedSlots {
		_, err := pc.get([]byte("x"))
		require.NoError(t, err)
	}
	d, err := pc.get(msg)
	require.NoError(t, err)
	require.NotSame(t, a, d, "evicted, prepared again")
}

// TestPreparedCacheMakesFramesOutsideTheLock: making a frame copies the
// message (a snapshot is hundreds of KB), so it must not hold up the
// writers that only look a frame up. The hook runs where the frame is
// made: the lock is free there. A frame made twice by two writers that
// missed at once is kept once: the first in is what everyone gets.
func TestPreparedCacheMakesFramesOutsideTheLock(t *testing.T) {
	var pc preparedCache
	msg := []byte(`{"type":"snapshot","seq":1}`)
	var early *websocket.PreparedMessage
	pc.prepare = func(mt int, data []byte) (*websocket.PreparedMessage, error) {
		require.True(t, pc.mu.TryLock(), "the cache's lock is free while a frame is made")
		pc.mu.Unlock()
		if early == nil {
			// Another writer, missing the same message meanwhile, makes
			// and keeps it first.
			pc.prepare = websocket.NewPreparedMessage
			var err error
			early, err = pc.get(data)
			require.NoError(t, err)
		}
		return websocket.NewPreparedMessage(mt, data)
	}
	got, err := pc.get(msg)
	require.NoError(t, err)
	require.Same(t, early, got, "the frame kept first")
	again, err := pc.get(msg)
	require.NoError(t, err)
	require.Same(t, early, again)
}

// A client that offers permessage-deflate gets it, and reads the very
// messages a client without it reads.
func TestStreamCompressed(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.pushAndWait(3, 1)

	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, EnableCompression: true}
	conn, resp, err := d.Dial(f.ws, http.Header{})
	require.NoError(t, err)
	resp.Body.Close()
	t.Cleanup(func() { conn.Close() })
	require.True(t, strings.HasPrefix(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate"),
		"extensions %q", resp.Header.Get("Sec-WebSocket-Extensions"))
	zipped := &wsClient{t: t, conn: conn}
	plain := f.dial("", nil)

	require.Equal(t, plain.readType("hello").raw, zipped.readType("hello").raw)
	ps, zs := plain.readType("snapshot"), zipped.readType("snapshot")
	require.Equal(t, ps.Seq, zs.Seq)
	require.Equal(t, ps.raw, zs.raw, "the shared snapshot")
	last := f.pushAndWait(3, 2)
	pd, zd := plain.readUntilSeq(ps.Seq, last), zipped.readUntilSeq(zs.Seq, last)
	require.Equal(t, len(pd), len(zd))
	for i := range pd {
		require.Equal(t, pd[i].raw, zd[i].raw)
	}
}

// TestPreparedCacheBoundedByBytes: the slots keep at most the budget of
// message bytes, or the newest message alone when it is larger; the
// oldest go first.
func TestPreparedCacheBoundedByBytes(t *testing.T) {
	pc := preparedCache{budget: 100}
	kept := func() (n, bytes int) {
		for _, e := range pc.slots {
			if e != nil {
				n++
				bytes += len(e.data)
			}
		}
		require.Equal(t, bytes, pc.bytes, "the count matches the slots")
		return n, bytes
	}
	get := func(size int) []byte {
		msg := []byte(strings.Repeat("x", size))
		_, err := pc.get(msg)
		require.NoError(t, err)
		return msg
	}
	first := get(40)
	get(40)
	n, b := kept()
	require.Equal(t, 2, n)
	require.Equal(t, 80, b)
	get(40)
	n, b = kept()
	require.Equal(t, 2, n, "the oldest went")
	require.Equal(t, 80, b)
	require.Nil(t, pc.find(first))

	big := get(500)
	n, b = kept()
	require.Equal(t, 1, n, "a message past the budget is kept alone")
	require.Equal(t, 500, b)
	require.NotNil(t, pc.find(big))
	get(10)
	n, b = kept()
	require.Equal(t, 1, n, "and goes at the next")
	require.Equal(t, 10, b)

	pc.release()
	n, _ = kept()
	require.Zero(t, n)
}

// Entries more than preparedMaxAge older than the newest go when the next
// is made: at a delta a second a caught-up client needs the newest only.
func TestPreparedCacheBoundedByAge(t *testing.T) {
	clock := time.Unix(1000, 0)
	pc := preparedCache{now: func() time.Time { return clock }}
	var msgs [][]byte
	for i := range 5 {
		msg := []byte(fmt.Sprintf("message %d", i))
		_, err := pc.get(msg)
		require.NoError(t, err)
		msgs = append(msgs, msg)
		clock = clock.Add(time.Second)
	}
	for i, msg := range msgs {
		// The newest is at 1004 s: those made at 1002 s and after stay.
		require.Equal(t, i >= 2, pc.find(msg) != nil, "message %d", i)
	}
	require.Equal(t, len(msgs[2])+len(msgs[3])+len(msgs[4]), pc.bytes)

	// Ten a second (the default broadcast interval, busy sources): all
	// sixteen slots stay, as before.
	for i := range 20 {
		_, err := pc.get([]byte(fmt.Sprintf("fast %d", i)))
		require.NoError(t, err)
		clock = clock.Add(100 * time.Millisecond)
	}
	n := 0
	for _, e := range pc.slots {
		if e != nil {
			n++
		}
	}
	require.Equal(t, preparedSlots, n)
}

// A client that did not offer permessage-deflate is written each message
// as it is: nothing goes through the shared prepared frames, whose copy
// of the message and frame grown by doubling were half of what the server
// allocated beside a wide target. One that offered it gets the shared,
// compressed frames.
func TestPlainClientsWriteWithoutPreparedFrames(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.srv.mu.Lock()
	h := f.srv.hub
	f.srv.mu.Unlock()
	prepared := func() bool {
		h.prepared.mu.Lock()
		defer h.prepared.mu.Unlock()
		return h.prepared.slots != [preparedSlots]*preparedEntry{} || h.prepared.latest.Load() != nil
	}
	f.pushAndWait(3, 1)
	plain := f.dial("", nil)
	plain.readType("hello")
	ps := plain.readType("snapshot")
	last := f.pushAndWait(3, 2)
	require.NotEmpty(t, plain.readUntilSeq(ps.Seq, last))
	require.False(t, prepared(), "a plain client's messages prepared")

	zipped := f.dialCompressed("")
	zipped.readType("hello")
	zs := zipped.readType("snapshot")
	last = f.pushAndWait(3, 3)
	require.NotEmpty(t, zipped.readUntilSeq(zs.Seq, last))
	require.True(t, prepared(), "a compressing client's messages not prepared")
}

// A message too long for one write goes to the clients without
// permessage-deflate as its own frame only while they are few enough that
// a second write each costs less than preparing it once.
func TestDirectOnlyForFewClientsOrOneWrite(t *testing.T) {
	var h hub
	require.True(t, h.direct(directOneWrite), "one write, whatever the clients")
	h.plain.Store(10_000)
	require.True(t, h.direct(directOneWrite))
	require.False(t, h.direct(6_000), "a delta of 6 KB to 10,000 clients: prepared once")
	require.True(t, h.direct(10_000*directBytesPerClient))
	h.plain.Store(5)
	require.True(t, h.direct(200_000), "a wide delta to five clients: written as it is")
	require.True(t, h.direct(5*directBytesPerClient))
	require.False(t, h.direct(5*directBytesPerClient-1), "past one write and short of a kilobyte a client")
}
