package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

func testSource(name string) aggregator.SourceInfo {
	return aggregator.SourceInfo{Name: name, Type: "simulated", State: aggregator.StateRunning, Up: true,
		Restarts: 2, Polls: 40, Failures: 1, LastError: "dial tcp: refused", LastErrorAt: 1700000000000,
		LastSuccess: 1700000001000, PollMs: 1.5, Node: "a"}
}

func TestHealthRoundTrip(t *testing.T) {
	srcs := []aggregator.SourceInfo{testSource("demo"), testSource("web")}
	msgs := encodeHealth(7, srcs)
	require.Len(t, msgs, 1)
	m, err := decodeHealth(msgs[0])
	require.NoError(t, err)
	require.Equal(t, uint64(7), m.Gen)
	require.Equal(t, 1, m.Parts)
	want := []protocol.Source{srcs[0], srcs[1]}
	want[0].Node, want[1].Node = "", "" // the receiver names the node
	require.Equal(t, want, m.Sources)
}

// A node with more sources than one message holds sends them in parts of
// one generation, each under the bound; long notes are cut.
func TestHealthInParts(t *testing.T) {
	var srcs []aggregator.SourceInfo
	for i := range 3000 {
		s := testSource(fmt.Sprintf("source-%04d", i))
		s.LastError = strings.Repeat("é", maxNoteBytes) // twice the bound in bytes
		srcs = append(srcs, s)
	}
	msgs := encodeHealth(1, srcs)
	require.Greater(t, len(msgs), 1)
	v := newRemoteView()
	changed := false
	for i, data := range msgs {
		require.LessOrEqual(t, len(data), maxHealthBytes)
		m, err := decodeHealth(data)
		require.NoError(t, err)
		require.Equal(t, i, m.Part)
		require.LessOrEqual(t, len(m.Sources[0].LastError), maxNoteBytes+len("…"))
		changed = v.setHealth("b", m)
		require.Equal(t, i == len(msgs)-1, changed, "applied when the last part arrives")
	}
	got := v.sources(nil)
	require.Len(t, got, 3000)
	require.Equal(t, "b/source-0000", got[0].Name)
	require.Equal(t, "b", got[0].Node)
}

// Garbage, a payload of another version and an oversized one are refused
// with their reason, before anything is stored.
func TestHealthRefused(t *testing.T) {
	ok := string(encodeHealth(1, []aggregator.SourceInfo{testSource("demo")})[0])
	for name, c := range map[string]struct {
		data   string
		reason string
	}{
		"garbage":        {"\x00\x01not json", "malformed"},
		"not an object":  {`[1,2]`, "malformed"},
		"wrong types":    {`{"v":1,"parts":"one"}`, "malformed"},
		"version":        {strings.Replace(ok, `"v":1`, `"v":2`, 1), "version"},
		"no version":     {`{"parts":1,"sources":[]}`, "version"},
		"no parts":       {strings.Replace(ok, `"parts":1`, `"parts":0`, 1), "malformed"},
		"part past":      {strings.Replace(ok, `"part":0`, `"part":1`, 1), "malformed"},
		"too many parts": {strings.Replace(ok, `"parts":1`, `"parts":65`, 1), "malformed"},
		"slash in name":  {strings.Replace(ok, `"name":"demo"`, `"name":"x/demo"`, 1), "malformed"},
		"empty name":     {strings.Replace(ok, `"name":"demo"`, `"name":""`, 1), "malformed"},
		"unknown state":  {strings.Replace(ok, `"state":"running"`, `"state":"down"`, 1), "malformed"},
		"twice":          {strings.Replace(ok, `}]}`, `},`+ok[strings.Index(ok, `{"name"`):], 1), "malformed"},
		"oversized":      {`{"v":1,"parts":1,"sources":[` + strings.Repeat(" ", maxHealthBytes) + `]}`, "too_large"},
	} {
		_, err := decodeHealth([]byte(c.data))
		require.Error(t, err, name)
		require.Equal(t, c.reason, refusal(err), name)
	}
}

