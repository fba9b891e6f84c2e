package main

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// A sampling profile of the page's script (the DevTools Profiler domain),
// summed by function: which of the page's functions the main thread's
// long tasks run. TestBrowserCPU15m prints it with PULSEBOARD_CPU_PROFILE=1.

// profileCost is one function's share of the sampled time, in ms: self
// (on top of the stack) and total (anywhere on it).
type profileCost struct {
	fn          string
	self, total float64
}

// profileSummary is what profileScript found: the sampled tasks (runs of
// samples not idle) longer than longMs, and the cost by function within
// them, by total time, largest first.
type profileSummary struct {
	tasks []float64 // ms each
	costs []profileCost
}

// profileScript samples the page's script every 200 µs over the next d
// and sums the samples of its tasks longer than longMs by function.
func profileScript(b *tab, d time.Duration, longMs float64) profileSummary {
	b.t.Helper()
	_, err := chromedp.Call(b.ctx, profiler.Enable, cdp.Empty{})
	require.NoError(b.t, err)
	_, err = chromedp.Call(b.ctx, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 200})
	require.NoError(b.t, err)
	_, err = chromedp.Call(b.ctx, profiler.Start, cdp.Empty{})
	require.NoError(b.t, err)
	select {
	case <-time.After(d):
	case <-b.ctx.Done():
		b.t.Fatal("browser gone during the profile")
	}
	res, err := chromedp.Call(b.ctx, profiler.Stop, cdp.Empty{})
	require.NoError(b.t, err)
	return summarizeProfile(res.Profile, longMs)
}

// summarizeProfile sums a profile's samples in its tasks (runs of samples
// not idle) longer than longMs by function.
func summarizeProfile(p *profiler.Profile, longMs float64) profileSummary {
	parent := map[int64]int64{}
	name := map[int64]string{}
	for _, n := range p.Nodes {
		for _, c := range n.Children {
			parent[c] = n.ID
		}
		f := n.CallFrame
		fn := f.FunctionName
		if fn == "" {
			fn = "(anonymous)"
		}
		if f.URL != "" {
			fn = fmt.Sprintf("%s %s:%d", fn, path.Base(f.URL), f.LineNumber+1)
		}
		name[n.ID] = fn
	}
	// Tasks: runs of samples between idle ones.
	type run struct{ from, to int }
	var runs []run
	start := -1
	for i, id := range p.Samples {
		idle := name[id] == "(idle)"
		if !idle && start < 0 {
			start = i
		}
		if idle && start >= 0 {
			runs = append(runs, run{start, i})
			start = -1
		}
	}
	if start >= 0 {
		runs = append(runs, run{start, len(p.Samples)})
	}
	self, total := map[string]float64{}, map[string]float64{}
	var s profileSummary
	for _, r := range runs {
		var wall float64
		for i := r.from + 1; i <= r.to && i < len(p.TimeDeltas); i++ {
			wall += float64(p.TimeDeltas[i]) / 1000
		}
		if wall < longMs {
			continue
		}
		s.tasks = append(s.tasks, wall)
		for i := r.from; i < r.to; i++ {
			ms := 0.0
			if i+1 < len(p.TimeDeltas) {
				ms = float64(p.TimeDeltas[i+1]) / 1000
			}
			id := p.Samples[i]
			self[name[id]] += ms
			seen := map[string]bool{}
			for ok := true; ok; id, ok = parent[id] {
				if n := name[id]; !seen[n] {
					seen[n] = true
					total[n] += ms
				}
			}
		}
	}
	for fn, t := range total {
		s.costs = append(s.costs, profileCost{fn, self[fn], t})
	}
	slices.SortFunc(s.costs, func(a, b profileCost) int { return cmp.Compare(b.total, a.total) })
	return s
}

func (s profileSummary) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d sampled tasks: %v ms\n", len(s.tasks), s.tasks)
	for i, c := range s.costs {
		if i == 40 {
			break
		}
		fmt.Fprintf(&sb, "  total %7.1f ms  self %7.1f ms  %s\n", c.total, c.self, c.fn)
	}
	return sb.String()
}
