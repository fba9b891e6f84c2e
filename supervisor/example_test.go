package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pulseboard/pulseboard/supervisor"
)

// A worker that fails once is restarted after its backoff; the hook sees
// every step.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runs := 0
	worker := supervisor.Func(func(ctx context.Context) error {
		runs++ // runs never overlap: the next start waits for this return
		if runs == 1 {
			return errors.New("transient failure")
		}
		return nil // done for good: a transient child is not restarted
	})
	exits := 0
	s := supervisor.New(supervisor.Config{
		Name:    "example",
		Backoff: supervisor.Backoff{Initial: time.Millisecond},
		Rand:    func() float64 { return 0.5 }, // no jitter, for a stable output
		Hook: func(e supervisor.Event) {
			fmt.Println(e)
			if e.Kind == supervisor.EventExited {
				if exits++; exits == 2 {
					cancel()
				}
			}
		},
	}, supervisor.Spec{Name: "worker", Service: worker, Restart: supervisor.Transient})

	fmt.Println("serve:", s.Serve(ctx))
	fmt.Println("state:", s.Children()[0].State)
	// Output:
	// supervisor=example child=worker event=started restarts=0
	// supervisor=example child=worker event=exited restarts=0 err="transient failure"
	// supervisor=example child=worker event=restarting delay=1ms restarts=1
	// supervisor=example child=worker event=started restarts=1
	// supervisor=example child=worker event=exited restarts=1
	// serve: <nil>
	// state: stopped
}

// The tree pulseboard runs: a rest_for_one root over a one_for_one
// supervisor whose children (one per source) are added at run time.
func ExampleSupervisor_Add() {
	idle := supervisor.Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
	collectors := supervisor.New(supervisor.Config{Name: "collectors", Cooldown: time.Minute})
	root := supervisor.New(supervisor.Config{Name: "root", Strategy: supervisor.RestForOne},
		supervisor.Spec{Name: "aggregator", Service: idle},
		supervisor.Spec{Name: "collectors", Service: collectors},
		supervisor.Spec{Name: "dashboard", Service: idle},
	)
	for _, name := range []string{"host", "demo"} {
		if err := collectors.Add(supervisor.Spec{Name: name, Service: idle}); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println(collectors.Add(supervisor.Spec{Name: "demo", Service: idle}))
	for _, c := range collectors.Children() {
		fmt.Println(c.Name, c.State, c.Dynamic)
	}
	_ = root // root.Serve(ctx) runs the whole tree until ctx is cancelled
	// Output:
	// supervisor "collectors": child "demo": duplicate child name
	// host starting true
	// demo starting true
}
