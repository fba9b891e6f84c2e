package aggregator

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

func noteTexts(t *testing.T, events []protocol.Event) []string {
	t.Helper()
	var out []string
	for _, e := range events {
		var n note
		require.NoError(t, e.DecodePayload(&n))
		out = append(out, n.Text)
	}
	return out
}

// TestSnapshotCarriesTheEventLog: a client that connects after an event
// was published still gets it, in its snapshot, oldest first; the count
// bound drops the oldest.
func TestSnapshotCarriesTheEventLog(t *testing.T) {
	a, c := newTestAgg(Options{EventLog: 3})
	require.NotContains(t, string(a.SnapshotJSON(false)), `"events"`, "absent when nothing happened")
	for i := range 5 {
		require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: strconv.Itoa(i)})))
		c.ms += 100
		a.tick()
	}
	snap := decodeSnapshot(t, a.SnapshotJSON(false))
	require.Equal(t, uint64(5), snap.Seq)
	require.Equal(t, []string{"2", "3", "4"}, noteTexts(t, snap.Events), "the newest 3, oldest first")
	require.Equal(t, int64(1_700_000_000_400), snap.Events[2].TS)

	// Announced, not yet published: not in a snapshot at the current seq
	// (the next delta brings it).
	require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: "pending"})))
	require.Equal(t, []string{"2", "3", "4"}, noteTexts(t, decodeSnapshot(t, a.SnapshotJSON(false)).Events))

	s := a.Subscribe(0) // a fresh subscriber's snapshot: the broker's own
	defer s.Close()
	first := decodeSnapshot(t, next(t, s).Data)
	require.Equal(t, []string{"2", "3", "4"}, noteTexts(t, first.Events))
}

// TestEventLogForgetsWhatIsOlderThanTheHistory: an event older than the
// history's span marks nothing a snapshot holds; it goes, at the next
// event or from the snapshot's own reading of the log.
func TestEventLogForgetsWhatIsOlderThanTheHistory(t *testing.T) {
	a, c := newTestAgg(Options{History: time.Minute, Windows: []time.Duration{time.Minute}})
	require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: "old"})))
	a.tick()
	c.ms += 30_000
	require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: "newer"})))
	a.tick()
	c.ms += 40_000 // "old" is 70 s old now, "newer" 40 s
	require.Equal(t, []string{"newer"}, noteTexts(t, decodeSnapshot(t, a.SnapshotJSON(false)).Events), "left out when read")
	require.Len(t, a.events.items, 2, "no tick has trimmed it yet: nothing happened")

	// An event stamped by its announcer an hour back is published (it is
	// news to those connected) but kept by no snapshot.
	require.NoError(t, a.Announce(noteEvent(t, c.ms-time.Hour.Milliseconds(), note{Text: "stale"})))
	a.tick()
	require.Equal(t, []string{"newer"}, noteTexts(t, decodeSnapshot(t, a.SnapshotJSON(false)).Events))
	require.Len(t, a.events.items, 1, "trimmed when the next events came")
}

// TestEventLogIsBoundedInBytes: however big the events (a reload refused
// with hundreds of errors), the log's encoded size stays under its bound,
// and the newest event is the one kept.
func TestEventLogIsBoundedInBytes(t *testing.T) {
	a, c := newTestAgg(Options{})
	big := strings.Repeat("x", maxEventLogBytes/4)
	for i := range 6 {
		require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: strconv.Itoa(i), Lines: []string{big}})))
		c.ms += 10
		a.tick()
	}
	require.LessOrEqual(t, a.events.bytes, maxEventLogBytes)
	got := noteTexts(t, decodeSnapshot(t, a.SnapshotJSON(false)).Events)
	require.Equal(t, []string{"3", "4", "5"}, got)
	require.Less(t, len(a.SnapshotJSON(false)), maxEventLogBytes+4096)
}

// TestQuietTicksLeaveTheLogAlone: with nothing announced a tick does not
// touch the log (no per-tick cost), and publishes nothing.
func TestQuietTicksLeaveTheLogAlone(t *testing.T) {
	a, c := newTestAgg(Options{})
	require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: "one"})))
	a.tick()
	items := a.events.items
	seq := a.seq
	for range 3 {
		c.ms += 1000
		a.tick()
	}
	require.Equal(t, seq, a.seq, "nothing published")
	require.Equal(t, &items[0], &a.events.items[0], "the log untouched")
}

// TestEventLogCountsAlertsApart: a flapping rule's changes, however many,
// do not push a crash out of the log; each class keeps its own newest.
func TestEventLogCountsAlertsApart(t *testing.T) {
	a, c := newTestAgg(Options{EventLog: 3})
	require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: "the crash"})))
	c.ms += 100
	a.tick()
	for i := range 10 {
		e, err := protocol.NewEvent("alert", 0, map[string]string{"alertname": "Flap" + strconv.Itoa(i)})
		require.NoError(t, err)
		require.NoError(t, a.Announce(e))
		c.ms += 100
		a.tick()
	}
	snap := decodeSnapshot(t, a.SnapshotJSON(false))
	var kinds []string
	for _, e := range snap.Events {
		kinds = append(kinds, e.Kind)
	}
	require.Equal(t, []string{"note", "alert", "alert", "alert"}, kinds, "the crash and the 3 newest changes")
	require.Equal(t, []string{"the crash"}, noteTexts(t, snap.Events[:1]))
	lim := a.events.limit(c.ms)
	require.Equal(t, 3, lim.Count, "storage keeps each class's count")
	require.Equal(t, eventClasses, lim.Classes)
	require.Equal(t, 1, lim.Class([]byte(`{"kind":"alert","ts":1}`)))
	require.Equal(t, 2, lim.Class([]byte(`{"kind":"supervision","ts":1}`)))
	require.Equal(t, 3, lim.Class([]byte(`{"kind":"server","ts":1}`)))
	require.Equal(t, 0, lim.Class([]byte(`{"kind":"source","ts":1}`)))
	require.Equal(t, 0, lim.Class([]byte(`{"kind":"alerting","ts":1}`)), "a kind that starts like another is not of its class")
}
