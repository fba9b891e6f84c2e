package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeHistory answers backfill from numbered chunks of size bytes each;
// the cursor is the next chunk's number.
type fakeHistory struct {
	chunks, size int
	since        chan time.Time
}

func (h *fakeHistory) answer(_ context.Context, req BackfillRequest) (BackfillReply, error) {
	i := 0
	if len(req.Cursor) > 0 {
		var err error
		if i, err = strconv.Atoi(string(req.Cursor)); err != nil {
			return BackfillReply{}, err
		}
	} else if h.since != nil {
		h.since <- req.Since
	}
	chunk := bytes.Repeat([]byte{byte('a' + i%26)}, min(h.size, req.MaxBytes))
	return BackfillReply{Chunk: chunk, Next: []byte(strconv.Itoa(i + 1)), Done: i+1 == h.chunks}, nil
}

// pair runs a responder node "a" (embedded) and a requester "b" joined to
// a's server.
func pair(t *testing.T, a, b func(*Options)) (*running, *running) {
	t.Helper()
	na, ra := embeddedNode(t, "a", 100*time.Millisecond, a)
	ra2 := serve(t, na, ra)
	client, _ := ra2.EmbeddedURLs()
	nb, rb := clientNode(t, "b", client, b)
	return ra2, serve(t, nb, rb)
}

func TestBackfillIsChunkedInOrder(t *testing.T) {
	h := &fakeHistory{chunks: 5, size: 1000, since: make(chan time.Time, 1)}
	_, b := pair(t, func(o *Options) { o.Backfill = h.answer }, func(o *Options) { o.BackfillChunk = 600 })
	since := time.UnixMilli(1_700_000_000_000)
	var got []string
	total, err := b.Backfill(context.Background(), "a", since, func(c []byte) error {
		got = append(got, fmt.Sprintf("%c%d", c[0], len(c)))
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"a600", "b600", "c600", "d600", "e600"}, got, "chunks bounded by the requester's chunk size")
	assert.EqualValues(t, 3000, total)
	assert.True(t, since.Equal(<-h.since))
}

func TestBackfillBounds(t *testing.T) {
	h := &fakeHistory{chunks: 100, size: 1000}
	_, b := pair(t, func(o *Options) { o.Backfill = h.answer }, func(o *Options) { o.BackfillTotal = 2500 })
	calls := 0
	total, err := b.Backfill(context.Background(), "a", time.Time{}, func([]byte) error { calls++; return nil })
	require.ErrorIs(t, err, ErrBackfillTruncated)
	assert.EqualValues(t, 2000, total)
	assert.Equal(t, 2, calls, "the chunk that would pass the bound is not given")

	stop := errors.New("store full")
	_, err = b.Backfill(context.Background(), "a", time.Time{}, func([]byte) error { return stop })
	require.ErrorIs(t, err, stop)
}

func TestBackfillFailures(t *testing.T) {
	block := make(chan struct{})
	entered := make(chan struct{}, 1)
	a, b := pair(t, func(o *Options) {
		o.MaxResponders = 1
		o.Backfill = func(ctx context.Context, req BackfillRequest) (BackfillReply, error) {
			switch string(req.Cursor) {
			case "":
				return BackfillReply{Next: []byte("x")}, nil // empty and not done: no progress
			case "fail":
				return BackfillReply{}, errors.New("disk on fire, password=hunter2")
			case "huge":
				return BackfillReply{Chunk: make([]byte, req.MaxBytes+1), Done: true}, nil
			}
			entered <- struct{}{}
			<-block
			return BackfillReply{Done: true}, nil
		}
	}, nil)
	each := func([]byte) error { return nil }
	_, err := b.Backfill(context.Background(), "a", time.Time{}, each)
	require.ErrorIs(t, err, ErrCorrupt, "an endless empty backfill is refused")

	_, err = b.Backfill(context.Background(), "nobody", time.Time{}, each)
	require.ErrorIs(t, err, ErrNoResponder)

	for _, cursor := range []string{"fail", "huge"} {
		_, err := backfillFrom(t, b, cursor)
		// The one responder slot is given back just after the answer goes:
		// a request right behind it may find it still taken.
		for errors.Is(err, ErrBusy) {
			_, err = backfillFrom(t, b, cursor)
		}
		require.ErrorIs(t, err, ErrRemote, cursor)
		assert.NotContains(t, err.Error(), "hunter2", "the responder's error stays on the responder")
	}

	// One responder slot: while it is taken, the next request is answered busy.
	go func() {
		// The slot the last answer took may not be given back yet (above).
		_, err := backfillFrom(t, b, "slow")
		for errors.Is(err, ErrBusy) {
			_, err = backfillFrom(t, b, "slow")
		}
	}()
	<-entered
	_, err = backfillFrom(t, b, "slow")
	require.ErrorIs(t, err, ErrBusy)
	close(block)
	assert.Positive(t, a.stats.busy[KindBackfill].Load())

	// No Backfill function: not served.
	_, c := pair(t, nil, nil)
	_, err = c.Backfill(context.Background(), "a", time.Time{}, each)
	require.ErrorIs(t, err, ErrNotServed)
}

