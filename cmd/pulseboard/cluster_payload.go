package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// What a node tells the others of itself beside its samples: its sources'
// health, its supervision tree and its events, on the cluster's health,
// tree and events subjects (opaque to the cluster package). Each is one
// JSON object with a version, so that a peer of another version is refused
// and counted rather than misread (docs/cluster.md, "Health, tree and
// events"):
//
//	health  {"v":1,"gen":G,"part":i,"parts":n,"sources":[source…]}
//	tree    {"v":1,"tree":process}
//	events  {"v":1,"events":[event…]}
//
// A source, a process and an event are the stream's own objects
// (docs/protocol.md) as the sending node shows them, its sources named
// without a node; the receiver names them "<node>/<source>" and sets their
// node. JSON, not a binary layout: a node publishes its health once a
// heartbeat and on a change of state, a few hundred bytes a source, so
// the bytes per second are small beside the samples', and the objects are
// the ones every reader already decodes.

// payloadVersion is the "v" of every health, tree and events payload.
const payloadVersion = 1

// Bounds of the payloads, checked by the receiver before it decodes (the
// size) and after (the counts); the sender keeps inside them.
const (
	// maxHealthBytes bounds one health message; a node with more sources
	// than fit sends its health in parts of one generation.
	maxHealthBytes = 256 << 10
	// maxHealthParts bounds the parts of one generation: at most
	// maxHealthParts × maxHealthBytes of health per node.
	maxHealthParts = 64
	// maxNodeSources bounds the sources held of one node.
	maxNodeSources = 10000
	// maxSourceName bounds a source's name.
	maxSourceName = 256
	// maxNoteBytes is how much of a last error or warning travels; the
	// sender cuts longer ones (at a rune boundary).
	maxNoteBytes = 1024
	// maxTreeBytes, maxTreeProcesses and maxTreeDepth bound one tree.
	maxTreeBytes     = 64 << 10
	maxTreeProcesses = 512
	maxTreeDepth     = 8
	// maxEventsBytes and maxEventsPerMessage bound one events message.
	maxEventsBytes      = 64 << 10
	maxEventsPerMessage = 64
)

// Why a peer's payload was refused: the reason label of
// pulseboard_cluster_payloads_refused_total.
var (
	errPayloadTooLarge = errors.New("too_large")
	errPayloadVersion  = errors.New("version")
	errPayloadInvalid  = errors.New("malformed")
)

// refusal is the reason label of a decoding error.
func refusal(err error) string {
	for _, e := range []error{errPayloadTooLarge, errPayloadVersion} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return errPayloadInvalid.Error()
}

// healthMsg is one health message: a part of generation Gen.
type healthMsg struct {
	V       int               `json:"v"`
	Gen     uint64            `json:"gen"`
	Part    int               `json:"part"`
	Parts   int               `json:"parts"`
	Sources []protocol.Source `json:"sources"`
}

// encodeHealth writes the health of srcs (this node's sources, named as
// here) as generation gen: one message, or as many parts as keep each
// under maxHealthBytes. A last error or warning is cut to maxNoteBytes;
// sources past maxHealthParts full parts are left out (a node of more
// than ~600,000 sources).
func encodeHealth(gen uint64, srcs []aggregator.SourceInfo) [][]byte {
	const room = maxHealthBytes - 96 // the envelope's members
	var parts [][][]byte
	var cur [][]byte
	size := 0
	for i := range srcs {
		s := srcs[i]
		s.Node = ""
		s.LastError = cutNote(s.LastError)
		s.LastWarning = cutNote(s.LastWarning)
		b, err := json.Marshal(s)
		if err != nil || len(b) > room { // only strings and numbers; a name is bounded by the config
			continue
		}
		if size+len(b)+1 > room && len(cur) > 0 {
			parts, cur, size = append(parts, cur), nil, 0
		}
		cur = append(cur, b)
		size += len(b) + 1
	}
	parts = append(parts, cur)
	if len(parts) > maxHealthParts {
		parts = parts[:maxHealthParts]
	}
	out := make([][]byte, len(parts))
	for i, p := range parts {
		b := fmt.Appendf(nil, `{"v":%d,"gen":%d,"part":%d,"parts":%d,"sources":[`, payloadVersion, gen, i, len(parts))
		for j, s := range p {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, s...)
		}
		out[i] = append(b, "]}"...)
	}
	return out
}

