package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/cmd/testtool/fill"
	"github.com/pulseboard/pulseboard/configs"
)

// The stored history in a real browser (issue 15): a restart keeps the
// charts, the range picker reaches back into the stored tiers, a zoom
// loads finer data, the custom range refuses an empty span. What the page
// asks over its WebSocket is read as the DevTools protocol sees it.

// rangeConfig stores history, flushed every 200 ms, behind a stream of a
// minute: every preset of the picker is asked of the server.
const rangeConfig = "testdata/browser_range.yaml"

// rangeFrames are the range requests the page sent and the answers it got.
type rangeFrames struct {
	mu       sync.Mutex
	requests [][]byte
	answers  [][]byte
}

// recordRanges records the page's range messages from now on. The
// listener only copies (it runs on the tab's reading goroutine); they are
// decoded when read.
func recordRanges(b *tab) *rangeFrames {
	b.t.Helper()
	r := &rangeFrames{}
	isRange := func(p []byte) bool { return bytes.Contains(p[:min(len(p), 40)], []byte(`"type":"range"`)) }
	require.NoError(b.t, chromedp.Listen(b.ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventWebSocketFrameSent:
			if e.Response != nil && isRange(e.Response.PayloadData) {
				r.mu.Lock()
				r.requests = append(r.requests, bytes.Clone(e.Response.PayloadData))
				r.mu.Unlock()
			}
		case *network.EventWebSocketFrameReceived:
			if e.Response != nil && isRange(e.Response.PayloadData) {
				r.mu.Lock()
				r.answers = append(r.answers, bytes.Clone(e.Response.PayloadData))
				r.mu.Unlock()
			}
		}
	}))
	return r
}

// sent is the requests sent so far.
func (r *rangeFrames) sent(t *testing.T) []protocol.RangeRequest {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]protocol.RangeRequest, len(r.requests))
	for i, p := range r.requests {
		require.NoError(t, json.Unmarshal(p, &out[i]), "%s", p)
	}
	return out
}

// answer is the answer to request id, if it came.
func (r *rangeFrames) answer(t *testing.T, id int64) (protocol.RangeAnswer, bool) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.answers {
		var a protocol.RangeAnswer
		require.NoError(t, json.Unmarshal(p, &a), "%.200s", p)
		if a.ID == id {
			return a, true
		}
	}
	return protocol.RangeAnswer{}, false
}

// waitLong is waitFor with a bound of its own, for what comes at the
// server's pace rather than the page's (a new minute of a 1m tier).
func (b *tab) waitLong(what, expr string, bound time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, bound+time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(bound)))
	require.NoError(b.t, err, "waiting for %s\n%s", what, b.diagnose())
}

