package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/cluster"
	"github.com/pulseboard/pulseboard/configs"
)

func TestChunkRoundTrip(t *testing.T) {
	in := []cluster.Sample{
		{Series: demoID("a"), Time: 1000, Value: 1.5},
		{Series: demoID("b"), Time: 1000, Value: -3},
		{Series: demoID("a"), Time: 2000, Value: 1.75},
	}
	chunk, err := encodeChunk(in)
	require.NoError(t, err)
	require.Equal(t, byte(chunkVersion), chunk[0])
	out, err := decodeChunk(chunk)
	require.NoError(t, err)
	require.ElementsMatch(t, in, out)

	empty, err := encodeChunk(nil)
	require.NoError(t, err)
	require.Empty(t, empty)
}

func TestChunkMalformed(t *testing.T) {
	enc := cluster.NewEncoder(1, 1<<20)
	enc.Encode([]cluster.Sample{{Series: demoID("a"), Time: 1, Value: 1}})
	msgs, _ := enc.Encode([]cluster.Sample{{Series: demoID("a"), Time: 2, Value: 2}}) // announces nothing
	good, err := encodeChunk([]cluster.Sample{{Series: demoID("a"), Time: 1, Value: 1}})
	require.NoError(t, err)
	for name, chunk := range map[string][]byte{
		"empty":            nil,
		"version only":     {chunkVersion},
		"other version":    append([]byte{2}, good[1:]...),
		"cut":              good[:len(good)-1],
		"garbage":          {chunkVersion, 0xff, 0xff, 0xff},
		"not a key frame":  append([]byte{chunkVersion}, msgs[0]...),
		"trailing garbage": append(append([]byte{}, good...), 0x7f, 0x7f),
	} {
		_, err := decodeChunk(chunk)
		require.ErrorIs(t, err, errBackfillChunk, name)
	}
}

func TestBackfillCursor(t *testing.T) {
	for _, c := range []aggregator.RawCursor{{}, {Key: 1 << 63, AfterMs: -5}, {Key: 42, AfterMs: 1_700_000_000_000}} {
		got, err := parseBackfillCursor(appendBackfillCursor(nil, c))
		require.NoError(t, err)
		require.Equal(t, c, got)
	}
	got, err := parseBackfillCursor(nil)
	require.NoError(t, err)
	require.Equal(t, aggregator.RawCursor{}, got, "empty: the start")
	good := appendBackfillCursor(nil, aggregator.RawCursor{Key: 300, AfterMs: 7})
	for name, b := range map[string][]byte{
		"version":  append([]byte{9}, good[1:]...),
		"no key":   {cursorVersion},
		"cut key":  {cursorVersion, 0x80},
		"no time":  good[:3],
		"trailing": append(append([]byte{}, good...), 0),
	} {
		_, err := parseBackfillCursor(b)
		require.ErrorIs(t, err, errBackfillChunk, name)
	}
}

// The responder's chunks keep to the requested size, and read one after
// another from the cursors they return they give every point of this
// node's own series since the instant once, and none of the remote ones.
func TestAnswerBackfillChunks(t *testing.T) {
	agg := aggregator.New(aggregator.Options{})
	cfg := &configs.Cluster{Name: "lab", Node: "a", Embedded: &configs.ClusterEmbedded{Listen: "127.0.0.1:0", ClusterListen: "127.0.0.1:0"}}
	link, err := newClusterLink(cfg, agg, 1000, discardLog())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- agg.Serve(ctx) }()
	defer func() { cancel(); require.NoError(t, <-served) }()

	now := time.Now().Add(-time.Minute).UnixMilli()
	const n = 600
	for i := range n {
		ts := now + int64(i)*100
		require.True(t, agg.Push(ctx, aggregator.Batch{Source: "demo", Samples: []aggregator.Sample{
			{Metric: "x", TimeMs: ts, Value: float64(i) * 0.5},
			{Metric: "y", Labels: aggregator.Labels{{Name: "k", Value: "v"}}, Kind: aggregator.KindCounter, TimeMs: ts, Value: float64(i)},
		}}))
		require.True(t, agg.Push(ctx, aggregator.Batch{Source: "b/demo", Samples: []aggregator.Sample{{Metric: "z", TimeMs: ts, Value: 1}}}))
	}
	require.Eventually(t, func() bool {
		c := 0
		agg.WalkRaw(0, aggregator.RawCursor{}, 1<<20, nil, func(_ aggregator.RawSeries, p []aggregator.RawPoint) { c += len(p) })
		return c == 3*n
	}, waitLong, 5*time.Millisecond)

	since := time.UnixMilli(now + 100*100)
	req := cluster.BackfillRequest{From: "c", Since: since, MaxBytes: 512}
	got := map[string][]int64{}
	chunks := 0
	for {
		rep, err := link.answerBackfill(ctx, req)
		require.NoError(t, err)
		require.LessOrEqual(t, len(rep.Chunk), req.MaxBytes)
		if len(rep.Chunk) > 0 {
			chunks++
			samples, err := decodeChunk(rep.Chunk)
			require.NoError(t, err)
			for _, s := range samples {
				rs, err := parseIdentity("a", s.Series)
				require.NoError(t, err)
				got[rs.metric] = append(got[rs.metric], s.Time)
			}
		}
		if rep.Done {
			break
		}
		require.NotEmpty(t, rep.Chunk, "a chunk that is not the last holds something")
		req.Cursor = rep.Next
	}
	require.Greater(t, chunks, 3, "512 bytes cannot hold it all")
	want := span(now+100*100, now+(n-1)*100, 100)
	require.Equal(t, map[string][]int64{"x": want, "y": want}, got, "every point once, in order, the remote z left out")

	_, err = link.answerBackfill(ctx, cluster.BackfillRequest{Cursor: []byte{9}, MaxBytes: 512})
	require.ErrorIs(t, err, errBackfillChunk)
}
