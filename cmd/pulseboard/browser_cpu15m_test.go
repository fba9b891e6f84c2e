package main

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBrowserCPU15m is TestBrowserCPU's 500 series at the 15-minute
// window, with 15 minutes of their history (written before the server
// starts, as TestBrowserMeasureLoad15m does): every chart then holds 900
// points a series, and what the page does per delta or per second over a
// whole window shows here and not at the default minute. The figures are
// printed; the test fails only on a gross regression (the target is
// ≤ 25 % busy with no task over 100 ms; BENCHMARKS.md has the figures).
//
//	go test ./cmd/pulseboard -run TestBrowserCPU15m -v
//	PULSEBOARD_CPU_WINDOW=60s go test ./cmd/pulseboard -run TestBrowserCPU15m -v
//	PULSEBOARD_CPU_PROFILE=1 go test ./cmd/pulseboard -run TestBrowserCPU15m -v
//	PULSEBOARD_CPU_TRACE=1 go test ./cmd/pulseboard -run TestBrowserCPU15m -v
//
// PULSEBOARD_CPU_PROFILE=1 adds a sampling profile of the page's tasks
// over 50 ms, by function, after the measurement; PULSEBOARD_CPU_TRACE=1
// a DevTools trace of the main thread (browser_trace_test.go), with its
// tasks counted by their CPU time (cpuTasks).
func TestBrowserCPU15m(t *testing.T) {
	window := cpuWindow(t)
	fillHistory(t, cpuConfig500, 15*time.Minute)
	b := openMeasuredPageAt(t, "/?window=15m", nil, "-config", cpuConfig500)
	series := eval[int](b, `document.querySelectorAll(".card .line").length`)
	b.waitLong("the charts in sight to hold their 15 minutes",
		`[...document.querySelectorAll(".card .chart")].some(c => Number(c.dataset.points) >= 850)`, 20*time.Second)
	live := measureCPU(b, window)
	t.Logf("500 series (%d), 15m window with 15 min of history, live, %s window: %s", series, window, live)
	if os.Getenv("PULSEBOARD_CPU_PROFILE") == "1" {
		t.Logf("profile, tasks over 50 ms:\n%s", profileScript(b, window, 50))
	}
	if os.Getenv("PULSEBOARD_CPU_TRACE") == "1" {
		tr := traceMainThread(b, window)
		t.Logf("trace, %s window: %s\n%s", window, cpuTasks(tr), tr)
	}
	// Gross regressions only, as TestBrowserCPU's 500 series (10 stalls
	// in its 15 s): the page of main before this test came stalled 41–47
	// times a minute at load average 6–10.
	require.Less(t, live.busy, 0.60, "live page: gross regression")
	require.LessOrEqual(t, float64(live.stalls), 10*window.Seconds()/15, "live page: gross regression in stalls")
	require.Empty(t, b.problems())
}

// cpuTasks counts a trace's main-thread tasks by the thread's own CPU
// time, which a wait for a core does not inflate: on a shared machine the
// Long Tasks API's wall times count every other process's work too.
func cpuTasks(s traceSummary) string {
	var over50, over100 int
	var longest float64
	for _, task := range s.long {
		if task.cpu > 50 {
			over50++
		}
		if task.cpu > 100 {
			over100++
		}
		longest = max(longest, task.cpu)
	}
	return fmt.Sprintf("main thread CPU %.1f ms/s; tasks by their CPU time: %d > 50 ms, %d > 100 ms, longest %.0f ms", s.cpu, over50, over100, longest)
}
