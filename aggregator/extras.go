package aggregator

import (
	"encoding/json"
	"slices"
)

// Process is one node of the supervision tree as dashboards draw it. The
// aggregator does not know what a supervisor is: the program describes its
// tree with these and the aggregator carries it, like SourceInfo.
type Process struct {
	Name     string    `json:"name"`
	Strategy string    `json:"strategy,omitempty"` // for supervisors
	State    string    `json:"state,omitempty"`    // starting, running, backoff, failed, stopped
	Restarts int       `json:"restarts"`
	Children []Process `json:"children,omitempty"`
}

// Event is a notable happening pushed to every dashboard in the next
// delta's "events". Today one kind exists: "reload", a configuration
// reload, accepted (OK) or rejected (Errors holds its file:line:col lines).
type Event struct {
	Kind    string `json:"kind"`
	TimeMs  int64  `json:"ts"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
	// Errors are the reasons a reload was rejected, one per line.
	Errors []string `json:"errors,omitempty"`
	// Added, Removed and Changed name the sources a reload touched;
	// NeedsRestart the settings it could not apply live.
	Added        []string `json:"added,omitempty"`
	Removed      []string `json:"removed,omitempty"`
	Changed      []string `json:"changed,omitempty"`
	NeedsRestart []string `json:"needs_restart,omitempty"`
}

// maxPendingEvents bounds the events waiting for the next delta: Announce
// never blocks and never grows memory without bound, whoever calls it.
const maxPendingEvents = 64

// Announce queues e for the next delta, which is published even if no data
// changed. A zero TimeMs is stamped with the aggregator's clock. Safe for
// concurrent use; never blocks. Beyond maxPendingEvents unsent events the
// oldest are dropped and counted.
func (a *Aggregator) Announce(e Event) {
	if e.TimeMs == 0 {
		e.TimeMs = a.nowMs()
	}
	data, err := json.Marshal(e)
	if err != nil { // only strings and bools: cannot happen
		a.opts.Logger.Error("encode event", "err", err)
		return
	}
	a.eventsMu.Lock()
	defer a.eventsMu.Unlock()
	if len(a.pendingEvents) == maxPendingEvents {
		a.pendingEvents = slices.Delete(a.pendingEvents, 0, 1)
		a.stats.eventsDropped.Add(1)
	}
	a.pendingEvents = append(a.pendingEvents, data)
}

// takeEvents returns the events announced since the last call.
func (a *Aggregator) takeEvents() [][]byte {
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
