package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
)

// respond answers a request on a responder goroutine when a slot is free,
// else at once with busy; the slots bound the goroutines and the memory
// that peers' requests can take.
func (n *Node) respond(ctx context.Context, resp *responders, m *nats.Msg, k Kind, answer func(context.Context, *nats.Msg) []byte) {
	if m.Reply == "" || n.aside.Load() {
		return // the node of this name that came first answers
	}
	select {
	case n.sem <- struct{}{}:
	default:
		n.stats.busy[k].Add(1)
		_ = m.Respond(busyReply(k))
		return
	}
	started := resp.start(func() {
		defer func() { <-n.sem }()
		rctx, cancel := context.WithTimeout(ctx, n.opts.RequestTimeout)
		defer cancel()
		_ = m.Respond(answer(rctx, m))
	})
	if !started {
		<-n.sem // Serve is ending: the requester times out or retries elsewhere
	}
}

// responders tracks the responder goroutines of one Serve. A NATS
// callback may still run while Serve tears down, so starting one and
// closing are serialised: after close, nothing starts and close has waited
// for everything started before.
type responders struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// start runs f on a new goroutine unless the responders are closed; it
// reports whether it did.
func (r *responders) start(f func()) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.wg.Go(f)
	return true
}

func (r *responders) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.wg.Wait()
}

func busyReply(k Kind) []byte {
	if k == KindControl {
		return ControlReply{Status: 503, Body: []byte("busy")}.marshal()
	}
	return []byte{wireVersion, backfillBusy}
}

// request sends one request to peer's subject of kind k and returns the
// reply's data; errors are ErrNotConnected, ErrNoResponder, ctx's, or a
// timeout after RequestTimeout.
func (n *Node) request(ctx context.Context, peer string, k Kind, data []byte) ([]byte, error) {
	nc := n.connection()
	if nc == nil || !nc.IsConnected() {
		return nil, ErrNotConnected
	}
	if !validToken(peer) {
		return nil, fmt.Errorf("%w: %q", ErrNoResponder, peer)
	}
	rctx, cancel := context.WithTimeout(ctx, n.opts.RequestTimeout)
	defer cancel()
	msg, err := nc.RequestWithContext(rctx, Subject(n.opts.Cluster, peer, k), data)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return nil, fmt.Errorf("%w: %s", ErrNoResponder, peer)
	case err != nil:
		return nil, fmt.Errorf("cluster: %s request to %s: %w", k, peer, n.redactErr(err))
	}
	n.stats.inBytes[k].Add(uint64(len(msg.Data)))
	return msg.Data, nil
}

// ControlRequest is a control action (crash a source, reload) sent to
// another node. Token is the admin token the caller was given: it travels
// to the peer, whose Options.Control checks it like a local request would
// (so the answer carries the same status codes). Body is opaque.
type ControlRequest struct {
	From  string // set by the receiving node: the requester's name
	Token string
	Body  []byte
}

// ControlReply is the peer's answer: an HTTP status code and a body.
type ControlReply struct {
	Status int
	Body   []byte
}

// Control sends req to peer and returns its answer. Errors (the reply
// itself is not an error, whatever its status): ErrNotConnected,
// ErrNoResponder (no such node, or it is down), a timeout, ErrCorrupt. It
// blocks up to RequestTimeout; any goroutine may call it.
func (n *Node) Control(ctx context.Context, peer string, req ControlRequest) (ControlReply, error) {
	b := []byte{wireVersion}
	b = appendBytes(b, []byte(n.opts.Node))
	b = appendBytes(b, []byte(req.Token))
	b = append(b, req.Body...)
	data, err := n.request(ctx, peer, KindControl, b)
	if err != nil {
		return ControlReply{}, err
	}
	r := reader{b: data}
	r.version()
	status := r.uvarint()
	if r.err == nil && (status < 100 || status > 599) {
		r.fail("status")
	}
	if r.err != nil {
		return ControlReply{}, r.err
	}
	return ControlReply{Status: int(status), Body: r.b}, nil
}

func (c ControlReply) marshal() []byte {
	b := binary.AppendUvarint([]byte{wireVersion}, uint64(c.Status))
	return append(b, c.Body...)
}

func (n *Node) answerControl(ctx context.Context, m *nats.Msg) []byte {
	n.stats.inMsgs[KindControl].Add(1)
	r := reader{b: m.Data}
	r.version()
	from := r.readBytes(64)
	token := r.readBytes(4096)
	if r.err != nil {
		return ControlReply{Status: 400, Body: []byte("malformed control request")}.marshal()
	}
	if n.opts.Control == nil {
		return ControlReply{Status: 501, Body: []byte("control not served")}.marshal()
	}
	rep := n.opts.Control(ctx, ControlRequest{From: string(from), Token: string(token), Body: r.b})
	if rep.Status < 100 || rep.Status > 599 {
		rep.Status = 500
	}
	return rep.marshal()
}
