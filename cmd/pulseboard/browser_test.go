package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// The dashboard in a real browser: headless Chromium, driven with chromedp,
// against a real pulseboard process on loopback. Every wait is a condition
// polled inside the page, never a sleep.

const (
	browserConfig     = "testdata/browser.yaml"
	browserAdminToken = "browser-test-admin-token" // as in testdata/browser.yaml
	browserWait       = 15 * time.Second
)

// chromiumPath finds Chromium on PATH. Without it the browser tests skip,
// except under CI=true, where a missing browser is a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	return testtool.Require(t, "chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "headless-shell")
}

// cspHook runs before the page's own scripts (it is injected by the
// DevTools protocol, which the page's CSP does not govern) and records
// every Content-Security-Policy violation the page commits.
const cspHook = `window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber));`

// tab is one headless browser with one page, and what its console said.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// openTab starts Chromium with a fresh profile and a viewport of w×h.
// The browser and the console reader end with the test.
// besideOthers runs a test side by side with the others that call it
// (t.Parallel, GOMAXPROCS at a time): browser and process tests whose time
// is mostly spent waiting for the page, the server or the clock (a minute
// to turn, a restart, a cluster to form), and which measure no CPU or
// load, so that the package's run is not the sum of their waits. The tests that measure (TestBrowserCPU*, TestBrowserMeasureLoad*,
// the draw counts) do not call it: Go runs the parallel ones only after
// every sequential test of the package has finished, so nothing of this
// package runs beside a measurement.
func besideOthers(t *testing.T) {
	t.Parallel()
}

func openTab(t *testing.T, w, h int64) *tab {
	t.Helper()
	exe := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(w), int(h)),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	b := &tab{t: t, ctx: ctx}

	// Console starts the browser; no timeout on this first use, since a
	// timeout there would stop the browser with it.
	messages := chromedp.Console(ctx)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		<-readerDone
	})
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspHook})
	require.NoError(t, err)
	b.do(chromedp.EmulateViewport(w, h))
	return b
}

// do runs actions with the usual bound.
func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserWait)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, steps...), b.diagnose())
}

// waitFor polls a JavaScript condition in the page (every animation
// frame) until it holds.
func (b *tab) waitFor(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserWait+time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(browserWait)))
	require.NoError(b.t, err, "waiting for %s\n%s", what, b.diagnose())
}

// eval evaluates an expression in the page.
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(b.t, err, "evaluating %s\n%s", expr, b.diagnose())
	return v
}

// problems lists the console errors, uncaught exceptions and CSP
// violations so far, leaving out messages that match an allowed pattern.
func (b *tab) problems(allowed ...string) []string {
	b.t.Helper()
	var out []string
	b.mu.Lock()
	for _, m := range b.console {
		bad := m.IsException() || m.Type == chromedp.ConsoleError || m.Source == "security" ||
			strings.Contains(m.Text, "Content Security Policy")
		if bad && !matchesAny(m.Text, allowed) {
			out = append(out, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
		}
	}
	b.mu.Unlock()
	for _, v := range eval[[]string](b, `window.__csp || []`) {
		out = append(out, "CSP violation: "+v)
	}
	return out
}

func matchesAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// diagnose describes the page and its console, for failure messages.
func (b *tab) diagnose() string {
	var sb strings.Builder
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		url: location.href, conn: document.body && document.body.dataset.conn,
		status: (document.getElementById("conn-text") || {}).textContent,
		cards: document.querySelectorAll(".card").length,
		groups: [...document.querySelectorAll(".group")].map(g => g.dataset.source + ":" + g.dataset.state),
		coverage: [...document.querySelectorAll(".card .coverage")].map(c => (c.hidden ? "hidden:" : "") + c.textContent),
		timeline: [...document.querySelectorAll("#timeline .event")].map(e => e.dataset.kind + ":" + e.dataset.source + " " + e.textContent.trim())})`))
	fmt.Fprintf(&sb, "page: %s %v\n", state, err)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		fmt.Fprintf(&sb, "console %s\n", m)
	}
	return sb.String()
}

// seriesIDs asks the REST API which series the server has.
func seriesIDs(t *testing.T, base string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/snapshot?points=0", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var snap struct {
		Series []struct {
			ID string `json:"id"`
		} `json:"series"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&snap))
	ids := make([]string, 0, len(snap.Series))
	for _, s := range snap.Series {
		ids = append(ids, s.ID)
	}
	return ids
}

// js renders a Go value as a JavaScript literal.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// chartsDrawn holds when every listed series is a line of a card whose
// chart is a uPlot canvas with at least min points, and no other series is
// on the page.
func chartsDrawn(ids []string, minPoints int) string {
	return fmt.Sprintf(`((ids, min) => document.querySelectorAll(".card .line").length === ids.length &&
		ids.every(id => {
			const line = document.querySelector('.line[data-series="' + id + '"]');
			const c = line && line.closest(".card").querySelector(".chart");
			return c && c.querySelector("canvas") && Number(c.dataset.points) >= min;
		}))(%s, %d)`, js(ids), minPoints)
}

const isLive = `document.body.dataset.conn === "live" && document.getElementById("stale").hidden`

