package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/cluster"
)

// What a backfill chunk and its cursor are (docs/cluster.md, "Backfill
// chunk"). The cluster package carries both as opaque bytes.
//
// A chunk is one byte of version, then one sample batch as the samples
// subject carries it, written by a new encoder: a key frame, every series
// announced with the identity live samples have (cluster_series.go), so a
// chunk is read alone, by a new decoder. A cursor is one byte of version,
// then the aggregator's RawCursor: uvarint series key, varint time (ms).

const (
	chunkVersion  = 1
	cursorVersion = 1
	// pointGuess is a first guess of the bytes a point takes in a chunk;
	// the responder shrinks its budget when the guess was short.
	pointGuess = 4
	// encodeTries bounds how often the responder encodes one chunk.
	encodeTries = 4
)

// errBackfillChunk is a backfill chunk or cursor this node cannot read.
var errBackfillChunk = errors.New("cluster: malformed backfill chunk")

// answerBackfill is the node's Options.Backfill: a chunk of the raw
// points this node's own sources (never the remote ones it holds) have
// since req.Since, in memory and, with storage and a Since older than the
// history, in the stored raw tier (aggregator.WalkRaw), at most
// req.MaxBytes long, and the cursor after it. The cursor is the same for
// both: a series' stored points come before its memory's, all in time
// order, so (series, time) resumes in either. Called on a responder
// goroutine; it holds the aggregator's read lock while it copies at most
// MaxBytes/pointGuess points, and reads the stored blocks outside it.
func (l *clusterLink) answerBackfill(_ context.Context, req cluster.BackfillRequest) (cluster.BackfillReply, error) {
	from, err := parseBackfillCursor(req.Cursor)
	if err != nil {
		return cluster.BackfillReply{}, err
	}
	local := func(src string) bool { return !isRemoteSource(src) }
	budget := max(req.MaxBytes/pointGuess, 1)
	for range encodeTries {
		var samples []cluster.Sample
		next, done := l.agg.WalkRaw(req.Since.UnixMilli(), from, budget, local, func(s aggregator.RawSeries, pts []aggregator.RawPoint) {
			id := string(appendIdentity(nil, s.Source, &aggregator.Sample{Metric: s.Metric, Labels: s.Labels, Kind: s.Kind}))
			for _, p := range pts {
				samples = append(samples, cluster.Sample{Series: id, Time: p.TimeMs, Value: p.Value})
			}
		})
		chunk, err := encodeChunk(samples)
		if err != nil {
			return cluster.BackfillReply{}, err
		}
		if len(chunk) <= req.MaxBytes {
			return cluster.BackfillReply{Chunk: chunk, Next: appendBackfillCursor(nil, next), Done: done}, nil
		}
		if budget == 1 {
			break
		}
		budget = max(1, budget*req.MaxBytes/len(chunk)*9/10)
	}
	return cluster.BackfillReply{}, fmt.Errorf("backfill: no chunk fits in %d bytes", req.MaxBytes)
}

// encodeChunk writes samples as one chunk; none is the empty chunk.
func encodeChunk(samples []cluster.Sample) ([]byte, error) {
	if len(samples) == 0 {
		return nil, nil
	}
	// One message, however long: the caller checks the length.
	msgs, skipped := cluster.NewEncoder(0, 1<<30).Encode(samples)
	if skipped > 0 || len(msgs) != 1 {
		return nil, fmt.Errorf("backfill: %d series identities too long", skipped)
	}
	return append([]byte{chunkVersion}, msgs[0]...), nil
}

// decodeChunk reads a chunk's samples, series by series in time order.
// Any fault refuses the whole chunk: a sample it cannot place (an unknown
// id, a delta without base) means the chunk is not what a responder
// writes. Work and memory are linear in the chunk (the decoder's bound).
func decodeChunk(chunk []byte) ([]cluster.Sample, error) {
	if len(chunk) < 2 || chunk[0] != chunkVersion {
		return nil, fmt.Errorf("%w: version or length", errBackfillChunk)
	}
	samples, res, err := cluster.NewDecoder().Decode(chunk[1:], nil)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %w", errBackfillChunk, err)
	case res.Dropped > 0:
		return nil, fmt.Errorf("%w: %d samples of unknown series", errBackfillChunk, res.Dropped)
	}
	return samples, nil
}

func appendBackfillCursor(dst []byte, c aggregator.RawCursor) []byte {
	dst = append(dst, cursorVersion)
	dst = binary.AppendUvarint(dst, c.Key)
	return binary.AppendVarint(dst, c.AfterMs)
}

// parseBackfillCursor reads a peer's cursor; empty is the start.
func parseBackfillCursor(b []byte) (aggregator.RawCursor, error) {
	if len(b) == 0 {
		return aggregator.RawCursor{}, nil
	}
	if b[0] != cursorVersion {
		return aggregator.RawCursor{}, fmt.Errorf("%w: cursor version %d", errBackfillChunk, b[0])
	}
	key, n := binary.Uvarint(b[1:])
	if n <= 0 {
		return aggregator.RawCursor{}, fmt.Errorf("%w: cursor key", errBackfillChunk)
	}
	after, m := binary.Varint(b[1+n:])
	if m <= 0 || 1+n+m != len(b) {
		return aggregator.RawCursor{}, fmt.Errorf("%w: cursor time", errBackfillChunk)
	}
	return aggregator.RawCursor{Key: key, AfterMs: after}, nil
}
