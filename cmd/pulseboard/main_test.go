package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// When this variable is set the test binary runs pulseboard itself, so the
// end-to-end tests can start, signal and watch a real process without a
// separate build step.
const runAsPulseboard = "PULSEBOARD_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsPulseboard) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	// Configs read from files keep their history in the state directory:
	// the tests' is theirs, not the user's.
	home, err := os.MkdirTemp("", "pulseboard-test-state-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_STATE_HOME", home)
	// The fasthttp goroutines that outlive a stopped dashboard by design
	// (see dashboard/main_test.go), left by the in-process program tests.
	goleak.VerifyTestMain(m,
		goleak.Cleanup(func(int) { os.RemoveAll(home) }),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	)
}