func TestBrowserDashboard(t *testing.T) {
	besideOthers(t)
	b := openTab(t, 1280, 900)
	cmd, base, stderr := startPulseboard(t, "-config", browserConfig)
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()

	b.do(chromedp.Navigate(base + "/?admin=" + browserAdminToken))
	b.waitFor("the stream to be live", isLive)

	t.Run("admin token leaves the address bar for session storage", func(t *testing.T) {
		require.Equal(t, base+"/", eval[string](b, `location.href`))
		require.Equal(t, browserAdminToken, eval[string](b, `sessionStorage.getItem("pulseboard.admin")`))
		b.waitFor("crash buttons", `[...document.querySelectorAll(".crash")].every(b => !b.hidden) &&
			document.querySelectorAll(".crash").length === 2`)
	})

	t.Run("every series gets a chart", func(t *testing.T) {
		ids := seriesIDs(t, base)
		require.Len(t, ids, 6, "testdata/browser.yaml has six series")
		b.waitFor("a chart with points for every series", chartsDrawn(ids, 3))
		require.Equal(t, 5, eval[int](b, `document.querySelectorAll(".card").length`), "one card per metric")
	})

	t.Run("series of one metric share a chart, with a legend to hide or solo lines", func(t *testing.T) {
		const card = `document.querySelector('.group[data-source="spiky"] .card[data-metric="shard_load_percent"]')`
		const chartLines = card + `.querySelector(".chart").dataset.lines`
		require.Equal(t, "instance,0,1", eval[string](b, `[`+card+`.querySelector("thead th").textContent,
			...[...`+card+`.querySelectorAll(".line-name")].map(b => b.textContent)].join()`))
		require.Equal(t, "2", eval[string](b, chartLines))
		require.Regexp(t, `^\d+(\.\d+)? %$`, eval[string](b, card+`.querySelector(".line td").textContent`), "the line's value in the legend")
		b.do(chromedp.Click(chromedp.CSS(`.group[data-source="spiky"] .card[data-metric="shard_load_percent"] .line-name`)))
		b.waitFor("line 0 alone", chartLines+` === "1" && `+card+`.querySelectorAll('.line-name[aria-pressed="true"]').length === 1`)
		b.do(chromedp.Click(chromedp.CSS(`.group[data-source="spiky"] .card[data-metric="shard_load_percent"] .line-name`)))
		b.waitFor("both lines again", chartLines+` === "2"`)
	})

	t.Run("a legend fits its card at phone and tablet widths, and figures show whole", func(t *testing.T) {
		// Every legend and figure of every card: its right edge within the
		// card's, nothing cut with an ellipsis; at a phone's width the
		// figures wrap under the name instead of scrolling, the hint shown.
		const fits = `[...document.querySelectorAll(".card")].flatMap(card => {
			const c = card.getBoundingClientRect(), bad = [];
			const box = card.querySelector(".legend-box");
			const family = Number(card.dataset.lines) > 1;
			if (family && box.scrollWidth > box.clientWidth + 1 && innerWidth < 600) bad.push(card.dataset.metric + ": the legend scrolls on a phone");
			if (family) for (const e of box.querySelectorAll("tr:not([hidden]) > *, caption"))
				if (e.getBoundingClientRect().right > Math.min(c.right, box.getBoundingClientRect().right) + 0.5 && innerWidth < 600)
					bad.push(card.dataset.metric + ": " + e.textContent + " runs out to " + Math.round(e.getBoundingClientRect().right) + " of " + Math.round(c.right));
			if (box.getBoundingClientRect().right > c.right + 0.5) bad.push(card.dataset.metric + ": the legend box is wider than its card");
			// The value axis' top label, centred on the plot's top edge at the highest (6 px: half its 11 px font and a little), clear of the text above by 4 px.
			const above = Math.max(...[...card.querySelectorAll(".card-head, .labels, .reading")].filter(e => e.offsetParent).map(e => e.getBoundingClientRect().bottom)), over = card.querySelector(".u-over");
			if (over && over.getBoundingClientRect().top - 6 < above + 4) bad.push(card.dataset.metric + ": the top axis label touches the text above the chart");
			for (const dd of card.querySelectorAll(".stats dd"))
				if (dd.offsetParent && (dd.scrollWidth > dd.clientWidth + 1 || dd.getBoundingClientRect().right > c.right + 0.5)) bad.push(card.dataset.metric + ": " + dd.textContent + " is cut");
			return bad; }).join("; ")`
		defer b.do(chromedp.EmulateViewport(1280, 900))
		for _, w := range []int64{320, 390, 768, 1280} {
			b.do(chromedp.EmulateViewport(w, 900))
			b.waitFor(fmt.Sprintf("%d px wide", w), fmt.Sprintf(`innerWidth === %d`, w))
			afterFrames(b)
			require.Empty(t, eval[string](b, fits), "at %d px", w)
			require.LessOrEqual(t, eval[int64](b, `document.documentElement.scrollWidth`), w, "the page is wider than %d px", w)
		}
		const shard = `document.querySelector('.group[data-source="spiky"] .card[data-metric="shard_load_percent"]')`
		b.do(chromedp.EmulateViewport(390, 900))
		b.waitFor("390 px wide", `innerWidth === 390`)
		require.True(t, eval[bool](b, `(r => r.querySelectorAll("td").length === 4 && [...r.querySelectorAll("td")].every(td => td.getBoundingClientRect().width > 0 &&
			td.getBoundingClientRect().top >= r.querySelector("th").getBoundingClientRect().bottom - 0.5))(`+shard+`.querySelector("tbody tr"))`),
			"at a phone's width a line's figures sit under its name")
		require.True(t, eval[bool](b, `(h => h.getBoundingClientRect().height > 0 && h.getBoundingClientRect().right <= `+shard+`.getBoundingClientRect().right + 0.5)(`+shard+`.querySelector(".legend-hint"))`),
			"the hint is shown")
		b.do(chromedp.EmulateViewport(1280, 900))
		b.waitFor("1280 px wide", `innerWidth === 1280`)
	})

	t.Run("values change over time", func(t *testing.T) {
		card := `'.group[data-source="demo"] .card '`
		temp := fmt.Sprintf(`[...document.querySelectorAll(%s.trim())].find(c => c.querySelector(".metric").textContent === "temperature_celsius")`, card)
		first := eval[string](b, temp+`.querySelector(".value").textContent`)
		points := eval[string](b, temp+`.querySelector(".chart").dataset.points`)
		b.waitFor("the temperature to change", fmt.Sprintf(`%s.querySelector(".value").textContent !== %s`, temp, js(first)))
		b.waitFor("the chart to grow", fmt.Sprintf(`Number(%s.querySelector(".chart").dataset.points) > %s`, temp, points))
		require.Contains(t, eval[string](b, temp+`.querySelector(".unit").textContent`), "°C")
	})

	t.Run("a card out of sight keeps its figures current", func(t *testing.T) {
		// Only its chart waits to be scrolled to: the text (Ctrl+F, a
		// screen reader's table navigation) is written at the clock's tick.
		const temp = `document.querySelector('.group[data-source="demo"] .card[data-metric="temperature_celsius"]')`
		b.do(chromedp.EmulateViewport(1280, 200))
		defer func() {
			b.do(chromedp.EmulateViewport(1280, 900))
			require.True(t, eval[bool](b, `(window.scrollTo(0, 0), true)`))
		}()
		b.waitFor("200 px high", `innerHeight === 200`)
		require.True(t, eval[bool](b, `(() => { const c = `+temp+`; const top = c.getBoundingClientRect().top + scrollY;
			window.scrollTo(0, top > innerHeight ? 0 : top + c.offsetHeight + 10);
			const r = c.getBoundingClientRect(); return r.bottom <= 0 || r.top >= innerHeight; })()`), "the card scrolled out of sight")
		first := eval[string](b, temp+`.querySelector(".value").textContent`)
		require.NotContains(t, []string{"", "–"}, first)
		b.waitFor("the temperature to change out of sight", fmt.Sprintf(`%s.querySelector(".value").textContent !== %s`, temp, js(first)))
		require.True(t, eval[bool](b, `(() => { const r = `+temp+`.getBoundingClientRect(); return r.bottom <= 0 || r.top >= innerHeight; })()`), "still out of sight")
	})

	t.Run("a tooltip under the pointer, a crosshair on every chart", func(t *testing.T) {
		const over = `document.querySelector('.group[data-source="demo"] .card[data-metric="temperature_celsius"] .u-over')`
		x, y := pointIn(b, over, 0.6)
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y))
		b.waitFor("the tooltip", over+`.querySelector(".chart-tip") && !`+over+`.querySelector(".chart-tip").hidden`)
		tip := eval[string](b, over+`.querySelector(".chart-tip").textContent`)
		require.Regexp(t, `^\d\d:\d\d:\d\d`+`temperature_celsiusvalue\d+(\.\d+)?°C$`, tip)
		b.waitFor("the crosshair on the other charts, without their tooltip", `[...document.querySelectorAll(".card .u-over")].filter(o => o !== `+over+`)
			.every(o => !o.querySelector(".u-cursor-x").classList.contains("u-off") && (!o.querySelector(".chart-tip") || o.querySelector(".chart-tip").hidden))`)
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1, 1))
		b.waitFor("the tooltip gone", over+`.querySelector(".chart-tip").hidden`)
	})

	t.Run("a drag zooms every chart; a double-click goes back to live", func(t *testing.T) {
		const over = `document.querySelector('.group[data-source="spiky"] .card .u-over')`
		const views = `[...document.querySelectorAll(".card .chart")].map(c => c.dataset.view)`
		const temp = `document.querySelector('.group[data-source="demo"] .card[data-metric="temperature_celsius"]')`
		// Eight seconds of points (one each 100 ms): the zoom below, of a
		// chart's first ten seconds, falls within them.
		b.waitFor("8 s of temperatures", `Number(`+temp+`.querySelector(".chart").dataset.points) >= 80`)
		x0, y := pointIn(b, over, 0.3)
		x1, _ := pointIn(b, over, 0.7)
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, (x0+x1)/2, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x1, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y, chromedp.ButtonLeft))
		b.waitFor("every chart on one range", `(v => v.length === 5 && v.every(x => x && x === v[0]))(`+views+`) && !document.getElementById("conn").disabled`)
		zoomed := eval[string](b, views+`[0]`)
		require.Regexp(t, `^\d\d:\d\d:\d\d–\d\d:\d\d:\d\d$`, eval[string](b, `document.getElementById("conn-text").textContent`))
		// A span of the past: the pill says so, and the cards show its
		// statistics and the last value within it, with its time.
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1, 1)) // no crosshair: the cards show their readings
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("pill %q, note %q, label %q", eval[string](b, `document.getElementById("conn-text").textContent`),
					eval[string](b, temp+`.querySelector(".note").textContent`), eval[string](b, temp+`.querySelector(".chart").getAttribute("aria-label")`))
			}
		})
		b.waitFor("the pill and the cards on the zoom's span", `/^\d\d:\d\d:\d\d–\d\d:\d\d:\d\d$/.test(document.getElementById("conn-text").textContent) &&
			document.getElementById("conn").dataset.state === "history" &&
			/^last point at \d\d:\d\d:\d\d$/.test(`+temp+`.querySelector(".note").textContent) &&
			/ at \d\d:\d\d:\d\d; over \d\d:\d\d:\d\d–\d\d:\d\d:\d\d min /.test(`+temp+`.querySelector(".chart").getAttribute("aria-label"))`)
		value := eval[string](b, temp+`.querySelector(".value").textContent`)
		const messages = `Number(document.getElementById("ov-messages").textContent.replace(/,/g, ""))`
		seen := eval[int](b, messages)
		b.waitFor("more messages", fmt.Sprintf(`%s >= %d`, messages, seen+20))
		require.Equal(t, zoomed, eval[string](b, views+`[0]`), "a zoomed chart stays on its range")
		require.Equal(t, value, eval[string](b, temp+`.querySelector(".value").textContent`), "a zoomed card's value stays the span's")
		b.do(chromedp.MouseClickXY(x0, y, chromedp.ClickCount(2)))
		b.waitFor("live again", views+`.every(v => v === undefined) && document.getElementById("conn").disabled`)
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1, 1))
		b.waitFor("the pill and the cards live again", `document.getElementById("conn-text").textContent === "live" &&
			`+temp+`.querySelector(".note").textContent === "" && / now; over 1m /.test(`+temp+`.querySelector(".chart").getAttribute("aria-label"))`)
	})

	t.Run("the crash button raises the restart count", func(t *testing.T) {
		const group = `document.querySelector('.group[data-source="demo"]')`
		const node = `document.querySelector('.node[data-source="demo"]')`
		before := eval[int](b, `Number(`+group+`.querySelector('[data-fact="restarts"] dd').dataset.count)`)
		require.Equal(t, before, eval[int](b, `Number(`+node+`.querySelector(".restarts").dataset.count)`))

		const crash = `document.querySelector('.group[data-source="demo"] .crash')`
		require.Equal(t, "Crash demo", eval[string](b, crash+`.textContent`), "the button names its source")
		b.do(chromedp.Click(chromedp.CSS(`.group[data-source="demo"] .crash`)))
		require.Equal(t, "Really crash demo?", eval[string](b, crash+`.textContent`), "the first crash of the session asks to confirm")
		require.Equal(t, before, eval[int](b, `Number(`+group+`.querySelector('[data-fact="restarts"] dd').dataset.count)`))
		b.do(chromedp.Click(chromedp.CSS(`.group[data-source="demo"] .crash`)))
		// The backoff (100 ms) is held in view as past once it ended: the
		// badge says "restarted", as the line beside it does, not "backoff".
		b.waitFor("the restart held in view", group+`.dataset.state === "restarted" && `+node+`.dataset.state === "restarted" &&
			`+group+`.querySelector(".badge").textContent === "restarted" && /restarted at \d\d:\d\d:\d\d/.test(`+group+`.querySelector(".health-note").textContent)`)
		b.waitFor("the source to run again, restarted once", fmt.Sprintf(`%s.dataset.state === "running" &&
			%s.querySelector('[data-fact="restarts"] dd').dataset.count === "%d" &&
			%s.dataset.state === "running" && %s.querySelector(".restarts").dataset.count === "%d"`,
			group, group, before+1, node, node, before+1))
		// The other source was not touched.
		require.Equal(t, "0", eval[string](b, `document.querySelector('.node[data-source="spiky"] .restarts').dataset.count`))
		// The node pulsed for the change and stops: the updates that keep
		// coming leave it in place rather than restarting its animation.
		b.waitFor("the tree node's pulse to end", `!`+node+`.classList.contains("pulse") && `+node+`.getAnimations({subtree: true}).length === 0`)
	})

	t.Run("the timeline tells of the crash, with a marker on the source's charts", func(t *testing.T) {
		const entries = `[...document.querySelectorAll("#timeline .event")]`
		// Only the crash and the restart are the test's doing; a loaded
		// machine may add the weather (a slow reader's connection dropped
		// and resumed, a poll past its timeout), which the timeline rightly
		// tells too.
		const demoLife = entries + `.filter(e => e.dataset.source === "demo" && /^(crash|restart)$/.test(e.dataset.kind))`
		b.waitFor("the crash and the restart, newest first", demoLife+`.map(e => e.dataset.kind + ":" + e.dataset.source).join() === "restart:demo,crash:demo" &&
			/^\d\d:\d\d:\d\d$/.test(`+demoLife+`[1].querySelector("time").textContent)`)
		require.Regexp(t, `^Restarted (now|\d+s ago)\.$`, eval[string](b, `document.querySelector('.group[data-source="demo"] .health-note').textContent`))
		// A chart draws its source's markers and the page's (a lost
		// connection): demo's charts draw one more than spiky's for each
		// marked entry of demo's, the crash among them.
		b.waitFor("a crash marker on demo's charts only", `(() => {
			const marks = (src) => [...document.querySelectorAll('.group[data-source="' + src + '"] .chart')].map(c => Number(c.dataset.markers));
			const own = (src) => `+entries+`.filter(e => e.dataset.source === src && /^(crash|parked|down|alert-firing)$/.test(e.dataset.kind)).length;
			const demo = marks("demo"), spiky = marks("spiky");
			return own("demo") >= 1 && demo.length > 0 && spiky.length > 0 &&
				demo.every(n => n === demo[0]) && spiky.every(n => n === spiky[0]) &&
				demo[0] - spiky[0] === own("demo") - own("spiky");
		})()`)
		require.True(t, eval[bool](b, `(() => { const f = document.getElementById("tl-source");
			f.value = "spiky"; f.dispatchEvent(new Event("change")); return true; })()`))
		// Page-wide entries (the server started, the connection) belong to
		// every source's timeline; no other source's may show.
		b.waitFor("only spiky's entries and the page's, none of demo's", entries+`.every(e => e.dataset.source === "spiky" || !e.dataset.source) &&
			(`+entries+`.length > 0 || /^Nothing has happened to spiky in the last \d+ (min|h)\.$/.test(document.querySelector("#timeline .event-none").textContent))`)
		require.True(t, eval[bool](b, `(() => { const f = document.getElementById("tl-source");
			f.value = ""; f.dispatchEvent(new Event("change")); return true; })()`))
		b.waitFor("every entry again", demoLife+`.length === 2 && `+entries+`.some(e => e.dataset.source !== "spiky")`)
	})

	t.Run("after a page reload the crash is still in the timeline, at its time, and on the charts", func(t *testing.T) {
		const crashes = `[...document.querySelectorAll('#timeline .event[data-kind="crash"][data-source="demo"]')]`
		const when = crashes + `.map(e => e.querySelector("time").getAttribute("datetime") + " " + e.querySelector("time").textContent)`
		before := eval[[]string](b, when)
		require.Len(t, before, 1)
		b.do(chromedp.Reload())
		b.waitFor("the stream to be live again", isLive)
		// The server's events came with the snapshot: the same crash, at
		// the same time, and its restart, though the page opened after.
		b.waitFor("the crash and the restart from the snapshot's events", crashes+`.length === 1 &&
			[...document.querySelectorAll('#timeline .event[data-kind="restart"][data-source="demo"]')].length === 1`)
		require.Equal(t, before, eval[[]string](b, when))
		// "When did it last crash?" is answered on the first screen of a
		// fresh page: demo's tree node says so, in sight without a scroll,
		// and the tree's line names it.
		require.True(t, eval[bool](b, `(window.scrollTo(0, 0), true)`))
		b.waitFor("demo's last crash in the tree, in sight", `(c => !!c && !c.hidden && /^last crash \d\d:\d\d:\d\d/.test(c.textContent) &&
			c.getBoundingClientRect().top >= 0 && c.getBoundingClientRect().bottom <= innerHeight)(
			document.querySelector('.tree [data-source="demo"]').closest("li").querySelector(".crash-at")) &&
			/ · last crash demo \d\d:\d\d:\d\d/.test(document.getElementById("tree-summary").textContent)`)
		b.waitFor("the crash marked on demo's charts again", `(() => {
			const marks = (src) => [...document.querySelectorAll('.group[data-source="' + src + '"] .chart')].map(c => Number(c.dataset.markers));
			const demo = marks("demo"), spiky = marks("spiky");
			return demo.length > 0 && spiky.length > 0 && demo[0] > spiky[0];
		})()`)
	})

	t.Run("pause freezes the page while data keeps coming", func(t *testing.T) {
		const chart = `document.querySelector('.group[data-source="demo"] .card .chart')`
		const messages = `Number(document.getElementById("ov-messages").textContent.replace(/,/g, ""))`
		const waiting = `Number((document.getElementById("conn-text").textContent.match(/^paused · (\d+) waiting$/) || [0, 0])[1])`
		const text = `document.getElementById("groups").textContent + document.getElementById("tree").textContent`
		b.do(chromedp.Click(chromedp.CSS("#pause")))
		b.waitFor("the page to pause", `document.body.classList.contains("is-paused")`)
		// By the newest time drawn: a redraw of a full window keeps its
		// count of points.
		frozen := eval[int64](b, `Number(`+chart+`.dataset.last)`)
		seen := eval[int](b, messages)
		before := eval[string](b, text)
		b.waitFor("updates waiting", waiting+` >= 20`)
		require.Equal(t, frozen, eval[int64](b, `Number(`+chart+`.dataset.last)`), "a paused chart was redrawn")
		require.Equal(t, seen, eval[int](b, messages), "the overview's figures stand still")
		require.Equal(t, before, eval[string](b, text), "no text of the cards, panels or tree changes")
		b.do(chromedp.Click(chromedp.CSS("#pause")))
		b.waitFor("the chart to catch up", fmt.Sprintf(`Number(%s.dataset.last) > %d`, chart, frozen))
	})

	t.Run("the filter narrows the cards by metric or source", func(t *testing.T) {
		const visible = `[...document.querySelectorAll(".card")].filter(c => !c.hidden && !c.closest(".group").hidden)`
		b.do(chromedp.SendKeys(chromedp.CSS("#filter"), "temperature"))
		b.waitFor("only the temperature card", visible+`.map(c => c.querySelector(".metric").textContent).join() === "temperature_celsius" &&
			document.querySelector('.group[data-source="spiky"]').hidden`)
		require.True(t, eval[bool](b, `(() => { const f = document.getElementById("filter");
			f.value = "spiky"; f.dispatchEvent(new Event("input")); return true; })()`))
		b.waitFor("the spiky cards", visible+`.length === 2 && document.querySelector('.group[data-source="demo"]').hidden`)
		// The supervision tree lists the sources the filter shows, its supervisors stay.
		const treeSources = `[...document.querySelectorAll("#tree .node.is-source")].filter(n => !n.closest("li[hidden]")).map(n => n.dataset.source).join()`
		b.waitFor("the tree narrowed to spiky", treeSources+` === "spiky" && !document.querySelector('#tree [data-key="root/collectors"]').closest("li[hidden]")`)
		require.True(t, eval[bool](b, `(() => { const f = document.getElementById("filter");
			f.value = ""; f.dispatchEvent(new Event("input")); return true; })()`))
		b.waitFor("every card again", visible+`.length === 5`)
		b.waitFor("every source in the tree again", `document.querySelectorAll("#tree li[hidden]").length === 0 && `+treeSources+`.includes("demo")`)
		require.True(t, eval[bool](b, `(() => { const f = document.getElementById("filter");
			f.value = "instance=1"; f.dispatchEvent(new Event("input")); return true; })()`))
		b.waitFor("the chip's label matched, and counted", visible+`.map(c => c.dataset.metric).join() === "shard_load_percent" &&
			document.getElementById("filter-count").textContent === "1 of 6 series"`)
		require.True(t, eval[bool](b, `(() => { const f = document.getElementById("filter");
			f.value = ""; f.dispatchEvent(new Event("input")); return true; })()`))
		b.waitFor("every card, no count", visible+`.length === 5 && document.getElementById("filter-count").hidden`)
		require.True(t, eval[bool](b, `(() => { const f = document.getElementById("filter");
			f.value = "{{"; f.dispatchEvent(new Event("input")); return true; })()`))
		b.waitFor("an invalid filter marked and not applied", `document.getElementById("filter").getAttribute("aria-invalid") === "true" &&
			!document.getElementById("filter-error").hidden && `+visible+`.length === 5`)
		require.True(t, eval[bool](b, `(() => { const f = document.getElementById("filter");
			f.value = ""; f.dispatchEvent(new Event("input")); return true; })()`))
		b.waitFor("valid again", `!document.getElementById("filter").hasAttribute("aria-invalid") && document.getElementById("filter-error").hidden`)
	})

	t.Run("the window selector switches the statistics window", func(t *testing.T) {
		require.Equal(t, "1m,5m,15m", eval[string](b, `[...document.querySelectorAll("#windows button")].map(b => b.textContent).join()`))
		b.do(chromedp.Click(chromedp.CSS(`#windows [data-window="5m"]`)))
		b.waitFor("5m chosen, in the address and not in storage", `document.querySelector('#windows [data-window="5m"]').getAttribute("aria-checked") === "true" &&
			new URL(location.href).searchParams.get("window") === "5m" &&
			JSON.parse(localStorage.getItem("pulseboard.ui") || "{}").window === undefined`)
	})

	t.Run("no console error and no CSP violation", func(t *testing.T) {
		require.Empty(t, b.problems())
	})
}