func TestTreeRoundTripAndBounds(t *testing.T) {
	root := aggregator.Process{Name: "root", Strategy: "rest_for_one", State: "running", Node: "a",
		Nodes:    []aggregator.Process{{Name: "root", Node: "b"}},
		Children: []aggregator.Process{{Name: "aggregator", State: "running"}, {Name: "collectors", Strategy: "one_for_one", Restarts: 3}}}
	data, err := encodeTree(root)
	require.NoError(t, err)
	got, err := decodeTree(data)
	require.NoError(t, err)
	root.Node, root.Nodes = "", nil // a node's own tree only
	require.Equal(t, root, got)

	deep := aggregator.Process{Name: "p"}
	for range maxTreeDepth {
		deep = aggregator.Process{Name: "p", Children: []aggregator.Process{deep}}
	}
	wide := aggregator.Process{Name: "root", Children: make([]aggregator.Process, maxTreeProcesses)}
	for i := range wide.Children {
		wide.Children[i].Name = "c"
	}
	for name, c := range map[string]struct {
		data   []byte
		reason string
	}{
		"garbage":   {[]byte("{{{"), "malformed"},
		"version":   {[]byte(`{"v":9,"tree":{"name":"root"}}`), "version"},
		"no name":   {[]byte(`{"v":1,"tree":{"children":[{"name":"x"}]}}`), "malformed"},
		"too deep":  {mustJSON(t, treeMsg{V: 1, Tree: deep}), "malformed"},
		"too many":  {mustJSON(t, treeMsg{V: 1, Tree: wide}), "malformed"},
		"oversized": {[]byte(`{"v":1,"tree":{"name":"` + strings.Repeat("x", maxTreeBytes) + `"}}`), "too_large"},
	} {
		_, err := decodeTree(c.data)
		require.Error(t, err, name)
		require.Equal(t, c.reason, refusal(err), name)
	}
}

func TestEventsRoundTrip(t *testing.T) {
	ev, err := protocol.NewEvent("reload", 1700000000000, map[string]any{"ok": true, "message": "config reloaded", "node": "spoofed"})
	require.NoError(t, err)
	data, err := encodeEvents([]protocol.Event{ev})
	require.NoError(t, err)
	got, err := decodeEvents("b", data)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, "reload", got[0].Kind)
	require.Equal(t, int64(1700000000000), got[0].TS)
	var members map[string]any
	require.NoError(t, got[0].DecodePayload(&members))
	require.Equal(t, map[string]any{"ok": true, "message": "config reloaded", "node": "b"}, members, "the node is the sender's, whatever it said")

	for name, c := range map[string]struct {
		data   string
		reason string
	}{
		"garbage":     {"nope", "malformed"},
		"version":     {`{"v":0,"events":[]}`, "version"},
		"no kind":     {`{"v":1,"events":[{"ts":1}]}`, "malformed"},
		"too many":    {`{"v":1,"events":[` + strings.Repeat(`{"kind":"x","ts":1},`, maxEventsPerMessage) + `{"kind":"x","ts":1}]}`, "malformed"},
		"oversized":   {`{"v":1,"events":[{"kind":"x","ts":1,"m":"` + strings.Repeat("x", maxEventsBytes) + `"}]}`, "too_large"},
		"not objects": {`{"v":1,"events":[1]}`, "malformed"},
	} {
		_, err := decodeEvents("b", []byte(c.data))
		require.Error(t, err, name)
		require.Equal(t, c.reason, refusal(err), name)
	}
	_, err = encodeEvents([]protocol.Event{{Kind: "x", TS: 1, Payload: json.RawMessage(`{"m":"` + strings.Repeat("x", maxEventsBytes) + `"}`)}})
	require.Error(t, err, "an event too large to send is refused by its sender")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// FuzzDecodeHealth: any bytes give an error or a message whose sources a
// local source could be named like, in bounds.
func FuzzDecodeHealth(f *testing.F) {
	f.Add(encodeHealth(1, []aggregator.SourceInfo{testSource("demo")})[0])
	f.Add([]byte(`{"v":1,"gen":2,"part":1,"parts":3,"sources":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeHealth(data)
		if err != nil {
			return
		}
		require.True(t, m.Part >= 0 && m.Part < m.Parts && m.Parts <= maxHealthParts)
		for _, s := range m.Sources {
			require.True(t, validRemoteName(s.Name) && knownState(s.State))
		}
	})
}

// TestClusterDocExamples: the health, tree and events examples of
// docs/cluster.md decode, and encode back to what the doc shows.
func TestClusterDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cluster.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```json (health|tree|events)\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	require.Len(t, blocks, 3)
	for _, b := range blocks {
		data := []byte(strings.TrimSpace(b[2]))
		switch b[1] {
		case "health":
			m, err := decodeHealth(data)
			require.NoError(t, err)
			require.JSONEq(t, string(data), string(encodeHealth(m.Gen, m.Sources)[0]))
		case "tree":
			tree, err := decodeTree(data)
			require.NoError(t, err)
			again, err := encodeTree(tree)
			require.NoError(t, err)
			require.JSONEq(t, string(data), string(again))
		case "events":
			events, err := decodeEvents("b", data)
			require.NoError(t, err)
			require.Len(t, events, 1)
			require.Equal(t, "reload", events[0].Kind)
		}
	}
}
