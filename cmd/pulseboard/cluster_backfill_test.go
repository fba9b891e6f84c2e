package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/cluster"
	"github.com/pulseboard/pulseboard/configs"
)

// backfillBench is a link whose backfills run against a fake fetch, in a
// synctest bubble: the aggregator serves, the node does not.
type backfillBench struct {
	link  *clusterLink
	agg   *aggregator.Aggregator
	fetch func(ctx context.Context, peer string, since time.Time, each func([]byte) error) (int64, error)
}

func newBackfillBench(t *testing.T, set backfillSettings) *backfillBench {
	agg := aggregator.New(aggregator.Options{BroadcastInterval: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	cfg := &configs.Cluster{Name: "lab", Node: "a", Export: configs.ExportOwn,
		Embedded: &configs.ClusterEmbedded{Listen: "127.0.0.1:0", ClusterListen: "127.0.0.1:0"}}
	link, err := newClusterLink(cfg, agg, 1000, discardLog())
	require.NoError(t, err)
	bb := &backfillBench{link: link, agg: agg}
	link.bf.set = set
	link.bf.fetch = func(ctx context.Context, peer string, since time.Time, each func([]byte) error) (int64, error) {
		return bb.fetch(ctx, peer, since, each)
	}
	aggDone, linkDone := make(chan error, 1), make(chan error, 1)
	go func() { aggDone <- agg.Serve(ctx) }()
	go func() {
		linkDone <- link.bf.serve(ctx, func(ctx context.Context) error { <-ctx.Done(); return nil })
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-linkDone)
		require.NoError(t, <-aggDone)
	})
	synctest.Wait()
	return bb
}

// seen records, under a lock, what a fake fetch saw on a backfill
// goroutine, for the test's goroutine to read.
type seen[T any] struct {
	mu sync.Mutex
	v  []T
}

func (s *seen[T]) add(v T) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v = append(s.v, v)
	return len(s.v)
}

func (s *seen[T]) all() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]T(nil), s.v...)
}

var testSettings = backfillSettings{holdFor: 2 * time.Second, maxHeld: 100, retryMin: 100 * time.Millisecond, retryMax: 400 * time.Millisecond}

func demoID(metric string) string {
	return string(appendIdentity(nil, "demo", &aggregator.Sample{Metric: metric}))
}

// points are the times of the aggregator's points of b's demo metric m.
func (bb *backfillBench) points(peer string) []int64 {
	var out []int64
	bb.agg.WalkRaw(0, aggregator.RawCursor{}, 1<<20, func(s string) bool { return s == peer+"/demo" },
		func(_ aggregator.RawSeries, pts []aggregator.RawPoint) {
			for _, p := range pts {
				out = append(out, p.TimeMs)
			}
		})
	return out
}

func (bb *backfillBench) live(peer string, times ...int64) {
	var s []cluster.Sample
	for _, t := range times {
		s = append(s, cluster.Sample{Series: demoID("m"), Time: t, Value: 1})
	}
	bb.link.ingest(cluster.Inbound{Node: peer, Kind: cluster.KindSamples, Samples: s})
}

func chunkOf(t *testing.T, from, to, step int64) []byte {
	var s []cluster.Sample
	for ts := from; ts <= to; ts += step {
		s = append(s, cluster.Sample{Series: demoID("m"), Time: ts, Value: float64(ts % 7)})
	}
	c, err := encodeChunk(s)
	require.NoError(t, err)
	return c
}

func span(from, to, step int64) []int64 {
	var out []int64
	for ts := from; ts <= to; ts += step {
		out = append(out, ts)
	}
	return out
}

func (bb *backfillBench) fate(f string) float64 {
	return testutil.ToFloat64(bb.link.bf.metrics.samples.WithLabelValues(f))
}

func (bb *backfillBench) result(r string) float64 {
	return testutil.ToFloat64(bb.link.bf.metrics.results.WithLabelValues(r))
}

// Live samples of a peer not yet backfilled are held; the backfill comes
// first, the part of it the live samples cover is left out, and the held
// samples follow: one series without a gap or a refusal.
func TestBackfillMergesWithHeldLiveSamples(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bb := newBackfillBench(t, testSettings)
		now := time.Now().UnixMilli()
		var asked seen[time.Time]
		bb.fetch = func(_ context.Context, peer string, since time.Time, each func([]byte) error) (int64, error) {
			asked.add(since)
			return 0, each(chunkOf(t, now-3000, now+100, 100))
		}
		bb.live("b", now, now+100)
		synctest.Wait()
		require.Empty(t, bb.points("b"), "held until b is Up and backfilled")

		bb.link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "b", Up: true}})
		synctest.Wait()
		require.Equal(t, span(now-3000, now+100, 100), bb.points("b"))
		require.Equal(t, []time.Time{time.UnixMilli(now).Add(-bb.agg.History())}, asked.all(), "a peer never seen: from the history's horizon")
		require.Equal(t, 2.0, bb.fate("overlap"), "the live samples cover the chunk's last two")
		require.Equal(t, 30.0, bb.fate("stored"))
		require.Equal(t, 1.0, bb.result("done"))

		bb.live("b", now+200)
		synctest.Wait()
		require.Equal(t, span(now-3000, now+200, 100), bb.points("b"), "live from then on")

		// Down, then Up again: asked from when it was last seen.
		bb.link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "b", Up: false}})
		missed := time.UnixMilli(now + 200)
		bb.fetch = func(_ context.Context, _ string, since time.Time, each func([]byte) error) (int64, error) {
			asked.add(since)
			return 0, each(chunkOf(t, now+100, now+500, 100)) // resent from before: left out
		}
		bb.live("b", now+600)
		bb.link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "b", Up: true}, MissedSince: missed})
		synctest.Wait()
		require.Equal(t, missed, asked.all()[1])
		require.Equal(t, span(now-3000, now+600, 100), bb.points("b"))
	})
}

