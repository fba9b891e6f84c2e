package dashboard

import (
	"testing"

	"go.uber.org/goleak"
)

// Two fasthttp goroutines outlive a stopped server by design, both asleep in
// time.Sleep (so IgnoreTopFunction, which would see time.Sleep, cannot name
// them): the process-wide Date header refresher, started once and never
// stopped, and a stopped worker pool's idle-worker cleaner, which notices
// the stop only after its current sleep (up to 10s). Everything else must
// be gone.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	)
}
