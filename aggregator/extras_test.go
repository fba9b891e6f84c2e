package aggregator

import (
	"encoding/json"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// extrasFrame is the part of a message that carries the tree and events.
type extrasFrame struct {
	Type   string          `json:"type"`
	Seq    uint64          `json:"seq"`
	From   uint64          `json:"from"`
	Tree   *Process        `json:"tree"`
	Events []Event         `json:"events"`
	Points json.RawMessage `json:"points"`
}

func decodeExtras(t *testing.T, b []byte) extrasFrame {
	t.Helper()
	var f extrasFrame
	require.NoError(t, json.Unmarshal(b, &f), "%s", b)
	return f
}

// fakeTree is a supervision tree whose root restarts can be bumped.
type fakeTree struct {
	mu       sync.Mutex
	restarts int
}

func (f *fakeTree) get() Process {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Process{Name: "root", Strategy: "rest_for_one", Children: []Process{
		{Name: "aggregator", State: StateRunning, Restarts: f.restarts},
		{Name: "collectors", Strategy: "one_for_one", State: StateRunning},
	}}
}

func (f *fakeTree) crash() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restarts++
}

func TestTreeInSnapshotsAndInDeltasWhenItChanged(t *testing.T) {
	tree := &fakeTree{}
	a, c := newTestAgg(Options{Tree: tree.get})
	s := a.Subscribe(0)
	defer s.Close()

	snap := decodeExtras(t, next(t, s).Data)
	require.Equal(t, "snapshot", snap.Type)
	require.NotNil(t, snap.Tree, "a snapshot always carries the tree")
	require.Equal(t, tree.get(), *snap.Tree)

	a.tick() // the first tick records the tree: a delta with nothing else
	first := decodeExtras(t, next(t, s).Data)
	require.NotNil(t, first.Tree)
	a.tick()
	require.Empty(t, drain(t, s), "no delta when neither data nor tree changed")

	publishN(a, c, 1)
	require.Nil(t, decodeExtras(t, next(t, s).Data).Tree, "an unchanged tree is not repeated")

	tree.crash()
	a.tick()
	d := decodeExtras(t, next(t, s).Data)
	require.NotNil(t, d.Tree, "a changed tree is sent without any data change")
	require.Equal(t, 1, d.Tree.Children[0].Restarts)
	require.JSONEq(t, `{}`, string(d.Points))
}

func TestAnnouncedEventsGoInTheNextDelta(t *testing.T) {
	a, c := newTestAgg(Options{})
	s := a.Subscribe(0)
	defer s.Close()
	next(t, s)

	a.Announce(Event{Kind: "reload", OK: true, Message: "config reloaded", Added: []string{"x"}})
	a.Announce(Event{Kind: "reload", TimeMs: 42, Message: "config rejected", Errors: []string{"f.yaml:3:5: sources[0].colour: unknown key"}})
	a.tick()
	d := decodeExtras(t, next(t, s).Data)
	require.Equal(t, []Event{
		{Kind: "reload", TimeMs: c.ms, OK: true, Message: "config reloaded", Added: []string{"x"}},
		{Kind: "reload", TimeMs: 42, Message: "config rejected", Errors: []string{"f.yaml:3:5: sources[0].colour: unknown key"}},
	}, d.Events, "in order, stamped with the aggregator's clock when unstamped")

	a.tick()
	require.Empty(t, drain(t, s), "events are sent once")
	publishN(a, c, 1)
	require.Empty(t, decodeExtras(t, next(t, s).Data).Events)

	snap := decodeExtras(t, a.SnapshotJSON(false))
	require.Empty(t, snap.Events, "snapshots carry no events")
}

func TestMergedDeltaKeepsEveryEventAndTheLatestTree(t *testing.T) {
	tree := &fakeTree{}
	a, c := newTestAgg(Options{MailboxSize: 3, Tree: tree.get})
	s := a.Subscribe(0)
	defer s.Close()
	next(t, s)
	for i := range 4 { // the fourth overflows the mailbox of 3
		tree.crash()
		a.Announce(Event{Kind: "reload", OK: true, Message: strconv.Itoa(i)})
		publishN(a, c, 1)
	}
	ms := drain(t, s)
	require.Equal(t, 1, len(ms), "the mailbox overflowed: one merged delta")
	m := decodeExtras(t, ms[0].Data)
	require.Equal(t, uint64(1), m.From)
	var got []string
	for _, e := range m.Events {
		got = append(got, e.Message)
	}
	require.Equal(t, uint64(4), m.Seq)
	require.Equal(t, []string{"0", "1", "2", "3"}, got)
	require.Equal(t, 4, m.Tree.Children[0].Restarts, "the latest tree")
}