// afterFrames returns after the page drew two more frames: whatever it
// does at its next frame, it has done.
func afterFrames(b *tab) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](
		`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise))
	require.NoError(b.t, err)
}

// within makes the tab report to subtest t (a failure fails t, not its
// parent) until t ends.
func within(b *tab, t *testing.T) {
	parent := b.t
	b.t = t
	t.Cleanup(func() { b.t = parent })
}

// seriesChart is the chart element of the card that draws series id.
func seriesChart(id string) string {
	return fmt.Sprintf(`document.querySelector('.line[data-series="%s"]').closest(".card").querySelector(".chart")`, id)
}

const (
	allCharts = `[...document.querySelectorAll(".card .chart")]`
	// historyDrawn: every chart draws stored history, cut at a tier.
	historyDrawn = allCharts + `.every(c => c.dataset.band === "1" && c.dataset.tier)`
	// streamDrawn: no chart draws stored history.
	streamDrawn = allCharts + `.every(c => c.dataset.band === undefined && c.dataset.tier === undefined && c.dataset.step === undefined)`
	rangeParam  = `(new URL(location.href).searchParams.get("range") || "")`
	// clockOf renders unix ms as the page's formatClock does.
	clockOf = `(ms => { const d = new Date(ms); return [d.getHours(), d.getMinutes(), d.getSeconds()].map(n => String(n).padStart(2, "0")).join(":"); })`
)

// TestBrowserHistoryAfterRestart is a new user's story: pulseboard runs a
// few seconds, stops, starts again on the same data; the page opened then
// shows the first run's points with a gap, picking "1h" draws the stored
// history (the first run in it) live at its right edge, a drag zooms into
// finer data, and the window brings the stream back.
func TestBrowserHistoryAfterRestart(t *testing.T) {
	besideOthers(t)
	cmd, base, stderr := startPulseboard(t, "-config", rangeConfig)
	// The series come with the first poll, which a loaded machine may not
	// have published when the server answers.
	var ids []string
	require.Eventually(t, func() bool { ids = seriesIDs(t, base); return len(ids) == 2 }, 20*time.Second, 20*time.Millisecond,
		"testdata/browser_range.yaml has two series")
	first := map[string][]protocol.Point{}
	require.Eventually(t, func() bool {
		for _, id := range ids {
			first[id] = seriesPoints(t, base, id).Points
			if len(first[id]) < 12 {
				return false
			}
		}
		return true
	}, 20*time.Second, 50*time.Millisecond, "three seconds of samples")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr)
	// What the first run had when it was asked, it stored (a clean stop
	// loses nothing).
	var firstAt, stoppedAt int64
	for _, id := range ids {
		pts := first[id]
		if firstAt == 0 || pts[0].T < firstAt {
			firstAt = pts[0].T
		}
		stoppedAt = max(stoppedAt, pts[len(pts)-1].T)
	}

	cmd, base, stderr = startPulseboard(t, "-config", rangeConfig)
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()
	b := openTab(t, 1280, 900)
	frames := recordRanges(b)
	b.do(chromedp.Navigate(base + "/"))
	b.waitFor("the stream to be live", isLive)

	t.Run("the charts keep the first run's points, with a gap, without choosing anything", func(t *testing.T) {
		within(b, t)
		b.waitFor("every chart drawn", chartsDrawn(ids, 1))
		// The snapshot brings the stored points at once: counted at the
		// first drawing, before the new run could have made as many. Those
		// of them within the chart's view (the first window, 30s, at
		// least): on a loaded machine the first run and the restart may
		// last long enough for its oldest to have left it.
		for _, id := range ids {
			drawn := eval[int](b, `Number(`+seriesChart(id)+`.dataset.points)`)
			held := time.Now().Add(-30 * time.Second).UnixMilli()
			kept := 0
			for _, p := range first[id] {
				if p.T >= held {
					kept++
				}
			}
			// A counter is drawn as its rate: a point fewer.
			require.GreaterOrEqual(t, drawn, kept-1, "series %s: the first run's points", id)
		}
		b.waitFor("a gap where pulseboard was down", allCharts+`.every(c => Number(c.dataset.gaps) >= 1)`)
		want := eval[string](b, clockOf+fmt.Sprintf(`(%d)`, firstAt))
		b.waitFor("statistics since the first run", fmt.Sprintf(`[...document.querySelectorAll(".card .coverage")].every(c => !c.hidden &&
			(c.textContent === "Statistics since " + %[1]s || c.textContent.startsWith("Statistics since " + %[1]s + ", with a gap at ")))`, js(want)))
		require.Empty(t, frames.sent(t), "the stream's window needs no stored history")
	})

	gauge := seriesChart(ids[0])
	if eval[bool](b, seriesChart(ids[1])+`.closest(".card").dataset.metric === "temperature_celsius"`) {
		gauge = seriesChart(ids[1])
	}

	t.Run("1h draws the stored history, the first run in it, live at its right edge", func(t *testing.T) {
		within(b, t)
		asked := len(frames.sent(t))
		b.do(chromedp.Click(chromedp.CSS(`#ranges button[data-range="1h"]`)))
		b.waitFor("history on every chart", historyDrawn)
		require.Equal(t, "1h", eval[string](b, rangeParam))
		require.Equal(t, []string{"false", "false"}, eval[[]string](b, `[...document.querySelectorAll("#windows button")].map(b => b.getAttribute("aria-checked"))`))
		require.Equal(t, "true", eval[string](b, `document.querySelector('#ranges button[data-range="1h"]').getAttribute("aria-checked")`))
		require.True(t, eval[bool](b, `!!document.querySelector('.range-picker[data-range="1h"]')`))
		require.Equal(t, "1m", eval[string](b, gauge+`.dataset.tier`), "an hour of four samples a second is the 1m tier's")
		require.Equal(t, "60000", eval[string](b, gauge+`.dataset.step`))

		reqs := frames.sent(t)[asked:]
		require.NotEmpty(t, reqs)
		req := reqs[len(reqs)-1]
		require.ElementsMatch(t, ids, req.Series)
		require.InDelta(t, time.Hour.Milliseconds(), req.To-req.From, 1000)
		ans, ok := frames.answer(t, req.ID)
		require.True(t, ok, "the request was answered")
		require.Equal(t, "1m", ans.Tier)
		for _, s := range ans.Series {
			require.Empty(t, s.Error)
			require.NotEmpty(t, s.Points)
			require.LessOrEqual(t, s.Points[0].T, firstAt, "series %s: the first run's minute", s.ID)
		}

		// The open minute is carried on by the stream; a new minute is a
		// new point at the right edge.
		points := eval[int](b, `Number(`+gauge+`.dataset.points)`)
		b.waitLong("a new point at the right edge", fmt.Sprintf(`Number(%s.dataset.points) > %d && %s`, gauge, points, historyDrawn), 75*time.Second)
	})

	t.Run("axe-core finds no violation with history shown", func(t *testing.T) {
		within(b, t)
		b.waitFor("no animation running", `document.getAnimations().length === 0`)
		if vs := runAxe(b); len(vs) > 0 {
			t.Fatalf("axe-core: %d rules violated\n%s", len(vs), describeViolations(vs))
		}
	})

	t.Run("a drag zooms into finer data; a double-click goes back", func(t *testing.T) {
		within(b, t)
		// Drag only on charts that draw the hour's history: a chart between
		// two answers has no scale to drag on.
		b.waitFor("every chart drawing the hour", allCharts+`.every(c => c.dataset.band === "1" && c.dataset.tier && Number(c.dataset.points) > 0 && !c.dataset.view)`)
		asked := len(frames.sent(t))
		over := gauge + `.closest(".card").querySelector(".u-over")`
		// From 100 s to 45 s ago: past the stream's minute, so asked of
		// the stored history, and short enough for its raw samples to fit
		// a chart's width.
		x0, y := pointIn(b, over, 1-100.0/3600)
		x1, _ := pointIn(b, over, 1-45.0/3600)
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, (x0+x1)/2, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x1, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y, chromedp.ButtonLeft))
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("charts: %s\nrequests: %+v", eval[string](b, `JSON.stringify(`+allCharts+`.map(c => c.dataset))`), frames.sent(t)[asked:])
			}
		})
		b.waitFor("finer history on every chart", allCharts+`.every(c => c.dataset.view && c.dataset.band === "1" &&
			c.dataset.tier === "raw" && Number(c.dataset.step) < 60000)`)
		reqs := frames.sent(t)[asked:]
		require.NotEmpty(t, reqs)
		narrow := reqs[len(reqs)-1]
		require.Less(t, narrow.To-narrow.From, 5*time.Minute.Milliseconds(), "a narrower range is asked for")
		require.ElementsMatch(t, ids, narrow.Series)

		b.do(chromedp.MouseClickXY(x0, y, chromedp.ClickCount(2)))
		b.waitFor("the hour again", allCharts+`.every(c => c.dataset.view === undefined && c.dataset.band === "1" && c.dataset.tier === "1m")`)
		require.Equal(t, "1h", eval[string](b, rangeParam))
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1, 1))
	})

	t.Run("the 1m window brings the stream back", func(t *testing.T) {
		within(b, t)
		b.do(chromedp.Click(chromedp.CSS(`#windows button[data-window="1m"]`)))
		b.waitFor("the stream's charts", streamDrawn)
		require.Empty(t, eval[string](b, rangeParam))
		require.Equal(t, "true", eval[string](b, `document.querySelector('#windows button[data-window="1m"]').getAttribute("aria-checked")`))
		require.Equal(t, "", eval[string](b, `document.querySelector(".range-picker").dataset.range`))
		require.Regexp(t, `; over 1m min .+, max .+, mean .+$`, eval[string](b, gauge+`.getAttribute("aria-label")`))
		// Drawn from the stream again: moving on with the stream's samples
		// (by its newest time: a minute's window full of points keeps
		// their count).
		last := eval[int64](b, `Number(`+gauge+`.dataset.last)`)
		b.waitFor("the chart to move on", fmt.Sprintf(`Number(%s.dataset.last) > %d && %s`, gauge, last, streamDrawn))
	})

	t.Run("no console error and no CSP violation", func(t *testing.T) {
		within(b, t)
		require.Empty(t, b.problems())
	})
}

