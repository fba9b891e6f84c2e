package aggregator

import (
	"encoding/json"
	"fmt"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// The event log on disk: with a Storage that also implements
// EventStorage (storage.DB does), the flusher writes the events published
// since its last flush, and Restore reads them back, so that a restarted
// server's snapshots still carry what happened before it stopped. The
// stored log has the bounds of the one in memory: Options.EventLog
// events, maxEventLogBytes, History.

// EventStorage is the optional part of Storage that keeps the event log.
// WriteEvents is called by the flusher only (one at a time), outside the
// aggregator's lock; Events once, by Restore.
type EventStorage interface {
	// WriteEvents stores events and drops the oldest beyond lim.
	WriteEvents(events []storage.Event, lim storage.EventLimit) error
	// Events returns the stored events within lim, oldest first, and how
	// many records it skipped as undecodable.
	Events(lim storage.EventLimit) ([]storage.Event, int, error)
}

// eventStorage is Options.Storage as an EventStorage, or nil.
func (a *Aggregator) eventStorage() EventStorage {
	es, _ := a.opts.Storage.(EventStorage)
	return es
}

// eventLimit is the stored log's bounds at nowMs: the in-memory log's.
func (l *eventLog) limit(nowMs int64) storage.EventLimit {
	// Stored by class as in memory: a restart restores each class's newest.
	return storage.EventLimit{Count: l.max, Bytes: l.maxBytes, Since: max(0, nowMs-l.maxAgeMs), Class: eventClass, Classes: eventClasses}
}

// unwritten returns the events the log took since the last written one
// (their data shared: an encoded event is never changed), and the seq of
// the newest. Under the Aggregator's lock, read is enough.
func (l *eventLog) unwritten() ([]storage.Event, uint64) {
	var out []storage.Event
	for _, e := range l.items {
		if e.seq > l.written {
			out = append(out, storage.Event{Seq: e.seq, TS: e.ts, Data: e.data})
		}
	}
	return out, l.last
}

// flushEvents writes the events published since the last flush. Called by
// Flush, holding flushMu; a failure leaves them unwritten for the next.
func (a *Aggregator) flushEvents() error {
	es := a.eventStorage()
	if es == nil {
		return nil
	}
	a.mu.RLock()
	events, last := a.events.unwritten()
	lim := a.events.limit(a.nowMs())
	a.mu.RUnlock()
	if len(events) == 0 {
		return nil
	}
	if err := es.WriteEvents(events, lim); err != nil {
		a.stats.flushFailures.Add(1)
		return fmt.Errorf("aggregator: flush events: %w", err)
	}
	a.mu.Lock()
	a.events.written = max(a.events.written, last)
	a.mu.Unlock()
	return nil
}

// restoreEvents fills the log with the stored events of the last History,
// before anything is published; numbering goes on from the newest stored.
// An event that is not a JSON object with a kind is left out and counted
// (pulseboard_events_restore_skipped_total), as are the records the
// storage could not decode. It returns the newest event's time (Unix ms,
// 0 for none).
func (a *Aggregator) restoreEvents(nowMs int64) (int64, error) {
	es := a.eventStorage()
	if es == nil {
		return 0, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	l := &a.events
	stored, skipped, err := es.Events(l.limit(nowMs))
	if err != nil {
		return 0, fmt.Errorf("aggregator: restore: reading the event log: %w", err)
	}
	var newest int64
	for _, e := range stored {
		l.last = max(l.last, e.Seq)
		if !loggable(e.Data) {
			skipped++
			continue
		}
		l.items = append(l.items, loggedEvent{ts: e.TS, data: e.Data, seq: e.Seq})
		l.bytes += len(e.Data)
		newest = max(newest, e.TS)
	}
	l.written = l.last
	l.trim(nowMs)
	if skipped > 0 {
		a.stats.eventsSkipped.Add(uint64(skipped))
		a.opts.Logger.Warn("aggregator: restore: stored events that do not decode were left out", "count", skipped)
	}
	return newest, nil
}

// loggable says whether data can go into a snapshot's events as it is: a
// JSON object with a string kind, as Announce encodes every event.
func loggable(data []byte) bool {
	var head struct {
		Kind *string `json:"kind"`
	}
	return len(data) > 0 && data[0] == '{' && json.Unmarshal(data, &head) == nil && head.Kind != nil && *head.Kind != ""
}

// PreviousRun is the newest time (Unix ms) Restore found in Storage, a
// sample's or an event's: about when the previous run last wrote, so the
// program can say when it stopped. 0 without Storage or with nothing
// stored. Call it after Restore.
func (a *Aggregator) PreviousRun() int64 { return a.previousRun }