func TestPendingEventsAreBounded(t *testing.T) {
	a, _ := newTestAgg(Options{})
	for i := range maxPendingEvents + 3 {
		a.Announce(Event{Kind: "reload", Message: strconv.Itoa(i)})
	}
	require.Equal(t, uint64(3), a.stats.eventsDropped.Load())
	events := a.takeEvents()
	require.Len(t, events, maxPendingEvents)
	require.Contains(t, string(events[0]), `"message":"3"`, "the oldest are dropped")
}

// sourceList is a Sources func whose list the test changes, as a reload does.
type sourceList struct {
	mu    sync.Mutex
	names []string
}

func (l *sourceList) get() []SourceInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []SourceInfo
	for _, n := range l.names {
		out = append(out, SourceInfo{Name: n, Type: "simulated", State: StateRunning})
	}
	return out
}

func (l *sourceList) set(names ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.names = names
}

func TestARemovedSourceTakesItsSeriesAtOnce(t *testing.T) {
	srcs := &sourceList{names: []string{"keep", "drop"}}
	a, c := newTestAgg(Options{Sources: srcs.get})
	a.ingest(batch("keep", gauge("k", c.ms, 1)))
	a.ingest(batch("drop", gauge("d1", c.ms, 1), gauge("d2", c.ms, 2)))
	a.tick()
	s := a.Subscribe(0)
	defer s.Close()
	snap := decodeFrame(t, next(t, s).Data)
	require.Len(t, snap.Series, 3)
	var dropIDs []string
	for _, ser := range snap.Series {
		if ser.Source == "drop" {
			dropIDs = append(dropIDs, ser.ID)
		}
	}

	srcs.set("keep") // a reload removed "drop"
	c.ms += 100
	a.tick()
	raw := next(t, s).Data
	var d struct {
		SourcesRemoved []string `json:"sources_removed"`
		Removed        []string `json:"removed"`
	}
	require.NoError(t, json.Unmarshal(raw, &d), "%s", raw)
	require.Equal(t, []string{"drop"}, d.SourcesRemoved)
	require.ElementsMatch(t, dropIDs, d.Removed, "its series go in the same delta")
	require.Len(t, decodeFrame(t, a.SnapshotJSON(false)).Series, 1)
	require.Zero(t, a.stats.evicted.Load(), "a removal is not an eviction")

	// A batch of the removed source still queued is refused and counted.
	a.ingest(batch("drop", gauge("d1", c.ms, 5)))
	require.Equal(t, uint64(1), a.stats.orphaned.Load())
	require.Len(t, decodeFrame(t, a.SnapshotJSON(false)).Series, 1)

	// Back in the config, it is welcome again.
	srcs.set("keep", "drop")
	c.ms += 100
	a.tick()
	a.ingest(batch("drop", gauge("d1", c.ms, 6)))
	a.tick()
	require.Len(t, decodeFrame(t, a.SnapshotJSON(false)).Series, 2)
	require.Equal(t, uint64(1), a.stats.orphaned.Load())
}

func TestMergedDeltaKeepsRemovedSources(t *testing.T) {
	srcs := &sourceList{names: []string{"a", "b", "c"}}
	a, c := newTestAgg(Options{MailboxSize: 3, Sources: srcs.get})
	a.tick()
	s := a.Subscribe(0)
	defer s.Close()
	next(t, s)
	srcs.set("b", "c")
	publishN(a, c, 1)
	srcs.set("c")
	publishN(a, c, 3) // the mailbox of 3 overflows: one merged delta
	ms := drain(t, s)
	require.Equal(t, 1, len(ms))
	var m struct {
		From           uint64   `json:"from"`
		SourcesRemoved []string `json:"sources_removed"`
	}
	require.NoError(t, json.Unmarshal(ms[0].Data, &m))
	require.NotZero(t, m.From)
	require.Equal(t, []string{"a", "b"}, m.SourcesRemoved)
}
