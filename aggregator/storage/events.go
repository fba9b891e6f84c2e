package storage

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The event log's bucket: the aggregator's recent events (the "events" a
// snapshot carries), so that a restarted server still lists what happened
// before it stopped.
//
//	events   seq(8) → version(1) = 1 | ts(8) | the event (opaque: the protocol's JSON)
//
// Seq grows across restarts (the aggregator continues from the newest
// stored), so key order is the order published. The bucket is made by
// the first WriteEvents: a file of an older pulseboard without it reads
// as an empty log, and Open's layout check does not ask for it.

var bucketEvents = []byte("events")

// eventRecordVersion is the first byte of a stored event's value.
const eventRecordVersion = 1

// Event is one logged event as stored: Seq orders them, TS is its time
// (Unix ms) and Data its encoding, opaque here.
type Event struct {
	Seq  uint64
	TS   int64
	Data []byte
}

// EventLimit bounds the stored log like the aggregator's: at most Count
// events (0: none kept) of each class, Bytes of data, none older than
// Since (Unix ms). The oldest (lowest Seq) go first. Class, when set,
// names an event's class from its data, 0 to Classes-1; without it every
// event is of one class.
type EventLimit struct {
	Count   int
	Bytes   int
	Since   int64
	Class   func(data []byte) int
	Classes int
}

// ClassOf is the class of an event's data under lim, within [0, Classes)
// (0 without a Class func).
func (lim EventLimit) ClassOf(data []byte) int {
	if lim.Class == nil {
		return 0
	}
	return min(max(lim.Class(data), 0), lim.classes()-1)
}

func (lim EventLimit) classes() int {
	if lim.Class == nil || lim.Classes < 1 {
		return 1
	}
	return lim.Classes
}

// WriteEvents stores events and then drops the oldest until the log is
// within lim, in ONE transaction (fsynced when it returns nil). A record
// that does not decode is dropped too. Called by the aggregator's flusher
// after its blocks' Write; writes are serialised with Write and Enforce.
//
// Errors: ErrInvalidBlock (a time outside [0, maxTime] or an event larger
// than lim.Bytes; nothing stored), ErrClosed, or the file's error, which
// marks the DB degraded like a failed Write.
func (db *DB) WriteEvents(events []Event, lim EventLimit) error {
	for _, e := range events {
		if e.TS < 0 || e.TS > maxTime || len(e.Data) > lim.Bytes {
			return fmt.Errorf("%w: event %d: time %d ms, %d bytes", ErrInvalidBlock, e.Seq, e.TS, len(e.Data))
		}
	}
	if len(events) == 0 {
		return nil
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed {
		return ErrClosed
	}
	began := time.Now()
	err := db.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketEvents)
		if err != nil {
			return err
		}
		for _, e := range slices.SortedFunc(slices.Values(events), func(x, y Event) int { return cmp.Compare(x.Seq, y.Seq) }) {
			if err := b.Put(u64Key(e.Seq), encodeEvent(e)); err != nil {
				return err
			}
		}
		return trimEvents(b, lim)
	})
	db.flushSeconds.Observe(time.Since(began).Seconds())
	db.noteWrite(err)
	if err != nil {
		return fmt.Errorf("storage: write %d events to %s: %w", len(events), db.path, err)
	}
	return nil
}

// trimEvents deletes, oldest first, what lim no longer admits and every
// record that does not decode. The log is small (lim.Count records a
// class), so one pass over it costs a flush little.
func trimEvents(b *bolt.Bucket, lim EventLimit) error {
	var keys, drop [][]byte
	var entries []EventEntry
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		e, err := decodeEvent(k, v)
		if err != nil {
			drop = append(drop, slices.Clone(k))
			continue
		}
		keys = append(keys, slices.Clone(k))
		entries = append(entries, EventEntry{TS: e.TS, Bytes: len(e.Data), Class: lim.ClassOf(e.Data)})
	}
	for i, keep := range lim.Keep(entries) {
		if !keep {
			drop = append(drop, keys[i])
		}
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// EventEntry is what EventLimit.Keep weighs of one event: its time (Unix
// ms), its encoded size in bytes and its class (EventLimit.ClassOf).
type EventEntry struct {
	TS    int64
	Bytes int
	Class int
}

// Keep says which of entries, given oldest first, lim admits: not one
// older than Since, not the oldest of a class while the class holds more
// than Count, not the oldest of all while they hold more than Bytes. The
// aggregator's log in memory and the stored one trim by this one rule, so
// a restart restores what the running server held. keep has entries'
// length; safe on any goroutine.
func (lim EventLimit) Keep(entries []EventEntry) (keep []bool) {
	count := make([]int, lim.classes())
	total := 0
	for _, e := range entries {
		count[e.Class]++
		total += e.Bytes
	}
	keep = make([]bool, len(entries))
	for i, e := range entries {
		if count[e.Class] <= lim.Count && total <= lim.Bytes && e.TS >= lim.Since {
			keep[i] = true
			continue
		}
		total -= e.Bytes
		count[e.Class]--
	}
	return keep
}

// Events returns the stored log within lim, oldest first, and how many
// records it skipped because they do not decode (an unknown version, a
// bad key or time). It reads from the newest back and stops at lim, or
// after 4×Classes×Count+64 records whatever they hold, so a damaged or
// foreign log costs a bounded read. Data is a copy. Called once at start
// (aggregator.Restore); safe on any goroutine.
func (db *DB) Events(lim EventLimit) (events []Event, skipped int, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		if b == nil {
			return nil
		}
		total, scanned := 0, 0
		n := lim.classes()
		count := make([]int, n)
		c := b.Cursor()
		for k, v := c.Last(); k != nil && len(events) < n*lim.Count && scanned < 4*n*lim.Count+64; k, v = c.Prev() {
			scanned++
			e, err := decodeEvent(k, v)
			if err != nil {
				skipped++
				continue
			}
			if e.TS < lim.Since || total+len(e.Data) > lim.Bytes {
				break
			}
			cl := lim.ClassOf(e.Data)
			if count[cl] >= lim.Count {
				continue // its class is full: older ones of another class may still fit
			}
			count[cl]++
			total += len(e.Data)
			e.Data = slices.Clone(e.Data)
			events = append(events, e)
		}
		return nil
	})
	slices.Reverse(events)
	return events, skipped, err
}

func encodeEvent(e Event) []byte {
	v := make([]byte, 0, 9+len(e.Data))
	v = append(v, eventRecordVersion)
	v = binary.BigEndian.AppendUint64(v, uint64(e.TS))
	return append(v, e.Data...)
}

// decodeEvent reads a stored event; Data aliases v.
func decodeEvent(k, v []byte) (Event, error) {
	seq, err := decodeU64Key(k)
	if err != nil || len(v) < 9 || v[0] != eventRecordVersion {
		return Event{}, errBadRecord
	}
	ts := binary.BigEndian.Uint64(v[1:9])
	if ts > uint64(maxTime) {
		return Event{}, errBadRecord
	}
	return Event{Seq: seq, TS: int64(ts), Data: v[9:]}, nil
}
