package main

import (
	"context"
	"encoding/binary"
	"errors"
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
// The control body: one byte of version, one byte of action (1 crash),
// then the source's name on its node as bytes (uvarint length, bytes).
// The reply's body is the message of the answer, plain text.

const (
	controlVersion = 1
	actionCrash    = 1
)

// clusterControl is what the owning node needs to answer a control
// request: set by the program once its dashboard exists.
type clusterControl struct {
	adminStatus func(token string) int // dashboard.Server.AdminStatus
	crash       crashControl
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
	if k <= 0 || n == 0 || n != uint64(len(b)-2-k) {
		return 0, "", false
	}
	return b[1], string(b[2+k:]), true
}

// answerControl is the node's Options.Control: a peer forwards a crash of
// one of this node's sources. Called on a responder goroutine.
func (l *clusterLink) answerControl(_ context.Context, req cluster.ControlRequest) cluster.ControlReply {
	c := l.control
	if c.adminStatus == nil || c.crash == nil {
		return cluster.ControlReply{Status: 501, Body: []byte("control is not available")}
	}
	action, src, ok := decodeControl(req.Body)
	if !ok {
		return cluster.ControlReply{Status: 400, Body: []byte("malformed control request")}
	}
	if code := c.adminStatus(req.Token); code != 0 {
		return cluster.ControlReply{Status: code, Body: []byte(map[int]string{401: "unauthorized", 403: "forbidden"}[code])}
	}
	if action != actionCrash {
		return cluster.ControlReply{Status: 400, Body: []byte("unknown control action")}
	}
	err := c.crash.Crash(src)
	switch {
	case err == nil:
		l.log.Info("crash injected", "source", src, "from", req.From)
		return cluster.ControlReply{Status: 202}
	case errors.Is(err, dashboard.ErrUnknownSource):
		return cluster.ControlReply{Status: 404, Body: []byte("unknown source")}
	case errors.Is(err, dashboard.ErrNotRunning):
		return cluster.ControlReply{Status: 409, Body: []byte("source is not running (backing off, failed or stopped); try again when it runs")}
	}
	l.log.Error("crash injection failed", "source", src, "from", req.From, "err", err)
	return cluster.ControlReply{Status: 500, Body: []byte("crash injection failed")}
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
	rep, err := l.node.Control(context.Background(), node, cluster.ControlRequest{Token: token, Body: encodeControl(actionCrash, src)})
	if err != nil {
		l.log.Warn("cluster: crash not forwarded", "peer", node, "source", src, "err", err)
		return &dashboard.StatusError{Code: 503, Message: "node " + node + " did not answer"}
	}
	if rep.Status == 202 {
		return nil
	}
	msg := string(rep.Body)
	if msg == "" {
		msg = fmt.Sprintf("node %s answered %d", node, rep.Status)
	}
	return &dashboard.StatusError{Code: rep.Status, Message: msg}
}