// Live batches of a peer that cannot be decoded (delta-coded against a
// key frame this node never saw, as after a rejoin) lose their samples to
// the live stream: the backfill is asked again once the stream carries
// samples again, so that the gap between the first answer and the first
// sample held is filled. The same when it happens to a peer already live.
func TestBackfillCoversLiveSamplesThatCouldNotBeDecoded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bb := newBackfillBench(t, testSettings)
		now := time.Now().UnixMilli()
		var asked seen[time.Time]
		stored := now // what b's own store holds, up to
		// The first answer is read only once the undecodable batch came:
		// had the backfill ended first, b would be live already (the case
		// at the end of this test).
		answer := make(chan struct{})
		bb.fetch = func(_ context.Context, peer string, since time.Time, each func([]byte) error) (int64, error) {
			asked.add(since)
			<-answer
			return 0, each(chunkOf(t, now-1000, stored, 100))
		}
		undecodable := func() {
			bb.link.ingest(cluster.Inbound{Node: "b", Kind: cluster.KindSamples, Undecodable: 3})
		}
		bb.link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "b", Up: true}})
		undecodable() // b's sample at now+100, sent after its answer was read
		close(answer)
		synctest.Wait()
		require.Equal(t, span(now-1000, now, 100), bb.points("b"), "the first answer is stored")
		require.Len(t, asked.all(), 1, "asked again only once the stream carries samples again")

		stored = now + 200
		bb.live("b", now+200) // the key frame: decodable again
		synctest.Wait()
		require.Len(t, asked.all(), 2)
		require.Equal(t, time.UnixMilli(now), asked.all()[1], "from the newest point backfilled")
		require.Equal(t, span(now-1000, now+200, 100), bb.points("b"), "the sample lost to the live stream is backfilled")

		// Live already: a batch lost on the way starts a backfill at once.
		// Its answer, read while the stream is silent, may miss what b
		// sends meanwhile, so it is asked again once a live sample is held.
		// (The fetch reads stored on the backfill goroutine: it changes
		// only while that goroutine waits, after synctest.Wait.)
		stored = now + 300
		undecodable() // b's sample at now+300
		synctest.Wait()
		require.Len(t, asked.all(), 3, "asked at once")
		require.Equal(t, time.UnixMilli(now+200), asked.all()[2], "from the newest point held of b")
		require.Equal(t, span(now-1000, now+300, 100), bb.points("b"), "the lost sample backfilled")
		stored = now + 400
		bb.live("b", now+400)
		synctest.Wait()
		require.Len(t, asked.all(), 4, "asked again once the stream carries samples again")
		require.Equal(t, time.UnixMilli(now+300), asked.all()[3], "from the newest point backfilled")
		require.Equal(t, span(now-1000, now+400, 100), bb.points("b"))
		bb.live("b", now+500)
		synctest.Wait()
		require.Equal(t, span(now-1000, now+500, 100), bb.points("b"), "live again after")
	})
}

// A busy or failing peer is asked again with backoff while its live
// samples wait; the dispatcher never waits for it.
func TestBackfillRetriesABusyPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bb := newBackfillBench(t, testSettings)
		now := time.Now().UnixMilli()
		var attempts seen[time.Time]
		bb.fetch = func(_ context.Context, _ string, _ time.Time, each func([]byte) error) (int64, error) {
			switch attempts.add(time.Now()) {
			case 1:
				return 0, cluster.ErrBusy
			case 2:
				return 0, fmt.Errorf("request: %w", context.DeadlineExceeded)
			}
			return 0, each(chunkOf(t, now-1000, now-100, 100))
		}
		bb.link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "b", Up: true}})
		bb.live("b", now) // returns at once: held
		synctest.Wait()
		require.Len(t, attempts.all(), 1)
		require.Empty(t, bb.points("b"))

		time.Sleep(testSettings.retryMin + 2*testSettings.retryMin)
		synctest.Wait()
		at := attempts.all()
		require.Len(t, at, 3)
		require.Equal(t, 2*testSettings.retryMin, at[2].Sub(at[1]), "the backoff doubles")
		require.Equal(t, span(now-1000, now, 100), bb.points("b"))
		require.Equal(t, 2.0, testutil.ToFloat64(bb.link.bf.metrics.retries))
		require.Equal(t, 1.0, bb.result("done"))
	})
}