// TestBrowserCustomRange: the custom form applies a valid span (in the
// address as from..to) and refuses an empty one in words, asking nothing.
func TestBrowserCustomRange(t *testing.T) {
	besideOthers(t)
	cmd, base, stderr := startPulseboard(t, "-config", rangeConfig)
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()
	b := openTab(t, 1280, 900)
	frames := recordRanges(b)
	b.do(chromedp.Navigate(base + "/"))
	b.waitFor("the stream to be live", isLive)
	b.waitFor("every card drawn", `document.querySelectorAll(".card .chart canvas").length === 2`)

	b.do(chromedp.Click(chromedp.CSS("#range-custom")))
	b.waitFor("the form open", `!document.getElementById("range-form").hidden &&
		document.getElementById("range-custom").getAttribute("aria-expanded") === "true" &&
		document.activeElement.id === "range-from"`)

	t.Run("axe-core finds no violation with the picker open", func(t *testing.T) {
		within(b, t)
		b.waitFor("no animation running", `document.getAnimations().length === 0`)
		if vs := runAxe(b); len(vs) > 0 {
			t.Fatalf("axe-core: %d rules violated\n%s", len(vs), describeViolations(vs))
		}
	})

	// setInputs writes the form's inputs as a reader's typing would end.
	setInputs := func(from, to string) {
		require.True(t, eval[bool](b, fmt.Sprintf(`(() => { for (const [id, v] of [["range-from", %s], ["range-to", %s]]) {
			const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event("input", {bubbles: true})); } return true; })()`, js(from), js(to))))
	}
	localInput := func(ms int64) string {
		return eval[string](b, fmt.Sprintf(`(d => d.getFullYear() + "-" + [d.getMonth() + 1, d.getDate()].map(n => String(n).padStart(2, "0")).join("-") +
			"T" + [d.getHours(), d.getMinutes()].map(n => String(n).padStart(2, "0")).join(":"))(new Date(%d))`, ms))
	}
	now := time.Now().UnixMilli()

	t.Run("an end before the start is refused in words and asks nothing", func(t *testing.T) {
		within(b, t)
		asked := len(frames.sent(t))
		setInputs(localInput(now), localInput(now-time.Hour.Milliseconds()))
		b.do(chromedp.Click(chromedp.CSS(`#range-form button[type="submit"]`)))
		b.waitFor("the error", `!document.getElementById("range-error").hidden && document.getElementById("range-error").textContent !== ""`)
		require.False(t, eval[bool](b, `document.getElementById("range-form").hidden`), "the form stays open")
		require.Empty(t, eval[string](b, rangeParam))
		require.True(t, eval[bool](b, streamDrawn))
		// Whatever the page would send, it sends at its next frames.
		afterFrames(b)
		require.Len(t, frames.sent(t), asked, "nothing asked of the server")
	})

	t.Run("a valid span is applied, in the address and asked of the stored history", func(t *testing.T) {
		within(b, t)
		asked := len(frames.sent(t))
		from, to := now-30*time.Minute.Milliseconds(), now+time.Minute.Milliseconds()
		setInputs(localInput(from), localInput(to))
		b.do(chromedp.Click(chromedp.CSS(`#range-form button[type="submit"]`)))
		b.waitFor("history on every chart", historyDrawn+` && document.getElementById("range-form").hidden && document.getElementById("range-error").hidden`)
		wantFrom := eval[int64](b, fmt.Sprintf(`new Date(%s).getTime()`, js(localInput(from))))
		wantTo := eval[int64](b, fmt.Sprintf(`new Date(%s).getTime()`, js(localInput(to))))
		require.Equal(t, fmt.Sprintf("%d..%d", wantFrom, wantTo), eval[string](b, rangeParam))
		require.Equal(t, "custom", eval[string](b, `document.querySelector(".range-picker").dataset.range`))
		require.True(t, eval[bool](b, `document.getElementById("range-custom").classList.contains("is-active")`))
		b.waitFor("times on every chart's time axis", timeTicksReadable(false))
		reqs := frames.sent(t)[asked:]
		require.NotEmpty(t, reqs)
		require.True(t, slices.ContainsFunc(reqs, func(r protocol.RangeRequest) bool { return r.From == wantFrom && r.To == wantTo }),
			"asked for [%d, %d]: %+v", wantFrom, wantTo, reqs)
	})

	t.Run("a custom range opened from the address leads back to live: the button and the pill", func(t *testing.T) {
		within(b, t)
		from, to := now-40*time.Minute.Milliseconds(), now-20*time.Minute.Milliseconds()
		b.do(chromedp.Navigate(fmt.Sprintf("%s/?range=%d..%d", base, from, to)))
		b.waitFor("the span held, not live", `!document.getElementById("conn").disabled &&
			document.getElementById("conn").dataset.state === "history" && !document.getElementById("conn").disabled`)
		b.do(chromedp.Click(chromedp.CSS("#conn")))
		b.waitFor("live again", `document.getElementById("conn").disabled && document.getElementById("conn").disabled &&
			document.getElementById("conn-text").textContent === "live"`)
		require.Empty(t, eval[string](b, rangeParam))
	})

	t.Run("a week's span reads as dates, two labels or more apart from each other, wide and narrow", func(t *testing.T) {
		within(b, t)
		from, to := now-7*24*time.Hour.Milliseconds(), now+time.Minute.Milliseconds()
		b.do(chromedp.Click(chromedp.CSS("#range-custom")))
		b.waitFor("the form open", `!document.getElementById("range-form").hidden`)
		setInputs(localInput(from), localInput(to))
		b.do(chromedp.Click(chromedp.CSS(`#range-form button[type="submit"]`)))
		wantFrom := eval[int64](b, fmt.Sprintf(`new Date(%s).getTime()`, js(localInput(from))))
		b.waitFor("the week on every chart", historyDrawn+` && `+rangeParam+`.startsWith(`+js(fmt.Sprintf("%d..", wantFrom))+`)`)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("ticks: %s", eval[string](b, `JSON.stringify(`+allCharts+`.map(c => c.dataset.xTicks))`))
			}
		})
		b.waitFor("dates on every chart's time axis", timeTicksReadable(true))
		b.do(chromedp.EmulateViewport(390, 844))
		b.waitFor("dates on every narrow chart's time axis", allCharts+`.every(c => c.clientWidth < 360) && `+timeTicksReadable(true))
	})

	t.Run("no console error and no CSP violation", func(t *testing.T) {
		within(b, t)
		require.Empty(t, b.problems())
	})
}

