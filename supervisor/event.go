package supervisor

import (
	"fmt"
	"strings"
	"time"
)

// State is where a child is in its life cycle. The constants carry the
// State prefix because Backoff is already the name of the delay settings.
type State int

const (
	// StateStarting: added, its goroutine not launched yet (before Serve,
	// or between Add and its start).
	StateStarting State = iota
	// StateRunning: its Serve is running.
	StateRunning
	// StateBackoff: waiting out its backoff delay before a restart.
	StateBackoff
	// StateFailed: a dynamic child parked after too many crashes, waiting
	// for its cooldown.
	StateFailed
	// StateStopped: stopped by the supervisor, removed, or exited for good
	// (temporary child, or transient child that returned nil).
	StateStopped
)

// String returns "starting", "running", "backoff", "failed" or "stopped".
func (s State) String() string {
	switch s {
	case StateStarting:
		return "starting"
	case StateRunning:
		return "running"
	case StateBackoff:
		return "backoff"
	case StateFailed:
		return "failed"
	case StateStopped:
		return "stopped"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// ChildStatus is a copy of one child's state, as returned by Children.
type ChildStatus struct {
	Name      string
	State     State
	Restarts  int       // total restarts since added, sibling-caused and cooldown retries included
	LastError error     // last non-nil exit reason (a stuck stop included)
	Since     time.Time // when State was entered
	Dynamic   bool      // added with Add rather than given to New
}

// EventKind is what happened to a child or to the supervisor.
type EventKind int

const (
	// EventStarted: the child's goroutine was launched.
	EventStarted EventKind = iota
	// EventExited: the child's Serve returned; Err is its reason (nil for a
	// normal exit or a clean stop).
	EventExited
	// EventRestarting: the child will be started again after Delay.
	EventRestarting
	// EventGaveUp: restart intensity exceeded; Child is the one whose crash
	// tipped it over, Err the error the supervisor returns.
	EventGaveUp
	// EventStuck: the child ignored cancellation past its shutdown timeout;
	// Err wraps ErrStuck. Its goroutine is abandoned.
	EventStuck
	// EventParked: a dynamic child crashed too often and is StateFailed until
	// it is retried after Delay (the cooldown); Err is its last reason.
	EventParked
)

// String returns "started", "exited", "restarting", "gave_up", "stuck" or
// "parked".
func (k EventKind) String() string {
	switch k {
	case EventStarted:
		return "started"
	case EventExited:
		return "exited"
	case EventRestarting:
		return "restarting"
	case EventGaveUp:
		return "gave_up"
	case EventStuck:
		return "stuck"
	case EventParked:
		return "parked"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one state change, delivered to Config.Hook. A crash produces
// EventExited (Err = reason), then EventRestarting (Delay), then, once the
// delay has passed, EventStarted.
type Event struct {
	Time       time.Time
	Supervisor string
	Child      string
	Kind       EventKind
	Err        error         // exit reason (nil for a clean exit), stuck or gave-up error
	Delay      time.Duration // EventRestarting: backoff before the restart; EventParked: cooldown
	Restarts   int           // the child's restarts so far; for EventGaveUp, restarts within Period
}

// String renders the event as one logfmt-style line, without the time
// (loggers add their own), for example
// `supervisor=collectors child=demo event=restarting delay=200ms restarts=3 err="boom"`.
func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "supervisor=%s", e.Supervisor)
	if e.Child != "" {
		fmt.Fprintf(&b, " child=%s", e.Child)
	}
	fmt.Fprintf(&b, " event=%s", e.Kind)
	if e.Kind == EventRestarting || e.Kind == EventParked {
		fmt.Fprintf(&b, " delay=%s", e.Delay)
	}
	fmt.Fprintf(&b, " restarts=%d", e.Restarts)
	if e.Err != nil {
		fmt.Fprintf(&b, " err=%q", e.Err.Error())
	}
	return b.String()
}