// A peer that never answers is given up when the hold runs out: the held
// samples are stored then, and another peer's samples never waited.
func TestBackfillGivesUpOnASilentPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bb := newBackfillBench(t, testSettings)
		now := time.Now().UnixMilli()
		bb.fetch = func(ctx context.Context, peer string, _ time.Time, each func([]byte) error) (int64, error) {
			if peer == "c" {
				return 0, nil
			}
			<-ctx.Done()
			return 0, ctx.Err()
		}
		bb.link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "b", Up: true}})
		bb.link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "c", Up: true}})
		bb.live("b", now)
		bb.live("c", now)
		synctest.Wait()
		require.Equal(t, []int64{now}, bb.points("c"), "c is not held by b")
		require.Empty(t, bb.points("b"))

		time.Sleep(testSettings.holdFor)
		synctest.Wait()
		require.Equal(t, []int64{now}, bb.points("b"), "stored when the hold ran out")
		require.Equal(t, 1.0, bb.result("gave_up"))
	})
}

// A chunk that cannot be read ends the backfill at once (asking again
// would get the same), counted; the held samples are stored.
func TestBackfillRefusesGarbage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bb := newBackfillBench(t, testSettings)
		now := time.Now().UnixMilli()
		var calls seen[bool]
		bb.fetch = func(_ context.Context, _ string, _ time.Time, each func([]byte) error) (int64, error) {
			calls.add(true)
			return 0, each([]byte{chunkVersion, 1, 2, 3})
		}
		bb.live("b", now)
		bb.link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "b", Up: true}})
		synctest.Wait()
		require.Len(t, calls.all(), 1)
		require.Equal(t, 1.0, bb.result("refused"))
		require.Equal(t, []int64{now}, bb.points("b"))
	})
}

// Held samples are bounded: past maxHeld they are stored before the
// backfill ends (counted), whose older points are then refused by the
// aggregator; a Down cancels a backfill and keeps holding until the next.
func TestBackfillHoldBoundAndDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		set := testSettings
		set.maxHeld = 2
		bb := newBackfillBench(t, set)
		now := time.Now().UnixMilli()
		bb.fetch = func(ctx context.Context, _ string, _ time.Time, _ func([]byte) error) (int64, error) {
			<-ctx.Done()
			return 0, ctx.Err()
		}
		bb.link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "b", Up: true}})
		bb.live("b", now, now+100)
		synctest.Wait()
		require.Empty(t, bb.points("b"))
		bb.live("b", now+200)
		synctest.Wait()
		require.Equal(t, []int64{now, now + 100, now + 200}, bb.points("b"), "over the bound: stored at once")
		require.Equal(t, 1.0, testutil.ToFloat64(bb.link.bf.metrics.overflow))

		bb.link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "b", Up: false}})
		synctest.Wait()
		require.Equal(t, 1.0, bb.result("cancelled"))
		bb.live("b", now+300)
		synctest.Wait()
		require.Len(t, bb.points("b"), 3, "held again while b is down")

		bb.fetch = func(context.Context, string, time.Time, func([]byte) error) (int64, error) { return 0, nil }
		bb.link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: "b", Up: true}, MissedSince: time.UnixMilli(now + 200)})
		synctest.Wait()
		require.Len(t, bb.points("b"), 4, "released after the next backfill")
	})
}

// Samples of a peer that never says it is Up are not held forever: the
// first to come after the hold ran out releases them all.
func TestBackfillHoldOfAPeerNeverUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bb := newBackfillBench(t, testSettings)
		now := time.Now().UnixMilli()
		bb.live("b", now)
		synctest.Wait()
		require.Empty(t, bb.points("b"))
		time.Sleep(testSettings.holdFor + time.Millisecond)
		bb.live("b", now+100)
		synctest.Wait()
		require.Equal(t, []int64{now, now + 100}, bb.points("b"))
	})
}

func TestBackfillResultOfNotServedAndTruncated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bb := newBackfillBench(t, testSettings)
		for peer, err := range map[string]error{"b": cluster.ErrNotServed, "c": fmt.Errorf("x: %w", cluster.ErrBackfillTruncated), "d": errors.New("other")} {
			bb.fetch = func(context.Context, string, time.Time, func([]byte) error) (int64, error) { return 0, err }
			bb.link.peerChanged(cluster.PeerChange{Peer: cluster.Peer{Name: peer, Up: true}})
			synctest.Wait()
		}
		require.Equal(t, 1.0, bb.result("not_served"))
		require.Equal(t, 1.0, bb.result("truncated"))
		require.Equal(t, 0.0, bb.result("gave_up"), "d is still being retried")
	})
}
