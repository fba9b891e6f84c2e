// Package supervisor supervises goroutines the way Erlang/OTP supervisors
// supervise processes: children are started in order, watched, restarted
// according to a policy, and stopped in reverse order. It knows nothing
// about metrics.
//
// # Model
//
// A child is a Service: Serve(ctx) error, run in a goroutine of its own,
// returning only once it has fully stopped. Cancelling its context is the
// only stop signal. Its return value is its exit reason; a panic is
// recovered into a *PanicError carrying the stack and treated as a crash.
// A *Supervisor is itself a Service, so supervisors nest into a tree, and a
// supervisor that gives up is, to its parent, a child that crashed.
//
// The mapping to OTP:
//
//	OTP                             this package
//	supervisor:start_link           New, then Serve (which blocks, as the process runs)
//	child_spec                      Spec: Name, Service, Restart, Shutdown
//	permanent, transient, temporary Permanent, Transient, Temporary
//	one_for_one, one_for_all        OneForOne, OneForAll
//	rest_for_one                    RestForOne
//	simple_one_for_one              dynamic children: Add and Remove at run time
//	intensity, period               Config.MaxRestarts, Config.Period
//	shutdown timeout, brutal_kill   Spec.Shutdown, then abandonment (see below)
//	exit signal to the parent       Serve returns an error wrapping ErrGaveUp
//
// # Strategies
//
// With OneForOne only the child that exited is restarted. With OneForAll
// every other static child is stopped in reverse start order and the whole
// set is started again in start order; with RestForOne the same happens to
// the children started after the one that exited. A child stopped because
// of a sibling's crash has not crashed: its own backoff is untouched.
// Temporary siblings are stopped and not restarted; other siblings are
// started again even if they had exited normally before. Dynamic children
// are never part of such a group: they are always handled one for one.
//
// Every restart waits a per-child backoff first: Backoff.Initial, doubled
// on each consecutive restart up to Backoff.Max, jittered by ±20% (never
// above Max), and reset once the child has stayed up for
// Backoff.ResetAfter. Events for a crash come in the order EventExited,
// EventRestarting (with the delay), then EventStarted after the delay.
//
// # Intensity versus parking
//
// Restarts of static children count against the supervisor's intensity:
// more than MaxRestarts within Period and the supervisor gives up — it
// stops all its children and Serve returns an error wrapping ErrGaveUp, so
// that the parent's strategy applies. That is right for children the
// program cannot do without.
//
// Dynamic children (one per metrics source, say) must not be able to take
// their siblings or the program down, so their restarts never count against
// the supervisor's intensity. Each has a limit of its own instead: more
// than ChildMaxRestarts crashes within ChildPeriod and it is parked in state
// StateFailed (EventParked), then tried again after Cooldown with a fresh count.
//
// # Stuck children
//
// Go cannot kill a goroutine. A child that does not return within its
// shutdown timeout after cancellation is reported as stuck (EventStuck and
// an error wrapping ErrStuck, returned by Serve or Remove, or recorded as
// the child's LastError during a restart) and the supervisor carries on
// without it: its goroutine is abandoned, left running until it returns on
// its own, and its late exit is ignored. A restart may therefore run a new
// instance beside a stuck old one; a child that can be stuck must tolerate
// that, and the leak is the price of never blocking the tree forever.
//
// # Concurrency
//
// While Serve runs, one goroutine (the run loop) owns every decision; Add
// and Remove are requests to it and Children reads a published copy. The
// Hook is called from the loop, never with a lock held. Time comes from the
// time package, so tests drive it with testing/synctest.
package supervisor
