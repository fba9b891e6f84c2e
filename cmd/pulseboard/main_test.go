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
	// The fasthttp goroutines that outlive a stopped dashboard by design
	// (see dashboard/main_test.go), left by the in-process program tests.
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	)
}
