package main

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdpage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// What the open page costs the browser, measured as issue 12 asks: the
// renderer main thread's busy time (Performance.getMetrics TaskDuration)
// per wall second over a steady window, and the main-thread tasks longer
// than 100 ms in it (the Long Tasks API). The figures are printed; the test
// fails only on a gross regression, since the machine it runs on is shared.
//
//	go test ./cmd/pulseboard -run TestBrowserCPU -v
//	PULSEBOARD_CPU_WINDOW=60s go test ./cmd/pulseboard -run TestBrowserCPU -v
//
// BENCHMARKS.md has the figures and the targets (demo ≤ 10 %, 500 series
// ≤ 25 % with no stall over 100 ms).

const (
	cpuConfig500 = "testdata/browser_cpu_500.yaml" // 10 sources × 50 series
	// cpuWarmUp lets the first snapshot's drawing and the first chart
	// creations pass before the window opens.
	cpuWarmUp = 3 * time.Second
)

// longTaskHook records every main-thread task over 50 ms (the Long Tasks
// API's threshold) from the page's first script on, as [start, duration]
// in ms of the page's clock.
const longTaskHook = `window.__long = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push([e.startTime, e.duration]); })
  .observe({type: "longtask", buffered: true});`

// cpuFigures is one measurement: busy is the main thread's task time per
// wall second (0..1); script and layout are the parts spent running
// script and in style and layout; long counts the tasks over 50 ms (the
// Long Tasks API's), stalls those over 100 ms, and longest is the
// longest task, in ms.
type cpuFigures struct {
	busy, script, layout float64
	long, stalls         int
	longest              float64
}

func (f cpuFigures) String() string {
	return fmt.Sprintf("main thread busy %4.1f %% (script %4.1f %%, style+layout %4.1f %%), %d tasks > 50 ms, %d > 100 ms, longest %.0f ms",
		100*f.busy, 100*f.script, 100*f.layout, f.long, f.stalls, f.longest)
}

// cpuWindow is how long each measurement lasts: 15 s, or
// PULSEBOARD_CPU_WINDOW (a Go duration) for the full steady minute.
func cpuWindow(t *testing.T) time.Duration {
	t.Helper()
	s := os.Getenv("PULSEBOARD_CPU_WINDOW")
	if s == "" {
		return 15 * time.Second
	}
	d, err := time.ParseDuration(s)
	require.NoError(t, err, "PULSEBOARD_CPU_WINDOW")
	return d
}

// metrics reads the page's Performance metrics, by name.
func metrics(b *tab) map[string]float64 {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, performance.GetMetrics, cdp.Empty{})
	require.NoError(b.t, err)
	m := make(map[string]float64, len(res.Metrics))
	for _, x := range res.Metrics {
		m[x.Name] = x.Value
	}
	return m
}

// measureCPU measures the page over the next d. The window is the
// measurement itself, not a wait for something: the page keeps running
// while the test holds still.
func measureCPU(b *tab, d time.Duration) cpuFigures {
	b.t.Helper()
	startLong := eval[int](b, `window.__long.length`)
	m0 := metrics(b)
	select {
	case <-time.After(d):
	case <-b.ctx.Done():
		b.t.Fatal("browser gone during the measurement")
	}
	m1 := metrics(b)
	wall := m1["Timestamp"] - m0["Timestamp"]
	require.Positive(b.t, wall)
	delta := func(names ...string) float64 {
		var s float64
		for _, n := range names {
			s += m1[n] - m0[n]
		}
		return s / wall
	}
	f := cpuFigures{
		busy:   delta("TaskDuration"),
		script: delta("ScriptDuration"),
		layout: delta("RecalcStyleDuration", "LayoutDuration"),
	}
	long := eval[[][2]float64](b, fmt.Sprintf(`window.__long.slice(%d)`, startLong))
	f.long = len(long)
	for _, l := range long {
		if l[1] > 100 {
			f.stalls++
		}
		f.longest = max(f.longest, l[1])
	}
	return f
}

// openMeasuredPage starts pulseboard with args, opens the page in a
// 1280×900 tab with the Performance domain on, long tasks recorded and
// hooks (scripts run before the page's own) added, and waits for every
// series' card and for some charts to be drawn.
func openMeasuredPage(t *testing.T, hooks []string, args ...string) *tab {
	t.Helper()
	return openMeasuredPageAt(t, "/", hooks, args...)
}

// openMeasuredPageAt is openMeasuredPage at path (with its query: "/?window=15m").
func openMeasuredPageAt(t *testing.T, path string, hooks []string, args ...string) *tab {
	t.Helper()
	b := openTab(t, 1280, 900)
	cmd, base, stderr := startPulseboard(t, args...)
	t.Cleanup(func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	})
	for _, hook := range append([]string{longTaskHook}, hooks...) {
		_, err := chromedp.Call(b.ctx, cdpage.AddScriptToEvaluateOnNewDocument, cdpage.AddScriptToEvaluateOnNewDocumentParams{Source: hook})
		require.NoError(t, err)
	}
	_, err := chromedp.Call(b.ctx, performance.Enable, performance.EnableParams{})
	require.NoError(t, err)
	b.do(chromedp.Navigate(base + path))
	b.waitFor("the stream to be live", isLive)
	// The host source's series come with its first polls: count them once
	// the page is live.
	ids := seriesIDs(t, base)
	b.waitFor("every series on the page and charts drawn", fmt.Sprintf(
		`document.querySelectorAll(".card .line").length >= %d && document.querySelectorAll(".card .chart canvas").length > 0`, len(ids)))
	// The warm-up, like the window, is part of the measurement's design.
	select {
	case <-time.After(cpuWarmUp):
	case <-b.ctx.Done():
		t.Fatal("browser gone during the warm-up")
	}
	return b
}

// lastCard is the page's last card (of a metric family: lastValue is its
// legend's first value).
const (
	lastCard  = `[...document.querySelectorAll(".card")].at(-1)`
	lastValue = lastCard + `.querySelector(".line td").textContent`
)

func TestBrowserCPU(t *testing.T) {
	window := cpuWindow(t)
	// Gross regressions only: about four times the target for the demo,
	// and well past it for 500 series (the page before issue 12 measured
	// 61–78 % and 77–85 %).
	cases := []struct {
		name       string
		args       []string
		grossBusy  float64
		grossStall int
	}{
		{"demo", []string{"-listen", "127.0.0.1:0"}, 0.40, 5},
		{"500 series", []string{"-config", cpuConfig500}, 0.60, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := openMeasuredPage(t, nil, c.args...)
			series := eval[int](b, `document.querySelectorAll(".card .line").length`)
			live := measureCPU(b, window)
			t.Logf("%s (%d series), live, %s window: %s", c.name, series, window, live)
			if c.name == "500 series" {
				// The last card has been off screen all along: its text is
				// current all the same (only its chart waits to show), and
				// that is within the figures above.
				offscreen := eval[string](b, lastValue)
				require.NotContains(t, []string{"", "–"}, offscreen, "an off-screen card holds its figures")
			}

			b.do(chromedp.Click(chromedp.CSS("#pause")))
			b.waitFor("the page to pause", `document.body.classList.contains("is-paused")`)
			paused := measureCPU(b, window)
			t.Logf("%s (%d series), paused, %s window: %s", c.name, series, window, paused)

			require.Less(t, live.busy, c.grossBusy, "live page: gross regression")
			require.LessOrEqual(t, live.stalls, c.grossStall, "live page: gross regression in stalls")
			require.Less(t, paused.busy, c.grossBusy, "paused page: gross regression")
			require.Empty(t, b.problems())
		})
	}
}