// backfillFrom sends one backfill request with the given cursor.
func backfillFrom(t *testing.T, b *running, cursor string) (BackfillReply, error) {
	t.Helper()
	req := appendBytes([]byte{wireVersion}, []byte(b.Name()))
	req = append(req, 0) // since 0
	req = append(req, 0x80, 0x08)
	req = appendBytes(req, []byte(cursor))
	data, err := b.request(context.Background(), "a", KindBackfill, req)
	if err != nil {
		return BackfillReply{}, err
	}
	return parseBackfillReply(data)
}

func TestControlCarriesTheTokenAndTheStatus(t *testing.T) {
	seen := make(chan ControlRequest, 1)
	_, b := pair(t, func(o *Options) {
		o.Control = func(_ context.Context, req ControlRequest) ControlReply {
			seen <- req
			if req.Token != "admin-secret" {
				return ControlReply{Status: 401, Body: []byte("bad token")}
			}
			return ControlReply{Status: 202, Body: []byte("crashing " + string(req.Body))}
		}
	}, nil)
	rep, err := b.Control(context.Background(), "a", ControlRequest{Token: "admin-secret", Body: []byte("cpu")})
	require.NoError(t, err)
	assert.Equal(t, ControlReply{Status: 202, Body: []byte("crashing cpu")}, rep)
	req := <-seen
	assert.Equal(t, "b", req.From)

	rep, err = b.Control(context.Background(), "a", ControlRequest{Token: "wrong"})
	require.NoError(t, err)
	assert.Equal(t, 401, rep.Status)
	<-seen

	_, err = b.Control(context.Background(), "x", ControlRequest{})
	require.ErrorIs(t, err, ErrNoResponder)

	_, c := pair(t, nil, nil)
	rep, err = c.Control(context.Background(), "a", ControlRequest{})
	require.NoError(t, err)
	assert.Equal(t, 501, rep.Status)
}

// TestLateJoinerLearnsTheDictionary joins c after a has announced its
// series to b: c asks a for a key frame and reads a's samples from then on.
func TestLateJoinerLearnsTheDictionary(t *testing.T) {
	a, b := pair(t, nil, nil)
	ts := int64(0)
	publishUntil := func(cond func() bool) {
		require.Eventually(t, func() bool {
			ts += 1000
			a.PublishSamples(scrape(30, ts, func(i int) float64 { return float64(ts/1000+int64(i)) / 10 }))
			return cond()
		}, 10*time.Second, 20*time.Millisecond)
	}
	publishUntil(func() bool { return b.rec.sampleCount("a") > 0 })
	client, _ := a.EmbeddedURLs()
	nc, rc := clientNode(t, "c", client, nil)
	c := serve(t, nc, rc)
	publishUntil(func() bool { return c.rec.sampleCount("a") > 0 })
	assert.Positive(t, c.stats.resyncOut.Load(), "c asked for the dictionary")
	assert.Positive(t, a.stats.resyncIn.Load())
	assert.Zero(t, b.stats.samplesDropped.Load(), "b never missed a thing")
	c.rec.mu.Lock()
	last := c.rec.samples["a"][len(c.rec.samples["a"])-1]
	c.rec.mu.Unlock()
	assert.Equal(t, float64(last.Time/1000+29)/10, last.Value, "values decoded from the key frame and the deltas after it")
}
