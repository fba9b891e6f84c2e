package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/pulseboard/pulseboard/aggregator/cluster"
	"github.com/pulseboard/pulseboard/dashboard"
)

// Crash across nodes (docs/cluster.md, "Control body").
//
// POST /api/v1/sources/<node>/<source>/crash on any node, with that
// node's admin token, is checked there as every admin route is, then
// forwarded to <node> over the cluster's control request/reply with the
// caller's token (the same bytes: the local check passed). The owning node
// checks the token again as its own dashboard would (dashboard.Server's
// AdminStatus: 401, 403), crashes the source, and its status code is
// answered: 202, 404 (no such source there), 409 (backing off), 500. This
// node answers 404 itself for a node it never heard of and 503 for one
// that is down or does not answer, or when it is not connected.
//
// The control body: one byte of version, one byte of action (1 crash,
// 2 reload), then the source's name on its node as bytes (uvarint length,
// bytes; empty for a reload). The reply's body is the message of the
// answer, plain text.
//
// Reload across nodes: POST /api/v1/nodes/<node>/reload the same way; the
// owning node re-reads its own configuration file and answers 200, or 422
// with the reason (the operator's own file, as the local route shows it).

const (
	controlVersion = 1
	actionCrash    = 1
	actionReload   = 2 // the node's own configuration: the name is empty
)

// clusterControl is what the owning node needs to answer a control
// request: set by the program once its dashboard exists.
type clusterControl struct {
	adminStatus func(token string) int // dashboard.Server.AdminStatus
	crash       crashControl
	reload      func(ctx context.Context) error // the reloader's Reload
}

func encodeControl(action byte, source string) []byte {
	b := []byte{controlVersion, action}
	b = binary.AppendUvarint(b, uint64(len(source)))
	return append(b, source...)
}

func decodeControl(b []byte) (action byte, source string, ok bool) {
	if len(b) < 3 || b[0] != controlVersion {
		return 0, "", false
	}
	n, k := binary.Uvarint(b[2:])
	if k <= 0 || n != uint64(len(b)-2-k) || (n == 0) != (b[1] == actionReload) {
		return 0, "", false
	}
	return b[1], string(b[2+k:]), true
}

// answerControl is the node's Options.Control: a peer forwards a crash of
// one of this node's sources. Called on a responder goroutine.
func (l *clusterLink) answerControl(ctx context.Context, req cluster.ControlRequest) cluster.ControlReply {
	c := l.control
	if c.adminStatus == nil || c.crash == nil {
		return cluster.ControlReply{Status: 501, Body: []byte("control is not available")}
	}
	action, src, ok := decodeControl(req.Body)
	if !ok {
		return cluster.ControlReply{Status: 400, Body: []byte("malformed control request")}
	}
	if code := c.adminStatus(req.Token); code != 0 {
		return cluster.ControlReply{Status: code, Body: []byte(dashboard.AuthMessage(code))}
	}
	if action == actionReload {
		return l.answerReload(ctx, req.From)
	}
	if action != actionCrash {
		return cluster.ControlReply{Status: 400, Body: []byte("unknown control action")}
	}
	err := c.crash.Crash(src)
	if err == nil {
		l.log.Info("crash injected", "source", src, "from", req.From)
		return cluster.ControlReply{Status: 202}
	}
	code, msg := dashboard.CrashStatus(err) // as this node's own route answers
	if code == 500 {
		l.log.Error("crash injection failed", "source", src, "from", req.From, "err", err)
	}
	return cluster.ControlReply{Status: code, Body: []byte(msg)}
}

// clusterSources is the dashboard's SourceControl in a cluster: a local
// source is crashed here, "<node>/<source>" on its node.
type clusterSources struct {
	local crashControl
	link  *clusterLink
	token func() string // this node's admin token, which the caller presented
}

func (s clusterSources) Crash(name string) error {
	node, src, remote := strings.Cut(name, "/")
	if !remote {
		return s.local.Crash(name)
	}
	if node == s.link.node.Name() {
		return s.local.Crash(src)
	}
	return s.link.forwardCrash(node, src, s.token())
}

// forwardCrash asks node to crash its source src, with token; its answer
// becomes the route's (a *dashboard.StatusError), or an error the route
// knows: ErrUnknownSource for a node never heard of. Called on a
// request's goroutine; it waits up to the node's RequestTimeout.
func (l *clusterLink) forwardCrash(node, src, token string) error {
	return l.forward(context.Background(), node, actionCrash, src, token)
}

// forward sends one control action to node and turns its answer into the
// route's: nil for 2xx, else a *dashboard.StatusError with the peer's code
// and message; 503 for a node down or silent, ErrUnknownSource for a node
// never heard of.
func (l *clusterLink) forward(ctx context.Context, node string, action byte, src, token string) error {
	known, up := false, false
	for _, p := range l.node.Peers() {
		if p.Name == node {
			known, up = true, p.Up
		}
	}
	if !known {
		return fmt.Errorf("%w: no node %q in the cluster", dashboard.ErrUnknownSource, node)
	}
	if !up {
		return &dashboard.StatusError{Code: 503, Message: "node " + node + " is down"}
	}
	rep, err := l.node.Control(ctx, node, cluster.ControlRequest{Token: token, Body: encodeControl(action, src)})
	if err != nil {
		l.log.Warn("cluster: control not forwarded", "peer", node, "source", src, "err", err)
		return &dashboard.StatusError{Code: 503, Message: "node " + node + " did not answer"}
	}
	if rep.Status >= 200 && rep.Status < 300 {
		return nil
	}
	msg := string(rep.Body)
	if msg == "" {
		msg = fmt.Sprintf("node %s answered %d", node, rep.Status)
	}
	return &dashboard.StatusError{Code: rep.Status, Message: msg}
}

// answerReload re-reads this node's configuration for a peer.
func (l *clusterLink) answerReload(ctx context.Context, from string) cluster.ControlReply {
	if l.control.reload == nil {
		return cluster.ControlReply{Status: 501, Body: []byte("reload is not available")}
	}
	if err := l.control.reload(ctx); err != nil {
		l.log.Warn("reload rejected", "from", from, "err", err)
		return cluster.ControlReply{Status: 422, Body: []byte(err.Error())}
	}
	l.log.Info("reloaded", "from", from)
	return cluster.ControlReply{Status: 200}
}

// nodeReload is the dashboard's NodeReload: this node's own configuration
// re-read here, a peer's forwarded to it with this node's admin token
// (which the caller presented). Called on a request's goroutine.
func (p *program) nodeReload(ctx context.Context, node string) error {
	if node == p.nodeName() {
		return p.reloader.Reload(ctx)
	}
	if p.cluster == nil {
		return fmt.Errorf("%w: no node %q", dashboard.ErrUnknownSource, node)
	}
	return p.cluster.forward(ctx, node, actionReload, "", p.dashboard.AdminToken())
}