// pointIn is a point inside the element el evaluates to, scrolled into
// view: at fraction fx of its width, mid-height, in CSS pixels of the
// viewport.
func pointIn(b *tab, el string, fx float64) (float64, float64) {
	b.t.Helper()
	// A group under content-visibility: auto takes its real height only
	// when a frame renders it, and so do its neighbours: what was scrolled
	// into sight moves in the frames after the scroll (on a loaded machine,
	// away from the pointer sent to it). The element is scrolled to again
	// while it moves, and read once it has held still for three frames
	// (chromedp.Poll runs once a frame).
	b.waitFor("the element scrolled into sight and still", `(e => {
		const key = r => [r.left, r.top, r.width, r.height].join();
		const now = key(e.getBoundingClientRect());
		if (now !== window.__pointAt) {
			e.scrollIntoView({block: "center"});
			window.__pointAt = key(e.getBoundingClientRect());
			window.__pointStill = 0;
			return false;
		}
		return ++window.__pointStill >= 3;
	})(`+el+`)`)
	r := eval[[]float64](b, `(r => [r.left, r.top, r.width, r.height])((`+el+`).getBoundingClientRect())`)
	return r[0] + fx*r[2], r[1] + r[3]/2
}

func TestBrowserReconnectsAfterServerRestart(t *testing.T) {
	besideOthers(t)
	b := openTab(t, 1280, 900)
	addr := freePort(t)
	cmd, base, stderr := startPulseboard(t, "-config", browserConfig, "-listen", addr)

	b.do(chromedp.Navigate(base + "/?admin=" + browserAdminToken))
	b.waitFor("the stream to be live", isLive)
	b.waitFor("crash buttons", `[...document.querySelectorAll(".crash")].length === 2`)
	ids := seriesIDs(t, base)
	b.waitFor("charts with some history", chartsDrawn(ids, 5))
	const firstChart = `document.querySelector('.group[data-source="demo"] .card .chart')`
	pointsBefore := eval[int](b, `Number(`+firstChart+`.dataset.points)`)
	require.Equal(t, "0", eval[string](b, firstChart+`.dataset.gaps`), "no gap before the outage")

	liveColor := eval[string](b, `getComputedStyle(document.querySelector(".card:not(.is-family) .value")).color`)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	b.waitFor("the page to show it is reconnecting", `document.body.dataset.conn === "reconnecting" &&
		!document.getElementById("stale").hidden &&
		/^(reconnecting in \d+s|stale since \d\d:\d\d:\d\d)$/.test(document.getElementById("conn-text").textContent)`)
	b.waitFor("states unknown while disconnected, last success stale", `[...document.querySelectorAll(".group")].every(g => g.dataset.state === "unknown") &&
		[...document.querySelectorAll("#tree .node")].every(n => !n.dataset.state || n.dataset.state === "unknown") &&
		[...document.querySelectorAll('[data-fact="success"] dd')].every(d => /^(\d\d:\d\d:\d\d \(stale\)|unknown)$/.test(d.textContent))`)
	// The headline values too: dimmed, "(stale)" beside each, and said
	// first in each chart's text alternative.
	b.waitFor("every card's figures marked stale", `[...document.querySelectorAll(".card")].every(c => c.classList.contains("is-offline") &&
		/^Stale, the connection is lost: /.test(c.querySelector(".chart").getAttribute("aria-label")) &&
		(c.classList.contains("is-family") || (n => n.offsetWidth > 0 && n.textContent === "(stale)")(c.querySelector(".offline-note")))) &&
		(v => getComputedStyle(v).fontStyle === "italic" && getComputedStyle(v).color !== `+js(liveColor)+`)(document.querySelector(".card:not(.is-family) .value"))`)
	checkDisconnected(t, b)
	// Stale is marked, not faded: the text keeps its contrast.
	require.Equal(t, "1", eval[string](b, `getComputedStyle(document.querySelector(".content")).opacity`))
	for _, v := range runAxe(b) {
		require.NotEqual(t, "color-contrast", v.ID, "while disconnected:\n%s", describeViolations([]axeViolation{v}))
	}
	// Every state's word in the tree, and the sidebar still fits its
	// column: nothing to scroll sideways, every restart count in sight.
	require.Equal(t, "", eval[string](b, sidebarOverflow), "while disconnected")

	// The new server has another admin token.
	cfg, err := os.ReadFile(browserConfig)
	require.NoError(t, err)
	otherToken := filepath.Join(t.TempDir(), "other-token.yaml")
	require.NoError(t, os.WriteFile(otherToken, []byte(strings.Replace(string(cfg), browserAdminToken, "another-admin-token", 1)), 0o600))
	cmd, _, stderr = startPulseboard(t, "-config", otherToken, "-listen", addr)
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()
	b.waitFor("the stream to be live again", isLive)
	// The charts keep what they had and grow with the new server's data.
	b.waitFor("history kept and growing", fmt.Sprintf(`Number(%s.dataset.points) > %d`, firstChart, pointsBefore))
	// The outage is a null point between the two servers' data: a gap, not
	// a line drawn across it.
	b.waitFor("a gap across the outage", `Number(`+firstChart+`.dataset.gaps) >= 1`)
	b.waitFor("the outage in the timeline", `(k => k.includes("connection-lost") && k.includes("connection-resumed") && k.includes("server-restart"))(
		[...document.querySelectorAll("#timeline .event")].map(e => e.dataset.kind))`)
	b.waitFor("the server restart marked on every chart", `[...document.querySelectorAll(".card .chart")].every(c => Number(c.dataset.markers) >= 1)`)
	b.waitFor("every series charted", chartsDrawn(ids, 5))
	b.waitFor("the cards' figures current again", `[...document.querySelectorAll(".card")].every(c => !c.classList.contains("is-offline") &&
		!/Stale/.test(c.querySelector(".chart").getAttribute("aria-label")) && c.querySelector(".offline-note").offsetWidth === 0)`)
	b.waitFor("the family cards' figures current again", familiesUnmarked)
	// The new server restored the first run's history (the same state
	// directory), so its statistics start with that run, and the outage
	// after it is a gap within them when that run held more than the
	// caption's slack (2 s) of data: on a loaded machine it does.
	b.waitFor("statistics that say since when the new server holds data", `[...document.querySelectorAll(".card .coverage")].every(c => !c.hidden &&
		/^Statistics since \d\d:\d\d:\d\d(, with a gap at \d\d:\d\d:\d\d)?$/.test(c.textContent))`)

	b.waitFor("the refused admin token asked for again, the crash buttons hidden", `!document.getElementById("admin-form").hidden &&
		/did not accept/.test(document.getElementById("admin-hint").textContent) &&
		[...document.querySelectorAll(".crash")].every(b => b.hidden) && !sessionStorage.getItem("pulseboard.admin")`)
	b.do(chromedp.SendKeys(chromedp.CSS("#admin-token"), "another-admin-token\n"))
	b.waitFor("the crash buttons back", `[...document.querySelectorAll(".crash")].length === 2 && [...document.querySelectorAll(".crash")].every(b => !b.hidden)`)
	require.Equal(t, "", eval[string](b, sidebarOverflow), "live again, the outage in the timeline")

	// The refused connections while the server was down are the browser's
	// own network errors, and the token check the new server refused (401)
	// too; anything else is a problem.
	require.Empty(t, b.problems("WebSocket connection to", "ERR_CONNECTION_REFUSED", "status of 401"))
}