// timeTicksReadable: every chart's time axis (its data-x-ticks, "label@x"
// by tick, x in CSS px) has two labels or more, none the same as the one
// before, none overlapping its neighbour in the charts' font; withDates:
// one of them a date ("Mon 30", "Nov 30").
func timeTicksReadable(withDates bool) string {
	return fmt.Sprintf(`(() => {
		const ctx = document.createElement("canvas").getContext("2d");
		ctx.font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
		const date = /^[A-Z][a-z]{2} \d{1,2}$/;
		return %s.every(c => {
			const ticks = (c.dataset.xTicks || "").split("|").filter(Boolean).map(s => {
				const i = s.lastIndexOf("@");
				return {label: s.slice(0, i), x: Number(s.slice(i + 1)), w: ctx.measureText(s.slice(0, i)).width};
			});
			return ticks.length >= 2 && (!%t || ticks.some(t => date.test(t.label))) &&
				ticks.every((t, i) => /^(\d\d:\d\d(:\d\d)?|[A-Z][a-z]{2} \d{1,2})$/.test(t.label) &&
					(i === 0 || (t.label !== ticks[i - 1].label && t.x - ticks[i - 1].x >= (t.w + ticks[i - 1].w) / 2 + 2)));
		});
	})()`, allCharts, withDates)
}

