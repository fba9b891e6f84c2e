package cluster

import "strings"

// Kind is what a message carries; it is the last token of its subject.
type Kind uint8

// The kinds of message. Samples, Health, Tree and Events are published by
// a node for every other; Heartbeat keeps it alive in their eyes; Dict,
// Backfill and Control are addressed to one node.
const (
	KindSamples Kind = iota
	KindHealth
	KindTree
	KindEvents
	KindHeartbeat
	KindDict
	KindBackfill
	KindControl
	numKinds
)

var kindNames = [numKinds]string{"samples", "health", "tree", "events", "heartbeat", "dict", "backfill", "control"}

// String is the subject token of the kind.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "unknown"
}

func kindOf(token string) (Kind, bool) {
	for k, n := range kindNames {
		if n == token {
			return Kind(k), true
		}
	}
	return 0, false
}

// Subject is the subject of kind for node in cluster:
// pulseboard.<cluster>.<node>.<kind>.
func Subject(cluster, node string, k Kind) string {
	return "pulseboard." + cluster + "." + node + "." + k.String()
}

// subjectNode returns the node and kind of a subject under
// pulseboard.<cluster>.; ok is false for anything else.
func subjectNode(cluster, subject string) (node string, k Kind, ok bool) {
	rest, found := strings.CutPrefix(subject, "pulseboard."+cluster+".")
	if !found {
		return "", 0, false
	}
	node, tok, found := strings.Cut(rest, ".")
	if !found || node == "" {
		return "", 0, false
	}
	k, ok = kindOf(tok)
	return node, k, ok
}
