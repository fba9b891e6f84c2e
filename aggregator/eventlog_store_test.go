package aggregator

import (
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// openStore opens a storage.DB in dir, closed at the end of the test
// unless the test closes it first.
func openStore(t *testing.T, dir string) *storage.DB {
	t.Helper()
	db, err := storage.Open(storage.Options{Dir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// The event log outlives a restart: what the previous run published (and
// flushed) is in the new run's first snapshot, in order, with what it
// publishes after; PreviousRun says when the previous run last wrote.
func TestEventLogSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	db := openStore(t, dir)
	a, c := newTestAgg(Options{Storage: db, EventLog: 3})
	for i := range 4 {
		require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: strconv.Itoa(i)})))
		c.ms += 100
		a.tick()
	}
	require.NoError(t, a.Flush())
	require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: "4"})))
	c.ms += 100
	a.tick()
	require.NoError(t, a.Flush(), "a second flush writes only the new one")
	last := c.ms - 100
	require.NoError(t, db.Close())

	db = openStore(t, dir)
	b, cb := newTestAgg(Options{Storage: db, EventLog: 3})
	cb.ms = c.ms + 60_000
	require.NoError(t, b.Restore())
	require.Equal(t, last, b.PreviousRun())
	require.Equal(t, []string{"2", "3", "4"}, noteTexts(t, snapshotOf(t, b).Events), "the stored log, bounded as the log is")

	require.NoError(t, b.Announce(noteEvent(t, 0, note{Text: "after"})))
	b.tick()
	require.Equal(t, []string{"3", "4", "after"}, noteTexts(t, snapshotOf(t, b).Events))
	require.NoError(t, b.Flush())
	require.NoError(t, db.Close())

	db = openStore(t, dir)
	d, cd := newTestAgg(Options{Storage: db, EventLog: 3})
	cd.ms = cb.ms
	require.NoError(t, d.Restore())
	require.Equal(t, []string{"3", "4", "after"}, noteTexts(t, snapshotOf(t, d).Events), "numbered on from the stored log")
}

// Restore leaves out what is older than the history, and stored records
// that are not events (here: not JSON objects with a kind), counting them.
func TestEventLogRestoreSkipsWhatIsNotAnEvent(t *testing.T) {
	dir := t.TempDir()
	db := openStore(t, dir)
	now := int64(1_700_000_000_000)
	require.NoError(t, db.WriteEvents([]storage.Event{
		{Seq: 1, TS: now - DefaultHistory.Milliseconds() - 1, Data: []byte(`{"kind":"note","ts":1,"text":"too old"}`)},
		{Seq: 2, TS: now - 10, Data: []byte(`[1,2]`)},
		{Seq: 3, TS: now - 9, Data: []byte(`{"ts":3}`)},
		{Seq: 4, TS: now - 8, Data: []byte(`{"kind":"note","ts":4,"text":"kept"}`)},
		{Seq: 5, TS: now - 7, Data: []byte(`{"kind":"note"`)},
	}, storage.EventLimit{Count: 10, Bytes: 1 << 20}))
	a, _ := newTestAgg(Options{Storage: db})
	require.NoError(t, a.Restore())
	require.Equal(t, []string{"kept"}, noteTexts(t, snapshotOf(t, a).Events))
	require.EqualValues(t, 3, a.stats.eventsSkipped.Load())

	// Numbering goes on past the skipped ones: the next event is not
	// written over a stored record.
	require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: "new"})))
	a.tick()
	require.NoError(t, a.Flush())
	stored, _, err := db.Events(storage.EventLimit{Count: 10, Bytes: 1 << 20})
	require.NoError(t, err)
	require.Equal(t, uint64(6), stored[len(stored)-1].Seq)
}

// failingEvents is a Storage whose event writes fail until told.
type failingEvents struct {
	*fakeStorage
	fail    error
	written []storage.Event
}

func (f *failingEvents) WriteEvents(events []storage.Event, _ storage.EventLimit) error {
	if f.fail != nil {
		return f.fail
	}
	f.written = append(f.written, events...)
	return nil
}

func (f *failingEvents) Events(storage.EventLimit) ([]storage.Event, int, error) {
	return nil, 0, f.fail
}

// A failed event write is counted and returned, and the events are tried
// again at the next flush; a failed read fails Restore.
func TestEventLogFlushFailure(t *testing.T) {
	f := &failingEvents{fakeStorage: newFakeStorage(), fail: errors.New("disk full")}
	a, _ := newTestAgg(Options{Storage: f})
	require.ErrorContains(t, a.Restore(), "disk full")
	require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: "x"})))
	a.tick()
	require.ErrorContains(t, a.Flush(), "disk full")
	require.EqualValues(t, 1, a.stats.flushFailures.Load())
	f.fail = nil
	require.NoError(t, a.Flush())
	require.Len(t, f.written, 1)
	require.NoError(t, a.Flush())
	require.Len(t, f.written, 1, "written once")
}

// Without Storage (memory only) the log starts empty and nothing is
// written: as before.
func TestEventLogMemoryOnly(t *testing.T) {
	a, _ := newTestAgg(Options{})
	require.NoError(t, a.Restore())
	require.Zero(t, a.PreviousRun())
	require.NoError(t, a.Announce(noteEvent(t, 0, note{Text: "x"})))
	a.tick()
	require.NoError(t, a.Flush())
	require.Equal(t, []string{"x"}, noteTexts(t, snapshotOf(t, a).Events))
}