// cutNote bounds an error or warning text at a rune boundary.
func cutNote(s string) string {
	if len(s) <= maxNoteBytes {
		return s
	}
	s = s[:maxNoteBytes]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// decodeHealth reads a peer's health message. Its size is checked before
// it is parsed; then its version, its part numbers and every source: a
// name that a local source could have (not empty, no '/', at most
// maxSourceName bytes, valid UTF-8), a known state, no name twice.
func decodeHealth(data []byte) (healthMsg, error) {
	var m healthMsg
	if len(data) > maxHealthBytes {
		return m, fmt.Errorf("health of %d bytes: %w", len(data), errPayloadTooLarge)
	}
	if err := decodeVersioned(data, &m, &m.V); err != nil {
		return m, err
	}
	if m.Parts < 1 || m.Parts > maxHealthParts || m.Part < 0 || m.Part >= m.Parts {
		return m, fmt.Errorf("health part %d of %d: %w", m.Part, m.Parts, errPayloadInvalid)
	}
	seen := make(map[string]struct{}, len(m.Sources))
	for i := range m.Sources {
		s := &m.Sources[i]
		if !validRemoteName(s.Name) || !knownState(s.State) {
			return m, fmt.Errorf("health source %d: %w", i, errPayloadInvalid)
		}
		if _, dup := seen[s.Name]; dup {
			return m, fmt.Errorf("health source %q twice: %w", s.Name, errPayloadInvalid)
		}
		seen[s.Name] = struct{}{}
	}
	return m, nil
}

// decodeVersioned unmarshals a payload into v after checking that it is a
// JSON object whose "v" is payloadVersion (read into *ver).
func decodeVersioned(data []byte, v any, ver *int) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %v", errPayloadInvalid, err)
	}
	if *ver != payloadVersion {
		return fmt.Errorf("payload version %d: %w", *ver, errPayloadVersion)
	}
	return nil
}

func validRemoteName(name string) bool {
	return name != "" && len(name) <= maxSourceName && !strings.ContainsRune(name, '/') && utf8.ValidString(name)
}

func knownState(s string) bool {
	switch s {
	case aggregator.StateStarting, aggregator.StateRunning, aggregator.StateBackoff, aggregator.StateFailed, aggregator.StateStopped:
		return true
	}
	return false
}

// treeMsg is a node's supervision tree.
type treeMsg struct {
	V    int              `json:"v"`
	Tree protocol.Process `json:"tree"`
}

// encodeTree writes this node's own tree (its root without peers).
func encodeTree(root aggregator.Process) ([]byte, error) {
	root.Node, root.Nodes, root.LastSeen = "", nil, 0
	b, err := json.Marshal(treeMsg{V: payloadVersion, Tree: root})
	if err == nil && len(b) > maxTreeBytes {
		err = fmt.Errorf("tree of %d bytes: %w", len(b), errPayloadTooLarge)
	}
	return b, err
}

// decodeTree reads a peer's tree: at most maxTreeBytes, maxTreeProcesses
// processes, maxTreeDepth deep, every process named. Peers' own node
// members are dropped: a tree is one node's.
func decodeTree(data []byte) (protocol.Process, error) {
	var m treeMsg
	if len(data) > maxTreeBytes {
		return m.Tree, fmt.Errorf("tree of %d bytes: %w", len(data), errPayloadTooLarge)
	}
	if err := decodeVersioned(data, &m, &m.V); err != nil {
		return m.Tree, err
	}
	count := 0
	var check func(p *protocol.Process, depth int) bool
	check = func(p *protocol.Process, depth int) bool {
		count++
		if depth > maxTreeDepth || count > maxTreeProcesses || p.Name == "" || !utf8.ValidString(p.Name) {
			return false
		}
		p.Node, p.Nodes, p.LastSeen = "", nil, 0
		for i := range p.Children {
			if !check(&p.Children[i], depth+1) {
				return false
			}
		}
		return true
	}
	if !check(&m.Tree, 1) {
		return m.Tree, fmt.Errorf("tree: %w", errPayloadInvalid)
	}
	return m.Tree, nil
}

// eventsMsg carries a node's events, each a flat stream event.
type eventsMsg struct {
	V      int              `json:"v"`
	Events []protocol.Event `json:"events"`
}

// encodeEvents writes events for the peers; an event that would make the
// message larger than maxEventsBytes is left out.
func encodeEvents(events []protocol.Event) ([]byte, error) {
	b := fmt.Appendf(nil, `{"v":%d,"events":[`, payloadVersion)
	n := 0
	for _, e := range events[:min(len(events), maxEventsPerMessage)] {
		data, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		if len(b)+len(data)+3 > maxEventsBytes {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, data...)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("events: %w", errPayloadTooLarge)
	}
	return append(b, "]}"...), nil
}

// decodeEvents reads a peer's events and gives each a "node" member
// naming the peer (replacing one it had), so the page can say whose event
// it is.
func decodeEvents(node string, data []byte) ([]protocol.Event, error) {
	var m eventsMsg
	if len(data) > maxEventsBytes {
		return nil, fmt.Errorf("events of %d bytes: %w", len(data), errPayloadTooLarge)
	}
	if err := decodeVersioned(data, &m, &m.V); err != nil {
		return nil, err
	}
	if len(m.Events) > maxEventsPerMessage {
		return nil, fmt.Errorf("%d events: %w", len(m.Events), errPayloadInvalid)
	}
	for i := range m.Events {
		e := &m.Events[i]
		members := map[string]json.RawMessage{}
		if len(e.Payload) > 0 {
			if err := json.Unmarshal(e.Payload, &members); err != nil {
				return nil, fmt.Errorf("%w: event %d: %v", errPayloadInvalid, i, err)
			}
		}
		name, _ := json.Marshal(node) // a string: cannot fail
		members["node"] = name
		ev, err := protocol.NewEvent(e.Kind, e.TS, members)
		if err != nil || e.Kind == "" {
			return nil, fmt.Errorf("%w: event %d", errPayloadInvalid, i)
		}
		*e = ev
	}
	return m.Events, nil
}
