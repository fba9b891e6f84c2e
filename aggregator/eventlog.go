package aggregator

import (
	"bytes"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// The event log: the events published lately, kept so that a snapshot can
// carry them. A page opened (or reloaded) after a source crashed still
// lists the crash and draws its marker; deltas carry each event once, as
// they always did, and a snapshot at seq N holds exactly the events of the
// deltas up to N (the log is written under the store lock, in the tick
// that publishes them).

const (
	// DefaultEventLog is how many published events of each class the log
	// keeps (eventClass): alerts' state changes; supervision (crashes,
	// backoffs, restarts); the server's starts; the rest (reloads, sources
	// down and up, storage).
	DefaultEventLog = 500
	// maxEventLogBytes bounds the log's encoded size whatever the events
	// hold: a snapshot never carries more than this of them.
	maxEventLogBytes = 1 << 20
)

// loggedEvent is one encoded event and its time (Unix ms); seq numbers
// the events the log took, in order, across restarts when the log is
// stored (0 until the log takes it).
type loggedEvent struct {
	ts   int64
	data []byte
	seq  uint64
}

// eventLog is bounded by count (max of each class, eventClass), by
// encoded size (maxBytes) and by age (maxAgeMs, the history's span: an
// event older than every point the snapshot carries would mark nothing).
// The oldest go first. The count is per class because a flapping rule
// announces a change every few seconds and a crash-looping source three
// events a second: one shared count let either push the others' crashes
// or the server's restart out of the log, and off the charts, within
// minutes. Guarded by the Aggregator's mu: add under the write lock,
// appendTo under either.
type eventLog struct {
	items    []loggedEvent // in the order published, oldest first
	bytes    int
	max      int
	maxBytes int
	maxAgeMs int64
	// last is the seq of the newest event taken; written the newest one
	// Storage holds (eventlog_store.go).
	last, written uint64
}

// add keeps the events of a delta published at nowMs and drops what the
// bounds no longer admit. Called only when a delta has events: a tick
// without any costs the log nothing.
func (l *eventLog) add(events []loggedEvent, nowMs int64) {
	horizon := nowMs - l.maxAgeMs
	for _, e := range events {
		if e.ts < horizon { // stamped long ago by its announcer: news, not history
			continue
		}
		l.last++
		e.seq = l.last
		l.items = append(l.items, e)
		l.bytes += len(e.data)
	}
	l.trim(nowMs)
}

// trim drops the oldest events until the log is within its bounds at
// nowMs: those older than its maximum age, then the oldest of a class over its count, then the
// oldest of all while the bytes are over (storage.EventLimit.Keep, the
// stored log's rule too).
func (l *eventLog) trim(nowMs int64) {
	lim := l.limit(nowMs)
	entries := make([]storage.EventEntry, len(l.items))
	for i, e := range l.items {
		entries[i] = storage.EventEntry{TS: e.ts, Bytes: len(e.data), Class: eventClass(e.data)}
	}
	keep := l.items[:0]
	for i, ok := range lim.Keep(entries) {
		if ok {
			keep = append(keep, l.items[i])
		} else {
			l.bytes -= len(l.items[i].data)
		}
	}
	if len(keep) < len(l.items) {
		clear(l.items[len(keep):])
		l.items = keep
	}
}

// eventClasses is how many classes eventClass tells apart.
const eventClasses = 4

// classPrefixes start the encodings of the events of classes 1 to 3
// (protocol.Event's MarshalJSON writes kind first, and kinds are not
// prefixes of each other but as "alert" of "alert…", which none is).
var classPrefixes = [eventClasses - 1][]byte{[]byte(`{"kind":"alert",`), []byte(`{"kind":"supervision",`), []byte(`{"kind":"server",`)}

// eventClass is an event's class for the log's count: 1 an alert's state
// change, 2 supervision (a crash, a backoff, a restart), 3 the server's
// start, 0 any other. Storage trims by it too (EventLimit.Class).
func eventClass(data []byte) int {
	for i, p := range classPrefixes {
		if bytes.HasPrefix(data, p) {
			return i + 1
		}
	}
	return 0
}

// appendTo writes `,"events":[…]`, the events of the last maxAgeMs before
// nowMs, oldest first; nothing when there are none.
func (l *eventLog) appendTo(b []byte, nowMs int64) []byte {
	horizon := nowMs - l.maxAgeMs
	n := 0
	for _, e := range l.items {
		if e.ts < horizon {
			continue
		}
		if n == 0 {
			b = append(b, `,"events":[`...)
		} else {
			b = append(b, ',')
		}
		n++
		b = append(b, e.data...)
	}
	if n > 0 {
		b = append(b, ']')
	}
	return b
}