// fillHistory writes span of stored history for the series of config
// into the test's state directory (stateHome), ending now, before
// pulseboard starts: what a pulseboard running config would have kept.
func fillHistory(t *testing.T, config string, span time.Duration) {
	t.Helper()
	cfg, err := configs.Load(config)
	require.NoError(t, err)
	dir := filepath.Join(stateHome(t), "pulseboard")
	now := time.Now()
	st, err := fill.History(dir, cfg, now.Add(-span), now)
	require.NoError(t, err)
	t.Logf("filled %s of history: %d series, %d samples in %s", span, st.Series, st.Samples, st.Elapsed.Round(time.Millisecond))
}

// measureConfig writes a config of 100 simulated series, five lines on
// each of 20 cards, storing history where stateHome says.
func measureConfig(t *testing.T) string {
	t.Helper()
	var sb strings.Builder
	sb.WriteString("server:\n  listen: 127.0.0.1:0\nbroadcast: {interval: 100ms}\nsources:\n  - name: fleet\n    type: simulated\n    interval: 1s\n    seed: 11\n    series:\n")
	for i := range 20 {
		fmt.Fprintf(&sb, "      - {metric: load_%02d, shape: random_walk, min: 0, max: 100, noise: 5, count: 5}\n", i)
	}
	path := filepath.Join(t.TempDir(), "measure.yaml")
	require.NoError(t, os.WriteFile(path, []byte(sb.String()), 0o600))
	return path
}

