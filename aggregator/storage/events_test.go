package storage

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

func event(seq uint64, ts int64, data string) Event {
	return Event{Seq: seq, TS: ts, Data: []byte(data)}
}

var wide = EventLimit{Count: 100, Bytes: 1 << 20}

// The log outlives a close and an open, oldest first, its data intact.
func TestEventsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.WriteEvents([]Event{event(2, 2000, `{"b":1}`), event(1, 1000, `{"a":1}`)}, wide); err != nil {
		t.Fatal(err)
	}
	if err := db.WriteEvents([]Event{event(3, 3000, `{"c":1}`)}, wide); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = open(t, Options{Dir: dir})
	got, skipped, err := db.Events(wide)
	if err != nil || skipped != 0 {
		t.Fatalf("Events: %v, %d skipped", err, skipped)
	}
	want := []Event{event(1, 1000, `{"a":1}`), event(2, 2000, `{"b":1}`), event(3, 3000, `{"c":1}`)}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Seq != want[i].Seq || got[i].TS != want[i].TS || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Errorf("event %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// A store that never logged an event reads as an empty log.
func TestEventsNoneStored(t *testing.T) {
	db := open(t, Options{Dir: t.TempDir()})
	got, skipped, err := db.Events(wide)
	if err != nil || skipped != 0 || len(got) != 0 {
		t.Fatalf("got %v, %d skipped, %v", got, skipped, err)
	}
}

// Writes keep the stored log within its count, bytes and age, dropping
// the oldest; reads are bounded likewise.
func TestEventsBounded(t *testing.T) {
	db := open(t, Options{Dir: t.TempDir()})
	var evs []Event
	for i := range 10 {
		evs = append(evs, event(uint64(i+1), int64(1000*(i+1)), "0123456789"))
	}
	seqs := func(lim EventLimit) []uint64 {
		t.Helper()
		got, _, err := db.Events(lim)
		if err != nil {
			t.Fatal(err)
		}
		var s []uint64
		for _, e := range got {
			s = append(s, e.Seq)
		}
		return s
	}
	if err := db.WriteEvents(evs, EventLimit{Count: 8, Bytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	if got := seqs(wide); len(got) != 8 || got[0] != 3 {
		t.Fatalf("by count: %v", got)
	}
	if got := seqs(EventLimit{Count: 3, Bytes: 1 << 20}); len(got) != 3 || got[0] != 8 {
		t.Fatalf("read by count: %v", got)
	}
	if got := seqs(EventLimit{Count: 100, Bytes: 25}); len(got) != 2 || got[0] != 9 {
		t.Fatalf("read by bytes: %v", got)
	}
	// Bytes: 50 keep five of ten bytes each; age: none before 7000.
	if err := db.WriteEvents([]Event{event(11, 11000, "0123456789")}, EventLimit{Count: 100, Bytes: 50, Since: 0}); err != nil {
		t.Fatal(err)
	}
	if got := seqs(wide); len(got) != 5 || got[0] != 7 {
		t.Fatalf("by bytes: %v", got)
	}
	if err := db.WriteEvents([]Event{event(12, 12000, "x")}, EventLimit{Count: 100, Bytes: 1 << 20, Since: 10000}); err != nil {
		t.Fatal(err)
	}
	if got := seqs(wide); len(got) != 3 || got[0] != 10 {
		t.Fatalf("by age: %v", got)
	}
	if got := seqs(EventLimit{Count: 100, Bytes: 1 << 20, Since: 11500}); len(got) != 1 || got[0] != 12 {
		t.Fatalf("read by age: %v", got)
	}
}

// An event that cannot be stored refuses the whole write, and the store is
// not degraded by it.
func TestEventsInvalid(t *testing.T) {
	db := open(t, Options{Dir: t.TempDir()})
	for _, e := range []Event{event(1, -1, "{}"), event(1, maxTime+1, "{}"), event(1, 1, string(make([]byte, 65)))} {
		if err := db.WriteEvents([]Event{event(2, 5, "{}"), e}, EventLimit{Count: 10, Bytes: 64}); !errors.Is(err, ErrInvalidBlock) {
			t.Errorf("%d ms, %d bytes: got %v", e.TS, len(e.Data), err)
		}
	}
	if got, _, _ := db.Events(wide); len(got) != 0 {
		t.Fatalf("stored %v", got)
	}
	if ok, _ := db.Health(); !ok {
		t.Fatal("degraded by refused input")
	}
}

// Records that do not decode (an unknown version, a short value, a bad
// key, a time past maxTime) are skipped and counted by a read, and
// dropped by the next write.
func TestEventsCorruptRecordsSkipped(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.WriteEvents([]Event{event(1, 1000, "{}"), event(5, 5000, `{"x":1}`)}, wide); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	bdb, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		bad := map[string][]byte{
			string(u64Key(2)): append([]byte{9}, make([]byte, 8)...), // unknown version
			string(u64Key(3)): {eventRecordVersion, 1},               // short
			"short-key":       encodeEvent(event(0, 1, "{}")),
			string(u64Key(4)): encodeEvent(event(4, maxTime+1, "{}")),
		}
		for k, v := range bad {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Close(); err != nil {
		t.Fatal(err)
	}
	db = open(t, Options{Dir: dir})
	got, skipped, err := db.Events(wide)
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 4 || len(got) != 2 || got[0].Seq != 1 || got[1].Seq != 5 {
		t.Fatalf("got %+v, %d skipped", got, skipped)
	}
	if err := db.WriteEvents([]Event{event(6, 6000, "{}")}, wide); err != nil {
		t.Fatal(err)
	}
	if got, skipped, _ = db.Events(wide); skipped != 0 || len(got) != 3 {
		t.Fatalf("after a write: %+v, %d skipped", got, skipped)
	}
}

// With a Class, the count bounds each class: a chatty class's records do
// not push a quiet one's out, neither when written nor when read.
func TestEventsBoundedByClass(t *testing.T) {
	db := open(t, Options{Dir: t.TempDir()})
	class := func(data []byte) int {
		if bytes.HasPrefix(data, []byte("a")) {
			return 1
		}
		return 0
	}
	evs := []Event{event(1, 1000, "quiet1"), event(2, 2000, "quiet2")}
	for i := range 10 {
		evs = append(evs, event(uint64(i+3), int64(3000+1000*i), "alert"))
	}
	lim := EventLimit{Count: 3, Bytes: 1 << 20, Class: class, Classes: 2}
	if err := db.WriteEvents(evs, lim); err != nil {
		t.Fatal(err)
	}
	got, _, err := db.Events(EventLimit{Count: 100, Bytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, e := range got {
		seqs = append(seqs, e.Seq)
	}
	if want := []uint64{1, 2, 10, 11, 12}; !slices.Equal(seqs, want) {
		t.Fatalf("stored %v, want %v: each class's newest 3", seqs, want)
	}
	got, _, err = db.Events(EventLimit{Count: 1, Bytes: 1 << 20, Class: class, Classes: 2})
	if err != nil {
		t.Fatal(err)
	}
	seqs = seqs[:0]
	for _, e := range got {
		seqs = append(seqs, e.Seq)
	}
	if want := []uint64{2, 12}; !slices.Equal(seqs, want) {
		t.Fatalf("read %v, want %v: each class's newest", seqs, want)
	}
}

func TestEventLimitKeep(t *testing.T) {
	lim := EventLimit{Count: 2, Bytes: 100, Since: 10, Class: func([]byte) int { return 0 }, Classes: 2}
	// Oldest first: too old; three of class 1 (one over); one of class 0.
	entries := []EventEntry{
		{TS: 9, Bytes: 1, Class: 0},
		{TS: 10, Bytes: 1, Class: 1},
		{TS: 11, Bytes: 1, Class: 1},
		{TS: 12, Bytes: 1, Class: 1},
		{TS: 13, Bytes: 1, Class: 0},
	}
	require.Equal(t, []bool{false, false, true, true, true}, lim.Keep(entries))

	// Over the bytes: the oldest of any class go until the rest fit.
	lim.Bytes = 70
	entries = []EventEntry{{TS: 20, Bytes: 40, Class: 0}, {TS: 21, Bytes: 40, Class: 1}, {TS: 22, Bytes: 30, Class: 0}}
	require.Equal(t, []bool{false, true, true}, lim.Keep(entries))
	require.Empty(t, lim.Keep(nil))
}
