package aggregator

import (
	"encoding/json"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

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

	snap := decodeSnapshot(t, next(t, s).Data)
	require.Equal(t, "snapshot", snap.Type)
	require.NotNil(t, snap.Tree, "a snapshot always carries the tree")
	require.Equal(t, tree.get(), *snap.Tree)

	a.tick() // the first tick records the tree: a delta with nothing else
	first := decodeDelta(t, next(t, s).Data)
	require.NotNil(t, first.Tree)
	a.tick()
	require.Empty(t, drain(t, s), "no delta when neither data nor tree changed")

	publishN(a, c, 1)
	require.Nil(t, decodeDelta(t, next(t, s).Data).Tree, "an unchanged tree is not repeated")

	tree.crash()
	a.TreeChanged()
	a.tick()
	d := decodeDelta(t, next(t, s).Data)
	require.NotNil(t, d.Tree, "a changed tree is sent without any data change")
	require.Equal(t, 1, d.Tree.Children[0].Restarts)
	require.Empty(t, d.Points)
	require.NotNil(t, d.Points, "points is {} when empty, never null")
}

// note is an event payload as an announcer might define one: the
// aggregator carries it without knowing it.
type note struct {
	Text  string   `json:"text"`
	Lines []string `json:"lines,omitempty"`
}

func noteEvent(t *testing.T, ts int64, n note) protocol.Event {
	t.Helper()
	e, err := protocol.NewEvent("note", ts, n)
	require.NoError(t, err)
	return e
}

func TestAnnouncedEventsGoInTheNextDelta(t *testing.T) {
	a, c := newTestAgg(Options{})
	s := a.Subscribe(0)
	defer s.Close()
	next(t, s)

	require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: "first", Lines: []string{"x"}})))
	require.NoError(t, a.Announce(noteEvent(t, 42, note{Text: "second <&>\u2028"})))
	a.tick()
	raw := next(t, s).Data
	d := decodeDelta(t, raw)
	require.Equal(t, []protocol.Event{
		noteEvent(t, c.ms, note{Text: "first", Lines: []string{"x"}}),
		noteEvent(t, 42, note{Text: "second <&>\u2028"}),
	}, d.Events, "in order, stamped with the aggregator's clock when unstamped")
	require.Contains(t, string(raw), `"events":[{"kind":"note","ts":`+strconv.FormatInt(c.ms, 10)+`,"text":"first","lines":["x"]},`,
		"flat on the wire: the payload's members after kind and ts")

	a.tick()
	require.Empty(t, drain(t, s), "events are sent once")
	publishN(a, c, 1)
	require.Empty(t, decodeDelta(t, next(t, s).Data).Events)

	snap := decodeSnapshot(t, a.SnapshotJSON(false))
	require.Equal(t, uint64(2), snap.Seq)
	require.Equal(t, d.Events[:1], snap.Events, "a snapshot carries the events published so far, once each, but for one older than the history (ts 42)")
}

// TestAnnounceRefusesABadPayload: a payload that would break the flat
// object is refused, and nothing is queued.
func TestAnnounceRefusesABadPayload(t *testing.T) {
	a, _ := newTestAgg(Options{})
	for _, p := range []string{`[1,2]`, `"text"`, `{"kind":"other"}`, `{"ts":1}`, `{"a":`} {
		err := a.Announce(protocol.Event{Kind: "note", Payload: json.RawMessage(p)})
		require.ErrorIs(t, err, protocol.ErrPayload, p)
	}
	require.Empty(t, a.takeEvents())
	require.NoError(t, a.Announce(protocol.Event{Kind: "bare"}), "no payload is fine")
	require.Equal(t, []string{`{"kind":"bare","ts":1700000000000}`}, eventStrings(a.takeEvents()))
}

func eventStrings(events []loggedEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = string(e.data)
	}
	return out
}