// sidebarOverflow says what of the sidebar is out of its column: "" when
// it does not scroll sideways and every node's restart count is inside it.
const sidebarOverflow = `(s => {
	const out = [], r = s.getBoundingClientRect();
	if (s.scrollWidth > s.clientWidth) out.push("content " + s.scrollWidth + " px in " + s.clientWidth + ": " +
		[...s.querySelectorAll("*")].filter(e => e.getBoundingClientRect().right > r.right + 0.5 && ![...e.children].some(c => c.getBoundingClientRect().right > r.right + 0.5)).slice(0, 8)
			.map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + e.className + " " + Math.round(e.getBoundingClientRect().width) + " px").join(", "));
	for (const c of s.querySelectorAll(".node .restarts")) {
		const cr = c.getBoundingClientRect();
		if (!c.hidden && (cr.right > r.right || cr.right > c.closest(".node").getBoundingClientRect().right + 0.5)) out.push(c.closest(".node").textContent + " cut");
	}
	return out.join("; ");
})(document.querySelector(".side"))`

// TestScreenshot writes the README's screenshot from a real run, in the
// dark theme at the given path and in the light theme beside it:
//
//	PULSEBOARD_SCREENSHOT=docs/screenshot.png go test ./cmd/pulseboard -run TestScreenshot
//
// A relative path is taken from the repository root.
func TestScreenshot(t *testing.T) {
	out := os.Getenv("PULSEBOARD_SCREENSHOT")
	if out == "" {
		t.Skip("set PULSEBOARD_SCREENSHOT=docs/screenshot.png to write the screenshot")
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join("..", "..", out)
	}
	b := openTab(t, 1280, 900)
	cmd, base, stderr := startPulseboard(t, "-config", "testdata/browser-screenshot.yaml")
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()
	setScheme(t, b, "dark")
	b.do(chromedp.Navigate(base + "/?admin=" + browserAdminToken))
	b.waitFor("the stream to be live", isLive)

	// Let data flow until the first chart holds about 25 s of it.
	slow := browserWait
	ctx, cancel := context.WithTimeout(b.ctx, 3*slow)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](
		`Number(document.querySelector('.group[data-source="demo"] .card .chart').dataset.points) >= 100`,
		chromedp.WithPollingTimeout(3*slow)))
	require.NoError(t, err, b.diagnose())

	// A crash and its restart, so that the tree shows it.
	const node = `document.querySelector('.node[data-source="demo"]')`
	// Pressed twice: the first crash of a session asks to confirm.
	b.do(chromedp.Click(chromedp.CSS(`.group[data-source="demo"] .crash`)),
		chromedp.Click(chromedp.CSS(`.group[data-source="demo"] .crash`)))
	b.waitFor("the restart", node+`.dataset.state === "running" && `+node+`.querySelector(".restarts").dataset.count === "1"`)
	b.waitFor("the toast to go", `document.querySelectorAll(".toast").length === 0`)

	shot := func(path string) {
		// Two frames: the charts redraw in the next one.
		_, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](
			`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, png, 0o644))
		t.Logf("wrote %s (%d bytes)", path, len(png))
	}
	shot(out)
	setScheme(t, b, "light")
	shot(strings.TrimSuffix(out, filepath.Ext(out)) + "-light" + filepath.Ext(out))
	require.Empty(t, b.problems())
}

// setScheme makes the page see prefers-color-scheme as dark or light.
func setScheme(t *testing.T, b *tab, scheme string) {
	t.Helper()
	_, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
	require.NoError(t, err)
}
