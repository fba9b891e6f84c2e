package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// A DevTools trace of the open page (the devtools.timeline categories, as
// the Performance panel records), summed by event name: where the
// renderer's main thread spends its time besides script (style, layout,
// paint, canvas raster, compositing), which Performance.getMetrics folds
// into one TaskDuration. TestBrowserChartDraws prints it with
// PULSEBOARD_DRAWS_TRACE=1.

// traceEvent is one event of a Chrome trace (its JSON format).
type traceEvent struct {
	Name string  `json:"name"`
	Ph   string  `json:"ph"`
	Ts   float64 `json:"ts"`   // µs
	Dur  float64 `json:"dur"`  // µs, for complete ("X") events
	Tdur float64 `json:"tdur"` // µs of the thread's CPU time, for complete events
	Pid  int     `json:"pid"`
	Tid  int     `json:"tid"`
	Args struct {
		Name string `json:"name"` // a thread_name metadata event's
	} `json:"args"`
}

// traceCost is one event name's share of the renderer main thread: its
// self time (its duration less that of the events nested in it) and how
// many there were, per wall second of the trace.
type traceCost struct {
	name            string
	selfMs, selfCPU float64
	each, count     float64
}

// traceTask is one long top-level task of the main thread: its wall and
// CPU time (ms) and its biggest parts by self time.
type traceTask struct {
	at, wall, cpu float64
	parts         []traceCost
}

// traceSummary is what traceMainThread found on the renderer main
// thread, per wall second: the busy time (top-level tasks) and its CPU
// time (the thread's own, which a wait for a core does not inflate), the
// self time by event name, largest first, and the tasks longer than
// longTaskMs wall.
type traceSummary struct {
	busy, cpu float64
	costs     []traceCost
	long      []traceTask
}

const longTaskMs = 16

// traceMainThread records a trace of the page over the next d.
func traceMainThread(b *tab, d time.Duration) traceSummary {
	b.t.Helper()
	var (
		mu     sync.Mutex
		events []traceEvent
		done   = make(chan struct{})
	)
	require.NoError(b.t, chromedp.Listen(b.ctx, func(ev any) {
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			mu.Lock()
			for _, v := range e.Value {
				var te traceEvent
				if json.Unmarshal(v, &te) == nil {
					events = append(events, te)
				}
			}
			mu.Unlock()
		case *tracing.EventTracingComplete:
			close(done)
		}
	}))
	_, err := chromedp.Call(b.ctx, tracing.Start, tracing.StartParams{TraceConfig: &tracing.TraceConfig{
		IncludedCategories: []string{"devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "cc", "gpu", "toplevel", "v8.execute"},
	}})
	require.NoError(b.t, err)
	select {
	case <-time.After(d):
	case <-b.ctx.Done():
		b.t.Fatal("browser gone during the trace")
	}
	_, err = chromedp.Call(b.ctx, tracing.End, struct{}{})
	require.NoError(b.t, err)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.t.Fatal("the trace did not complete")
	}
	mu.Lock()
	defer mu.Unlock()
	return mainThreadCosts(events, d.Seconds())
}

