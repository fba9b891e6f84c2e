package aggregator

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// Process is one node of the supervision tree as dashboards draw it. The
// aggregator does not know what a supervisor is: the program describes its
// tree with these and the aggregator carries it, like SourceInfo.
type Process = protocol.Process

// maxPendingEvents bounds the events waiting for the next delta: Announce
// never blocks and never grows memory without bound, whoever calls it.
const maxPendingEvents = 64

// Announce queues e for the next delta, which is published even if no data
// changed, and which puts it in the event log: snapshots carry the events
// of the last History (at most Options.EventLog of them, oldest first), so
// a client that connects later still learns them. What the event says is the announcer's business: the aggregator
// only stamps a zero TS with its clock and carries the encoded event. It
// fails, wrapping protocol.ErrPayload, when the payload is not a JSON
// object or has a kind or ts member; the event is then not sent. Safe for
// concurrent use; never blocks. Beyond maxPendingEvents unsent events the
// oldest are dropped and counted.
func (a *Aggregator) Announce(e protocol.Event) error {
	if e.TS == 0 {
		e.TS = a.nowMs()
	}
	data, err := json.Marshal(e) // Event.MarshalJSON: flat, kind and ts first
	if err != nil {
		return fmt.Errorf("aggregator: announce %q: %w", e.Kind, err)
	}
	a.queueEvent(loggedEvent{ts: e.TS, data: data})
	return nil
}

// queueEvent queues an encoded event for the next delta: Announce's, and
// the alert events SetAlerts encodes itself. Past maxPendingEvents the
// oldest is dropped, counted.
func (a *Aggregator) queueEvent(ev loggedEvent) {
	a.eventsMu.Lock()
	defer a.eventsMu.Unlock()
	if len(a.pendingEvents) == maxPendingEvents {
		a.pendingEvents = slices.Delete(a.pendingEvents, 0, 1)
		a.stats.eventsDropped.Add(1)
	}
	a.pendingEvents = append(a.pendingEvents, ev)
	a.wakeUp()
}

// takeEvents returns the events announced since the last call.
func (a *Aggregator) takeEvents() []loggedEvent {
	a.eventsMu.Lock()
	defer a.eventsMu.Unlock()
	ev := a.pendingEvents
	a.pendingEvents = nil
	return ev
}

// treeJSON encodes the program's tree, or returns nil without one.
func (a *Aggregator) treeJSON() []byte {
	if a.opts.Tree == nil {
		return nil
	}
	data, err := json.Marshal(a.opts.Tree())
	if err != nil { // only strings and ints: cannot happen
		a.opts.Logger.Error("encode tree", "err", err)
		return nil
	}
	return data
}

// appendExtras writes the tree and the events of a message, each only when
// present: `,"tree":{…}` and `,"events":[…]`.
func appendExtras(b, tree []byte, events [][]byte) []byte {
	if tree != nil {
		b = append(b, `,"tree":`...)
		b = append(b, tree...)
	}
	if len(events) > 0 {
		b = append(b, `,"events":[`...)
		for i, e := range events {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, e...)
		}
		b = append(b, ']')
	}
	return b
}

// publishEvents hands the events announced since the last tick to d, and
// keeps them in the log. Called by tick under the write lock, so that a
// snapshot at seq N holds the events of the deltas up to N.
func (a *Aggregator) publishEvents(d *delta, nowMs int64) {
	events := a.takeEvents()
	if len(events) == 0 {
		return
	}
	d.events = make([][]byte, len(events))
	for i, e := range events {
		d.events[i] = e.data
	}
	a.events.add(events, nowMs)
}