func TestMergedDeltaKeepsEveryEventAndTheLatestTree(t *testing.T) {
	tree := &fakeTree{}
	a, c := newTestAgg(Options{MailboxSize: 3, Tree: tree.get})
	publishN(a, c, 1)
	for i := range 4 {
		tree.crash()
		a.TreeChanged()
		require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: strconv.Itoa(i)})))
		publishN(a, c, 1)
	}
	s := a.Subscribe(1) // four deltas behind, with a mailbox of 3: merged
	defer s.Close()
	ms := drain(t, s)
	require.Equal(t, 1, len(ms), "one merged delta")
	m := decodeDelta(t, ms[0].Data)
	require.Equal(t, uint64(2), m.From)
	var got []string
	for _, e := range m.Events {
		var n note
		require.NoError(t, e.DecodePayload(&n))
		got = append(got, n.Text)
	}
	require.Equal(t, uint64(5), m.Seq)
	require.Equal(t, []string{"0", "1", "2", "3"}, got)
	require.Equal(t, 4, m.Tree.Children[0].Restarts, "the latest tree")
}

func TestPendingEventsAreBounded(t *testing.T) {
	a, _ := newTestAgg(Options{})
	for i := range maxPendingEvents + 3 {
		require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: strconv.Itoa(i)})))
	}
	require.Equal(t, uint64(3), a.stats.eventsDropped.Load())
	events := a.takeEvents()
	require.Len(t, events, maxPendingEvents)
	require.Contains(t, string(events[0].data), `"text":"3"`, "the oldest are dropped")
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
	var dropped []int
	a, c := newTestAgg(Options{Sources: srcs.get, Dropped: func(n int) { dropped = append(dropped, n) }})
	a.ingest(batch("keep", gauge("k", c.ms, 1)))
	a.ingest(batch("drop", gauge("d1", c.ms, 1), gauge("d2", c.ms, 2)))
	a.tick()
	s := a.Subscribe(0)
	defer s.Close()
	snap := decodeSnapshot(t, next(t, s).Data)
	require.Len(t, snap.Series, 3)
	var dropIDs []string
	for _, ser := range snap.Series {
		if ser.Source == "drop" {
			dropIDs = append(dropIDs, ser.ID)
		}
	}

	srcs.set("keep") // a reload removed "drop"
	a.SourcesChanged()
	c.ms += 100
	a.tick()
	d := decodeDelta(t, next(t, s).Data)
	require.Equal(t, []string{"drop"}, d.SourcesRemoved)
	require.ElementsMatch(t, dropIDs, d.Removed, "its series go in the same delta")
	require.Len(t, decodeSnapshot(t, a.SnapshotJSON(false)).Series, 1)
	require.Zero(t, a.stats.evicted.Load(), "a removal is not an eviction")
	require.Equal(t, []int{2}, dropped, "told once, with the series let go")

	// A batch of the removed source still queued is refused and counted.
	a.ingest(batch("drop", gauge("d1", c.ms, 5)))
	require.Equal(t, uint64(1), a.stats.orphaned.Load())
	require.Len(t, decodeSnapshot(t, a.SnapshotJSON(false)).Series, 1)

	// Back in the config, it is welcome again.
	srcs.set("keep", "drop")
	a.SourcesChanged()
	c.ms += 100
	a.tick()
	a.ingest(batch("drop", gauge("d1", c.ms, 6)))
	a.tick()
	require.Len(t, decodeSnapshot(t, a.SnapshotJSON(false)).Series, 2)
	require.Equal(t, uint64(1), a.stats.orphaned.Load())
}

func TestMergedDeltaKeepsRemovedSources(t *testing.T) {
	srcs := &sourceList{names: []string{"a", "b", "c"}}
	a, c := newTestAgg(Options{MailboxSize: 3, Sources: srcs.get})
	a.tick()
	after := a.Seq()
	srcs.set("b", "c")
	a.SourcesChanged()
	publishN(a, c, 1)
	srcs.set("c")
	a.SourcesChanged()
	publishN(a, c, 3)
	s := a.Subscribe(after) // four deltas behind, with a mailbox of 3: merged
	defer s.Close()
	ms := drain(t, s)
	require.Equal(t, 1, len(ms))
	m := decodeDelta(t, ms[0].Data)
	require.NotZero(t, m.From)
	require.Equal(t, []string{"a", "b"}, m.SourcesRemoved)
}