// mainThreadCosts sums the complete events of the renderer main threads
// (CrRendererMain) by name as self time (an event's time less that of the
// events nested in it), per second of a trace secs long.
func mainThreadCosts(events []traceEvent, secs float64) traceSummary {
	type key struct{ pid, tid int }
	main := map[key]bool{}
	for _, e := range events {
		if e.Ph == "M" && e.Name == "thread_name" && e.Args.Name == "CrRendererMain" {
			main[key{e.Pid, e.Tid}] = true
		}
	}
	byThread := map[key][]traceEvent{}
	for _, e := range events {
		if k := (key{e.Pid, e.Tid}); e.Ph == "X" && main[k] {
			byThread[k] = append(byThread[k], e)
		}
	}
	var sum traceSummary
	self := map[string]*traceCost{}
	for _, evs := range byThread {
		// Outer events first where two start together.
		slices.SortFunc(evs, func(a, b traceEvent) int { return cmp.Or(cmp.Compare(a.Ts, b.Ts), cmp.Compare(b.Dur, a.Dur)) })
		type open struct {
			e               traceEvent
			child, childCPU float64
		}
		var (
			stack []open
			task  map[string]*traceCost // the current top-level task's parts
		)
		add := func(into map[string]*traceCost, name string, wall, cpu float64) {
			c := into[name]
			if c == nil {
				c = &traceCost{name: name}
				into[name] = c
			}
			c.selfMs += wall
			c.selfCPU += cpu
			c.count++
		}
		closeTo := func(ts float64) {
			for len(stack) > 0 && stack[len(stack)-1].e.Ts+stack[len(stack)-1].e.Dur <= ts {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				wall, cpu := top.e.Dur-top.child, max(0, top.e.Tdur-top.childCPU)
				add(self, top.e.Name, wall, cpu)
				add(task, top.e.Name, wall, cpu)
				if len(stack) > 0 {
					stack[len(stack)-1].child += top.e.Dur
					stack[len(stack)-1].childCPU += top.e.Tdur
					continue
				}
				sum.busy += top.e.Dur
				sum.cpu += top.e.Tdur
				if top.e.Dur/1000 >= longTaskMs {
					sum.long = append(sum.long, traceTask{at: top.e.Ts / 1000, wall: top.e.Dur / 1000, cpu: top.e.Tdur / 1000, parts: sortedCosts(task, 1)})
				}
			}
		}
		for _, e := range evs {
			closeTo(e.Ts)
			if len(stack) == 0 {
				task = map[string]*traceCost{}
			}
			stack = append(stack, open{e: e})
		}
		closeTo(1e300)
	}
	sum.costs = sortedCosts(self, secs)
	sum.busy /= 1000 * secs
	sum.cpu /= 1000 * secs
	return sum
}

// sortedCosts lists costs (times in µs) as ms and counts per secs seconds,
// largest self time first.
func sortedCosts(costs map[string]*traceCost, secs float64) []traceCost {
	out := make([]traceCost, 0, len(costs))
	for _, c := range costs {
		out = append(out, traceCost{name: c.name, selfMs: c.selfMs / 1000 / secs, selfCPU: c.selfCPU / 1000 / secs, count: c.count / secs, each: c.selfMs / 1000 / c.count})
	}
	slices.SortFunc(out, func(a, b traceCost) int { return cmp.Compare(b.selfMs, a.selfMs) })
	return out
}

// String writes the summary: the first costs by name (per second), then the long tasks and their biggest parts.
func (s traceSummary) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "renderer main thread busy %.1f ms/s (CPU %.1f ms/s); self time by event, a second:\n", s.busy, s.cpu)
	// The frames' lifecycle and the canvases, counted: what the load does not change.
	for _, c := range s.costs {
		switch c.name {
		case "ProxyMain::BeginMainFrame::commit", "LocalFrameView::performLayout", "Document::updateStyle", "Paint", "Canvas2DResourceProvider::ProduceCanvasResource":
			fmt.Fprintf(&sb, "  count: %s %.1f/s\n", c.name, c.count)
		}
	}
	for _, c := range s.costs[:min(25, len(s.costs))] {
		fmt.Fprintf(&sb, "  %-50s %6.1f ms (CPU %5.1f)  %6.1f times  %6.2f ms each\n", c.name, c.selfMs, c.selfCPU, c.count, c.each)
	}
	fmt.Fprintf(&sb, "tasks over %d ms: %d; the longest:\n", longTaskMs, len(s.long))
	long := slices.SortedFunc(slices.Values(s.long), func(a, b traceTask) int { return cmp.Compare(b.wall, a.wall) })
	for _, t := range long[:min(8, len(long))] {
		fmt.Fprintf(&sb, "  %.0f ms wall, %.0f ms CPU:", t.wall, t.cpu)
		for _, p := range t.parts[:min(6, len(t.parts))] {
			fmt.Fprintf(&sb, " %s %.1f;", p.name, p.selfMs)
		}
		sb.WriteString("\n")
	}
	return sb.String()
}
