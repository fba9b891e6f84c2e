package supervisor

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Service is anything a Supervisor can run.
//
// Serve runs in a goroutine of its own and must return only once the service
// has fully stopped: every goroutine it started has ended and every resource
// it holds is released. Cancelling ctx is the only stop signal; a service
// that is cancelled should return promptly (within its Spec.Shutdown). The
// error it returns is its exit reason: nil is a normal exit, anything else
// (and a panic) a crash. A *Supervisor is itself a Service, so trees nest.
type Service interface {
	Serve(ctx context.Context) error
}

// Func adapts an ordinary function to a Service.
type Func func(ctx context.Context) error

// Serve calls f(ctx).
func (f Func) Serve(ctx context.Context) error { return f(ctx) }

// Restart says when a child is started again after it exits.
type Restart int

const (
	// Permanent children are always restarted, whatever the exit reason.
	Permanent Restart = iota
	// Transient children are restarted only after an error or a panic; a nil
	// return is a normal exit and the child stays stopped.
	Transient
	// Temporary children are never restarted, not even when a sibling's
	// crash stops them under one_for_all or rest_for_one.
	Temporary
)

// String returns "permanent", "transient" or "temporary".
func (r Restart) String() string {
	switch r {
	case Permanent:
		return "permanent"
	case Transient:
		return "transient"
	case Temporary:
		return "temporary"
	}
	return fmt.Sprintf("Restart(%d)", int(r))
}

// Strategy says which static siblings are restarted when one of them crashes.
// Dynamic children (see Supervisor.Add) are always handled one for one.
type Strategy int

const (
	// OneForOne restarts only the child that exited.
	OneForOne Strategy = iota
	// OneForAll stops every other static child (in reverse start order) and
	// starts them all again in start order.
	OneForAll
	// RestForOne stops the static children started after the one that exited
	// (in reverse start order) and starts it and them again in start order.
	RestForOne
	// Under OneForAll and RestForOne, temporary siblings are stopped and not
	// restarted; other siblings start again even if they had already exited
	// normally. A sibling stopped this way has not crashed: its own backoff
	// and limits are untouched.
)

// String returns "one_for_one", "one_for_all" or "rest_for_one".
func (s Strategy) String() string {
	switch s {
	case OneForOne:
		return "one_for_one"
	case OneForAll:
		return "one_for_all"
	case RestForOne:
		return "rest_for_one"
	}
	return fmt.Sprintf("Strategy(%d)", int(s))
}

// Spec describes one child.
type Spec struct {
	// Name identifies the child within its supervisor; it must be unique
	// and not empty.
	Name    string
	Service Service
	Restart Restart
	// Shutdown is how long the child gets to return after its context is
	// cancelled before it is reported as stuck; 0 means Config.Shutdown.
	Shutdown time.Duration
}

func (sp Spec) validate() error {
	switch {
	case sp.Name == "":
		return fmt.Errorf("%w: empty name", ErrInvalidSpec)
	case sp.Service == nil:
		return fmt.Errorf("%w: child %q has no service", ErrInvalidSpec, sp.Name)
	case sp.Restart < Permanent || sp.Restart > Temporary:
		return fmt.Errorf("%w: child %q has unknown restart policy %d", ErrInvalidSpec, sp.Name, int(sp.Restart))
	case sp.Shutdown < 0:
		return fmt.Errorf("%w: child %q has a negative shutdown timeout", ErrInvalidSpec, sp.Name)
	}
	return nil
}

// Errors returned by a Supervisor, always wrapped: test with errors.Is.
var (
	// ErrGaveUp: more than MaxRestarts restarts within Period; the supervisor
	// stopped its children and returned.
	ErrGaveUp = errors.New("supervisor gave up")
	// ErrStuck: a child did not return within its shutdown timeout after
	// being cancelled; its goroutine was abandoned.
	ErrStuck = errors.New("child stuck: ignored cancellation")
	// ErrDuplicate: Add with a name already in use.
	ErrDuplicate = errors.New("duplicate child name")
	// ErrNotFound: Remove of a name the supervisor does not know.
	ErrNotFound = errors.New("child not found")
	// ErrAlreadyRunning: Serve called while the supervisor is already serving.
	ErrAlreadyRunning = errors.New("supervisor already running")
	// ErrInvalidSpec: a Spec without a name or service, or with an unknown
	// restart policy.
	ErrInvalidSpec = errors.New("invalid child spec")
)

// PanicError is the exit reason of a child that panicked. It is counted as a
// crash like any other error.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack, from runtime/debug.Stack
}

// Error includes the panic value but not the stack, so it fits on one line.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value when it is an error, so errors.Is and
// errors.As see through a panic(err).
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}
