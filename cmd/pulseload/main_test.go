package main

import (
	"testing"

	"go.uber.org/goleak"
)

// The end-to-end test serves a dashboard in process: fasthttp leaves two
// sleeping goroutines behind by design (see the dashboard's TestMain).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	)
}