// TestBrowserMeasureRange24h measures issue 15's figure: a page of 100
// series, a day of stored history, from the click on "24h" to every chart
// in sight drawing its history (≤ 300 ms over loopback). Timed in the
// page, from the click to the frame that draws the last band.
//
//	PULSEBOARD_MEASURE=1 go test ./cmd/pulseboard -run TestBrowserMeasureRange24h -v
func TestBrowserMeasureRange24h(t *testing.T) {
	if os.Getenv("PULSEBOARD_MEASURE") != "1" {
		t.Skip("set PULSEBOARD_MEASURE=1 to measure")
	}
	config := measureConfig(t)
	fillHistory(t, config, 24*time.Hour)

	cmd, base, stderr := startPulseboard(t, "-config", config)
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()
	require.Eventually(t, func() bool { return len(seriesIDs(t, base)) == 100 }, 10*time.Second, 20*time.Millisecond, "the first poll's 100 series")
	b := openTab(t, 1280, 900)
	b.do(chromedp.Navigate(base + "/"))
	b.waitFor("the stream to be live", isLive)
	b.waitFor("every card", `document.querySelectorAll(".card").length === 20`)

	const inSight = `[...document.querySelectorAll(".card .chart")].filter(c => { const r = c.getBoundingClientRect();
		return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth; })`
	// Cards out of sight are drawn only when scrolled to: those in sight.
	b.waitFor("the cards in sight drawn", inSight+`.length > 0 && `+inSight+`.every(c => c.querySelector("canvas"))`)
	ms, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](`new Promise(done => {
		const t0 = performance.now();
		document.querySelector('#ranges button[data-range="24h"]').click();
		const check = () => {
			const shown = `+inSight+`;
			if (shown.length && shown.every(c => c.dataset.band === "1")) done(performance.now() - t0);
			else requestAnimationFrame(check);
		};
		requestAnimationFrame(check);
	})`, chromedp.EvalAwaitPromise))
	require.NoError(t, err, b.diagnose())
	shown := eval[int](b, inSight+`.length`)
	t.Logf("24h on a page of 100 series: %d charts in sight drew their history %.0f ms after the click (tier %s, step %s ms)",
		shown, ms, eval[string](b, inSight+`[0].dataset.tier`), eval[string](b, inSight+`[0].dataset.step`))
	require.Less(t, ms, 300.0, "issue 15: a page of 100 series switching to 24 h shows its charts in ≤ 300 ms")
	require.Empty(t, b.problems())
}
