package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// BackfillRequest is a peer's request for the history it missed, given to
// Options.Backfill. The answer is produced chunk by chunk: the first
// request has no Cursor; each reply names the Next cursor (opaque bytes of
// the responder's choosing, at most 4 KiB), which the next request brings
// back, so the responder keeps no state between chunks.
type BackfillRequest struct {
	From     string    // the requesting node
	Since    time.Time // history from this instant on (millisecond precision)
	Cursor   []byte
	MaxBytes int // the reply's Chunk must not be longer
}

// BackfillReply is one chunk of history, opaque to this package (the
// aggregator's own encoding).
type BackfillReply struct {
	Chunk []byte
	Next  []byte
	Done  bool // no chunk follows
}

// Backfill errors, beside those of every request (ErrNotConnected,
// ErrNoResponder, ErrBusy, a timeout).
var (
	ErrBackfillTruncated = errors.New("cluster: backfill stopped at its byte bound")
	ErrNotServed         = errors.New("cluster: peer does not serve backfill")
	ErrRemote            = errors.New("cluster: peer failed to answer")
)

// Reply statuses of a backfill exchange.
const (
	backfillMore      = 0
	backfillDone      = 1
	backfillError     = 2
	backfillBusy      = 3
	backfillNotServed = 4
	maxCursor         = 4096
)

// Backfill asks peer for its history since since, chunk by chunk, and
// gives each chunk to each in order, on the calling goroutine; it returns
// the bytes received. It stops with ErrBackfillTruncated before a chunk
// that would take the total past BackfillTotal, with ErrTooLarge on a
// chunk over BackfillChunk, and with each's error if it fails. Each
// exchange is bounded by RequestTimeout; the whole by ctx.
func (n *Node) Backfill(ctx context.Context, peer string, since time.Time, each func(chunk []byte) error) (int64, error) {
	var total int64
	var cursor []byte
	for {
		b := []byte{wireVersion}
		b = appendBytes(b, []byte(n.opts.Node))
		b = binary.AppendVarint(b, since.UnixMilli())
		b = binary.AppendUvarint(b, uint64(n.opts.BackfillChunk))
		b = appendBytes(b, cursor)
		data, err := n.request(ctx, peer, KindBackfill, b)
		if err != nil {
			return total, err
		}
		rep, err := parseBackfillReply(data)
		if err != nil {
			return total, err
		}
		if len(rep.Chunk) > n.opts.BackfillChunk {
			return total, fmt.Errorf("%w: backfill chunk of %d bytes from %s", ErrTooLarge, len(rep.Chunk), peer)
		}
		if total+int64(len(rep.Chunk)) > n.opts.BackfillTotal {
			return total, fmt.Errorf("%w (%d bytes from %s)", ErrBackfillTruncated, total, peer)
		}
		if len(rep.Chunk) == 0 && !rep.Done {
			return total, fmt.Errorf("%w: empty backfill chunk from %s that is not the last", ErrCorrupt, peer)
		}
		total += int64(len(rep.Chunk))
		n.stats.backfillBytes.Add(uint64(len(rep.Chunk)))
		if len(rep.Chunk) > 0 {
			if err := each(rep.Chunk); err != nil {
				return total, err
			}
		}
		if rep.Done {
			return total, nil
		}
		cursor = rep.Next
	}
}

func parseBackfillReply(data []byte) (BackfillReply, error) {
	r := reader{b: data}
	r.version()
	status := r.byte()
	if r.err != nil {
		return BackfillReply{}, r.err
	}
	switch status {
	case backfillMore, backfillDone:
	case backfillBusy:
		return BackfillReply{}, ErrBusy
	case backfillNotServed:
		return BackfillReply{}, ErrNotServed
	case backfillError:
		return BackfillReply{}, ErrRemote
	default:
		return BackfillReply{}, fmt.Errorf("%w: backfill status %d", ErrCorrupt, status)
	}
	next := r.readBytes(maxCursor)
	if r.err != nil {
		return BackfillReply{}, r.err
	}
	return BackfillReply{Chunk: r.b, Next: next, Done: status == backfillDone}, nil
}

func (n *Node) answerBackfill(ctx context.Context, m *nats.Msg) []byte {
	n.stats.inMsgs[KindBackfill].Add(1)
	r := reader{b: m.Data}
	r.version()
	from := r.readBytes(64)
	since := int64(0)
	if r.err == nil {
		s, k := binary.Varint(r.b)
		if k <= 0 {
			r.fail("since")
		} else {
			since, r.b = s, r.b[k:]
		}
	}
	maxBytes := r.uvarint()
	cursor := r.readBytes(maxCursor)
	if r.err == nil && len(r.b) != 0 {
		r.fail("trailing bytes")
	}
	if r.err != nil {
		n.stats.decodeErrors.Add(1)
		return []byte{wireVersion, backfillError}
	}
	if n.opts.Backfill == nil {
		return []byte{wireVersion, backfillNotServed}
	}
	req := BackfillRequest{From: string(from), Since: time.UnixMilli(since), Cursor: cursor,
		MaxBytes: int(min(maxBytes, uint64(n.opts.BackfillChunk)))}
	rep, err := n.opts.Backfill(ctx, req)
	switch {
	case err != nil:
		n.opts.Logger.Warn("cluster: backfill answer failed", "node", n.opts.Node, "peer", req.From, "err", n.redactErr(err))
		return []byte{wireVersion, backfillError}
	case len(rep.Chunk) > req.MaxBytes || len(rep.Next) > maxCursor:
		n.opts.Logger.Error("cluster: backfill answer over its bounds", "node", n.opts.Node,
			"chunk", len(rep.Chunk), "max", req.MaxBytes, "cursor", len(rep.Next))
		return []byte{wireVersion, backfillError}
	}
	status := byte(backfillMore)
	if rep.Done {
		status = backfillDone
	}
	b := appendBytes([]byte{wireVersion, status}, rep.Next)
	return append(b, rep.Chunk...)
}
