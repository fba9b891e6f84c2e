package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Layouts that scale and a view that can be shared: the address holds the
// filter, the window, the collapsed sources and the zoom; 45 sources keep
// the sidebar reachable and put one-card sources side by side; a phone
// gets the tree as a summary line and a jump list.

// manySourcesConfig writes a config of n simulated sources of one series
// each, and returns its path.
func manySourcesConfig(t *testing.T, n int) string {
	t.Helper()
	var sb strings.Builder
	sb.WriteString("server: {listen: 127.0.0.1:0}\nbroadcast: {interval: 100ms}\nsources:\n")
	for i := range n {
		fmt.Fprintf(&sb, "  - {name: s%02d, type: simulated, interval: 500ms, seed: %d, series: [{metric: load_percent, shape: sine, min: 0, max: 100, period: 20s}]}\n", i, i+1)
	}
	path := filepath.Join(t.TempDir(), "many.yaml")
	require.NoError(t, os.WriteFile(path, []byte(sb.String()), 0o600))
	return path
}

func TestBrowserURLState(t *testing.T) {
	besideOthers(t)
	b := openTab(t, 1280, 900)
	cmd, base, stderr := startPulseboard(t, "-config", browserConfig)
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()
	const visible = `[...document.querySelectorAll(".card")].filter(c => !c.hidden && !c.closest(".group").hidden && !c.closest(".group").classList.contains("is-collapsed"))`

	t.Run("a shared address opens on its filter, window and collapsed sources", func(t *testing.T) {
		b.do(chromedp.Navigate(base + "/?filter=instance%3D1&window=5m&collapsed=demo"))
		b.waitFor("the stream to be live", isLive)
		b.waitFor("the view of the address", `document.getElementById("filter").value === "instance=1" &&
			document.querySelector('#windows [data-window="5m"]').getAttribute("aria-checked") === "true" &&
			(g => g !== null && g.classList.contains("is-collapsed"))(document.querySelector('.group[data-source="demo"]')) &&
			`+visible+`.map(c => c.dataset.metric).join() === "shard_load_percent"`)
		// The restored filter has its clear button, as a typed one does,
		// in the box and clear of the text, unfocused and without the
		// pointer over it; a press lifts the filter.
		require.True(t, eval[bool](b, `document.activeElement !== document.getElementById("filter")`), "the box is not focused")
		require.Equal(t, "", eval[string](b, `((f, x) => { const fr = f.getBoundingClientRect(), xr = x.getBoundingClientRect(), cs = getComputedStyle(f);
			if (x.hidden || xr.width < 16 || getComputedStyle(x).visibility !== "visible") return "no clear button";
			if (xr.left < fr.left || xr.right > fr.right || xr.top < fr.top || xr.bottom > fr.bottom) return "outside the box";
			if (fr.right - parseFloat(cs.paddingRight) > xr.left + 0.5) return "the text runs under it";
			return ""; })(document.getElementById("filter"), document.getElementById("filter-clear"))`))
		b.do(chromedp.Click(chromedp.CSS("#filter-clear")))
		b.waitFor("the filter lifted", `document.getElementById("filter").value === "" && document.getElementById("filter-clear").hidden &&
			!new URL(location.href).searchParams.has("filter") && document.activeElement === document.getElementById("filter")`)
		b.do(chromedp.Navigate(base + "/?filter=instance%3D1&window=5m&collapsed=demo"))
		b.waitFor("the view of the address again", `document.getElementById("filter").value === "instance=1" && `+visible+`.length === 1`)
	})

	t.Run("the address follows the reader's choices, zoom included, and a reload keeps them", func(t *testing.T) {
		require.True(t, eval[bool](b, `(document.querySelector('.group[data-source="demo"] .collapse').click(),
			document.querySelector('#windows [data-window="1m"]').click(), true)`))
		b.waitFor("charts drawn", `document.querySelector('.group[data-source="spiky"] .card:not([hidden]) .u-over')`)
		const over = `document.querySelector('.group[data-source="spiky"] .card:not([hidden]) .u-over')`
		x0, y := pointIn(b, over, 0.3)
		x1, _ := pointIn(b, over, 0.7)
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x1, y, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y, chromedp.ButtonLeft))
		b.waitFor("the zoom in the address", `/^\?filter=instance%3D1&from=\d+&to=\d+$/.test(location.search)`)
		afterFrames(b)
		require.True(t, eval[bool](b, `[...document.querySelectorAll(".chart-tip")].every(t => t.hidden)`),
			"a tooltip stays after the drag, over the card: %s", eval[string](b, `[...document.querySelectorAll(".chart-tip")].filter(t => !t.hidden).map(t => t.textContent).join(" / ")`))
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x1-5, y))
		b.waitFor("the tooltip back with the pointer's next move", `!`+over+`.querySelector(".chart-tip").hidden`)
		search := eval[string](b, `location.search`)
		view := eval[string](b, over+`.closest(".chart").dataset.view`)
		b.do(chromedp.Reload())
		b.waitFor("the stream to be live", isLive)
		b.waitFor("the same view after a reload", fmt.Sprintf(`location.search === %s && !document.getElementById("conn").disabled &&
			(c => c && c.dataset.view === %s)(document.querySelector('.group[data-source="spiky"] .card:not([hidden]) .chart'))`, js(search), js(view)))
		b.do(chromedp.Click(chromedp.CSS("#conn")))
		b.waitFor("live again, the range out of the address", `location.search === "?filter=instance%3D1"`)
	})

	t.Run("a zoom over two days, or a pause, keeps the header on its rows at 1280, 1440 and 390 px and the filter usable", func(t *testing.T) {
		now := time.Now().UnixMilli()
		zooms := map[string]string{
			"over two days": fmt.Sprintf("?from=%d&to=%d", now-30*time.Hour.Milliseconds(), now-2*time.Hour.Milliseconds()),
			"of minutes":    fmt.Sprintf("?from=%d&to=%d", now-20*time.Minute.Milliseconds(), now-10*time.Minute.Milliseconds()),
		}
		const height = `document.querySelector(".topbar").getBoundingClientRect().height`
		for _, size := range [][2]int64{{1280, 900}, {1440, 900}, {390, 844}} {
			b.do(chromedp.EmulateViewport(size[0], size[1]))
			b.do(chromedp.Navigate(base + "/"))
			b.waitFor("the stream to be live", isLive)
			live := eval[float64](b, height)
			// The pill grows; the filter keeps room for a query (at 390 px it has a row of its own).
			filterUsable := func(what string) {
				require.GreaterOrEqual(t, eval[float64](b, `document.getElementById("filter").getBoundingClientRect().width`), 200.0,
					"%d px, %s: the filter box was squeezed; pill %q", size[0], what, eval[string](b, `document.getElementById("conn-text").textContent`))
				require.Equal(t, eval[string](b, `document.getElementById("conn-text").textContent`), eval[string](b, `document.getElementById("conn-text").title`),
					"the pill's text whole in its title")
			}
			filterUsable("live")
			b.do(chromedp.Click(chromedp.CSS("#pause")))
			b.waitFor("the pill saying paused", `/^paused · \d+ waiting$/.test(document.getElementById("conn-text").textContent)`)
			b.waitFor("ten updates waiting", `+(document.getElementById("conn-text").textContent.match(/\d+/) || [0])[0] >= 10`)
			require.Equal(t, live, eval[float64](b, height), "%d px, paused: the header grew", size[0])
			filterUsable("paused")
			b.do(chromedp.Click(chromedp.CSS("#pause")))
			for name, q := range zooms {
				b.do(chromedp.Navigate(base + "/" + q))
				b.waitFor("the pill naming the zoom", `!document.getElementById("conn").disabled && /\d\d:\d\d/.test(document.getElementById("conn-text").textContent)`)
				require.Equal(t, live, eval[float64](b, height), "%d px, a zoom %s: the header grew; pill %q", size[0], name,
					eval[string](b, `document.getElementById("conn-text").textContent`))
				filterUsable("a zoom " + name)
				require.Regexp(t, `^Showing .+, not live`, eval[string](b, `document.getElementById("conn").title`), "the span whole in its title")
			}
		}
		b.do(chromedp.EmulateViewport(1280, 900))
	})

	t.Run("no console error and no CSP violation", func(t *testing.T) {
		require.Empty(t, b.problems())
	})
}

// filterFits checks the filter box at the tab's width: its placeholder fits,
// and so does text typed into it, the count it brings on ("5 of 45 series")
// over none of it.
func filterFits(t *testing.T, b *tab, text string) {
	t.Helper()
	const box = `document.getElementById("filter")`
	const textWidth = `((f, s) => { const c = document.createElement("canvas").getContext("2d");
		c.font = getComputedStyle(f).font; return c.measureText(s).width; })`
	const room = `(f => { const cs = getComputedStyle(f); return f.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight); })(` + box + `)`
	require.True(t, eval[bool](b, textWidth+`(`+box+`, `+box+`.placeholder) <= `+room), "the placeholder is cut:\n%s",
		eval[string](b, `JSON.stringify([`+textWidth+`(`+box+`, `+box+`.placeholder), `+room+`])`))
	b.do(chromedp.SendKeys(chromedp.CSS("#filter"), text))
	b.waitFor("the count", `!document.getElementById("filter-count").hidden`)
	overlap := `((f, n) => { const cs = getComputedStyle(f), fr = f.getBoundingClientRect(), cr = n.getBoundingClientRect();
		const size = parseFloat(cs.fontSize), left = fr.left + parseFloat(cs.paddingLeft), top = fr.top + (fr.height - size) / 2;
		const right = left + ` + textWidth + `(f, f.value);
		return !(cr.right <= left || cr.left >= right || cr.bottom <= top || cr.top >= top + size); })(` + box + `, document.getElementById("filter-count"))`
	require.Equal(t, text, eval[string](b, box+`.value`))
	require.True(t, eval[bool](b, box+`.scrollWidth <= `+box+`.clientWidth`), "the text typed is cut")
	require.False(t, eval[bool](b, overlap), "the count covers the text typed")
	require.True(t, eval[bool](b, `(f => { f.value = ""; f.dispatchEvent(new Event("input")); return true; })(`+box+`)`))
	b.waitFor("the count gone", `document.getElementById("filter-count").hidden`)
}

func TestBrowserLayouts(t *testing.T) {
	besideOthers(t)
	cmd, base, stderr := startPulseboard(t, "-config", manySourcesConfig(t, 45))
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()

	t.Run("45 sources on a desktop: the sidebar scrolls by itself, one-card sources share rows", func(t *testing.T) {
		b := openTab(t, 1280, 900)
		b.do(chromedp.Navigate(base + "/"))
		b.waitFor("the stream to be live", isLive)
		b.waitFor("every source's card", `document.querySelectorAll(".card").length === 45`)
		// The 45 sources' starts are one entry of the events: the tree opened makes the sidebar taller than the window.
		b.do(chromedp.Click(chromedp.CSS("#tree-toggle")))
		b.waitFor("the tree opened", `document.getElementById("tree-toggle").getAttribute("aria-expanded") === "true"`)
		require.True(t, eval[bool](b, `(s => getComputedStyle(s).position === "sticky" && getComputedStyle(s).overflowY === "auto" &&
			s.scrollHeight > s.clientHeight && s.getBoundingClientRect().bottom <= innerHeight)(document.querySelector(".side"))`),
			"the sidebar fits the window and scrolls")
		b.do(chromedp.Click(chromedp.CSS("#tree-toggle")))
		b.waitFor("the tree folded again", `document.getElementById("tree-toggle").getAttribute("aria-expanded") === "false"`)
		require.True(t, eval[bool](b, `(window.scrollTo(0, document.body.scrollHeight), true)`))
		b.waitFor("the sidebar still in view at the bottom of the page", `document.querySelector(".side").getBoundingClientRect().top >= 0 &&
			document.querySelector(".side").getBoundingClientRect().top < 120`)
		// The events panel is in sight under the top bar, the page at its
		// top or scrolled past every card, here and on a narrower desktop.
		const eventsInSight = `(r => r.top >= document.querySelector(".topbar").getBoundingClientRect().bottom && r.bottom <= innerHeight)(
			document.querySelector(".timeline-panel").getBoundingClientRect())`
		b.waitFor("the events panel in sight, the page scrolled to its end", eventsInSight)
		b.do(chromedp.EmulateViewport(1024, 768))
		for _, to := range []string{"0", "document.body.scrollHeight"} {
			require.True(t, eval[bool](b, `(window.scrollTo(0, `+to+`), true)`))
			b.waitFor("the events panel in sight at 1024 px, scrolled to "+to, eventsInSight)
		}
		b.do(chromedp.EmulateViewport(1280, 900))
		// Forty-five sources: the tree is folded to its line on a desktop too.
		require.True(t, eval[bool](b, `getComputedStyle(document.getElementById("tree")).display === "none" &&
			document.getElementById("tree-summary").textContent === "45 sources: 45 running"`), "the tree folded")
		b.do(chromedp.Click(chromedp.CSS("#tree-toggle")))
		b.waitFor("the tree shown", `getComputedStyle(document.getElementById("tree")).display !== "none"`)
		// A source clicked in the tree lands with its header just under the
		// top bar, and is still there once the cards around it are laid out.
		for _, name := range []string{"s20", "s30", "s05"} {
			b.do(chromedp.Click(chromedp.CSS(`.tree [data-source="` + name + `"]`)))
			inPlace := `(g => Math.abs(g.getBoundingClientRect().top - document.querySelector(".topbar").getBoundingClientRect().bottom - 8) < 2)(document.getElementById("source-` + name + `"))`
			b.waitFor(name+" under the top bar", inPlace)
			require.True(t, eval[bool](b, `(window.frames60 = 0, (function f() { if (++window.frames60 < 60) requestAnimationFrame(f); })(), true)`))
			b.waitFor(name+" still there 60 frames later", `window.frames60 >= 60 && `+inPlace)
		}
		perRow := eval[int](b, `(gs => gs.filter(g => g.getBoundingClientRect().top === gs[0].getBoundingClientRect().top).length)([...document.querySelectorAll(".group")])`)
		require.GreaterOrEqual(t, perRow, 2, "one-card sources side by side")
		filterFits(t, b, "load_percent s4")
		require.Empty(t, b.problems())
	})

	t.Run("a phone: the tree as a summary line, a jump list", func(t *testing.T) {
		b := openTab(t, 390, 844)
		b.do(chromedp.Navigate(base + "/"))
		b.waitFor("the stream to be live", isLive)
		b.waitFor("the summary, the tree folded", `document.getElementById("tree-summary").textContent === "45 sources: 45 running" &&
			getComputedStyle(document.getElementById("tree")).display === "none"`)
		b.do(chromedp.Click(chromedp.CSS("#tree-toggle")))
		b.waitFor("the tree shown", `getComputedStyle(document.getElementById("tree")).display !== "none" &&
			document.getElementById("tree-toggle").getAttribute("aria-expanded") === "true"`)
		require.Equal(t, 45, eval[int](b, `document.querySelectorAll("#jump a").length`))
		b.do(chromedp.Click(chromedp.CSS(`#jump a[href="#source-s40"]`)))
		b.waitFor("the source in view", `(r => r.top >= 0 && r.top < innerHeight)(document.getElementById("source-s40").getBoundingClientRect())`)
		// Deep in the charts the header is out of sight: a button at the bottom says the stream's state and goes back up.
		const toTop = `document.getElementById("to-top")`
		b.waitFor("the button back up", `(t => !t.hidden && getComputedStyle(t).position === "fixed" && t.getBoundingClientRect().bottom <= innerHeight &&
			t.textContent.includes(document.getElementById("conn-text").textContent))(`+toTop+`)`)
		// It covers nothing: not a pill floating over the charts but a bar
		// across the bottom edge, opaque, and the page ends above it.
		require.Equal(t, "", eval[string](b, `(t => { const r = t.getBoundingClientRect(), bg = getComputedStyle(t).backgroundColor, out = [];
			if (r.left > 0.5 || r.right < innerWidth - 0.5 || Math.abs(r.bottom - innerHeight) > 0.5) out.push("not a bar across the bottom edge: " + JSON.stringify(r));
			if (/rgba\(.*, 0(\.\d+)?\)$|transparent/.test(bg)) out.push("see-through: " + bg);
			return out.join("; "); })(`+toTop+`)`))
		// The reader scrolls (a wheel: the jump's settling gives way) to the end.
		b.waitFor("the page's end in sight, still", `(() => {
			document.dispatchEvent(new WheelEvent("wheel", {bubbles: true}));
			window.scrollTo(0, document.documentElement.scrollHeight);
			const key = document.documentElement.scrollHeight + ":" + scrollY;
			if (key !== window.__endAt) { window.__endAt = key; window.__endStill = 0; return false; }
			return ++window.__endStill >= 3 && scrollY + innerHeight >= document.documentElement.scrollHeight - 1;
		})()`)
		require.Equal(t, "", eval[string](b, `(bar => { const br = bar.getBoundingClientRect();
			return [...document.querySelectorAll("main *")].filter(e => { const r = e.getBoundingClientRect();
				const shows = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) || e.matches("canvas, button, input, select, td");
				return shows && r.width > 0 && r.height > 0 && r.bottom > br.top + 0.5 && r.top < br.bottom; })
				.slice(0, 5).map(e => e.tagName.toLowerCase() + "." + e.className + " " + JSON.stringify(e.textContent.trim().slice(0, 30))).join("; ");
		})(`+toTop+`)`), "at the page's end the bar covers these")
		b.do(chromedp.Click(chromedp.CSS("#to-top")))
		b.waitFor("back at the header", `scrollY === 0 && document.activeElement === document.getElementById("topbar") && `+toTop+`.hidden`)
		require.True(t, eval[bool](b, `location.hash === ""`), "the address untouched")
		require.True(t, eval[bool](b, `(f => { f.value = "s4"; f.dispatchEvent(new Event("input")); return true; })(document.getElementById("filter"))`))
		b.waitFor("the jump list filtered as the groups are", `[...document.querySelectorAll("#jump a")].filter(a => !a.hidden).map(a => a.textContent).join() ===
			[...document.querySelectorAll(".group")].filter(g => !g.hidden).map(g => g.dataset.source).join() &&
			[...document.querySelectorAll("#jump a")].filter(a => !a.hidden).length === 5`)
		require.True(t, eval[bool](b, `(f => { f.value = ""; f.dispatchEvent(new Event("input")); return true; })(document.getElementById("filter"))`))
		b.waitFor("every source in the jump list again", `[...document.querySelectorAll("#jump a")].every(a => !a.hidden)`)
		filterFits(t, b, "load_percent s4")
		require.True(t, eval[bool](b, `getComputedStyle(document.querySelector("#hide-zero .btn-label")).display !== "none"`), "the switch keeps its name")
		// The tooltip reads the plot without covering it: out of it, above or below.
		const over = `document.getElementById("source-s40").querySelector(".u-over")`
		// Charts are drawn in sight: the card is brought there first.
		require.True(t, eval[bool](b, `(document.getElementById("source-s40").scrollIntoView({block: "center"}), true)`))
		b.waitFor("the chart drawn", over)
		x, y := pointIn(b, over, 0.5)
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y))
		b.waitFor("the tooltip", `(t => t && !t.hidden)(`+over+`.querySelector(".chart-tip"))`)
		require.True(t, eval[bool](b, `((t, o) => t.bottom <= o.top + 0.5 || t.top >= o.bottom - 0.5)(`+over+`.querySelector(".chart-tip").getBoundingClientRect(), `+over+`.getBoundingClientRect())`),
			"the tooltip covers the plot: %s", eval[string](b, `JSON.stringify([`+over+`.querySelector(".chart-tip").getBoundingClientRect(), `+over+`.getBoundingClientRect()])`))
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1, 1))
		// The narrowest phone: the header's rows wrap, nothing widens the page.
		b.do(chromedp.EmulateViewport(320, 640))
		b.waitFor("320 px wide", `innerWidth === 320`)
		require.LessOrEqual(t, eval[int](b, `document.documentElement.scrollWidth`), 320, "the page is wider than the phone: %s",
			eval[string](b, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 320.5 && ![...e.children].some(c => c.getBoundingClientRect().right > 320.5)).slice(0, 8).map(e => e.tagName + "#" + e.id + "." + e.className + " " + Math.round(e.getBoundingClientRect().left) + ".." + Math.round(e.getBoundingClientRect().right)).join(", ")`))
		require.Empty(t, b.problems())
	})
}

// pillWhole says whether the header's pill shows its text whole: not cut
// with an ellipsis, within the bar and the page.
const pillWhole = `(t => { const c = document.getElementById("conn"), bar = document.getElementById("topbar");
	return t.scrollWidth <= t.clientWidth && c.getBoundingClientRect().right <= bar.getBoundingClientRect().right + 0.5 &&
		document.documentElement.scrollWidth <= innerWidth; })(document.getElementById("conn-text"))`

// The pill says the stream's or the view's state whole at a desktop's,
// a small laptop's and a phone's width: paused with its count, and the
// longest things it says (a span across days, a first connection's
// retry), the bar one row at 1280 px.
func TestBrowserPillFits(t *testing.T) {
	cmd, base, stderr := startPulseboard(t, "-config", browserConfig)
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()
	b := openTab(t, 1280, 900)
	b.do(chromedp.Navigate(base + "/"))
	b.waitFor("the stream to be live", isLive)
	b.do(chromedp.Click(chromedp.CSS("#pause")))
	b.waitFor("paused, updates waiting", `/^paused · \d+ waiting$/.test(document.getElementById("conn-text").textContent)`)
	for _, w := range []int64{1280, 1024, 390} {
		b.do(chromedp.EmulateViewport(w, 900))
		b.waitFor(fmt.Sprintf("%d px wide", w), fmt.Sprintf(`innerWidth === %d`, w))
		afterFrames(b)
		text := eval[string](b, `document.getElementById("conn-text").textContent`)
		require.True(t, eval[bool](b, pillWhole), "at %d px the pill cuts %q", w, text)
		// The longest it says; the pill is a button (the way back to live) while held to a span.
		for _, long := range []string{"paused · 12345 waiting", "Sun 23:50–Mon 00:10", "connecting… retry in 30s"} {
			// Written and measured in one task: the page's clock rewrites the text between tasks.
			got := eval[[]float64](b, `(t => { t.textContent = `+js(long)+`; document.getElementById("conn").disabled = false;
				return [`+pillWhole+` ? 1 : 0, t.scrollWidth, t.clientWidth, document.getElementById("topbar").getBoundingClientRect().height]; })(document.getElementById("conn-text"))`)
			require.Equal(t, 1.0, got[0], "at %d px the pill cuts %q: text %v px in %v", w, long, got[1], got[2])
			if w == 1280 {
				require.Less(t, got[3], 60.0, "the bar wraps at 1280 px with %q", long)
			}
		}
	}
}

// sidebarConfig writes a config whose sidebar is full at once: five alerts
// firing or pending from the start, their summaries a few lines long.
func sidebarConfig(t *testing.T) string {
	t.Helper()
	var sb strings.Builder
	sb.WriteString("server: {listen: 127.0.0.1:0}\nbroadcast: {interval: 100ms}\nalerting: {interval: 100ms}\nsources:\n" +
		"  - {name: steady, type: simulated, interval: 200ms, series: [{metric: steady_temp_celsius, shape: constant, min: 5, max: 5}]}\n" +
		"alerts:\n")
	for i := range 5 {
		fmt.Fprintf(&sb, "  - {name: SteadyRule%d, select: {source: steady, metric: steady_temp_celsius}, stat: last, warning: %d, for: %s, "+
			"annotations: {summary: \"the steady source reads {{ $value }} °C, above the line of this rule, as it has since it started\"}}\n", i, i, []string{"0s", "1h"}[i%2])
	}
	path := filepath.Join(t.TempDir(), "sidebar.yaml")
	require.NoError(t, os.WriteFile(path, []byte(sb.String()), 0o600))
	return path
}

// TestBrowserSidebarWhole: at 1280×800 the sidebar shows what it holds
// whole (trial 12 r9, finding 11): a supervisor's restart count on its
// name's line beside its strategy, the alerts and the events ending
// between two lines rather than through one (a shade saying there is
// more), and no resize grip on the events.
func TestBrowserSidebarWhole(t *testing.T) {
	cmd, base, stderr := startPulseboard(t, "-config", sidebarConfig(t))
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()
	b := openTab(t, 1280, 800)
	b.do(chromedp.Navigate(base + "/"))
	b.waitFor("the stream to be live", isLive)
	b.waitFor("five alerts, more than the panel holds", `document.querySelectorAll("#alerts .alert").length === 5 &&
		(l => l.scrollHeight > l.clientHeight)(document.getElementById("alerts"))`)
	b.waitFor("the supervisors in the tree", `document.querySelectorAll("#tree .node .strategy").length >= 2`)
	afterFrames(b)

	t.Run("a supervisor's restart count stays on its name's line, beside its strategy", func(t *testing.T) {
		within(b, t)
		require.Equal(t, "", eval[string](b, `[...document.querySelectorAll("#tree .node")].filter(n => n.querySelector(".strategy")).flatMap(n => {
			const name = n.querySelector(".name").getBoundingClientRect(), count = n.querySelector(".restarts").getBoundingClientRect();
			return count.top < name.bottom && count.bottom > name.top ? [] : [n.textContent.trim() + ": the count under the name"];
		}).join("; ")`))
	})

	t.Run("the alerts and the events end between two lines, not through one", func(t *testing.T) {
		within(b, t)
		// Every line of text of the list: none straddles its bottom edge.
		const cut = `(l => { l.scrollTop = 0; const r = l.getBoundingClientRect(), bottom = r.top + l.clientTop + l.clientHeight, range = document.createRange();
			return [...l.children].filter(c => { range.selectNodeContents(c);
				return [...range.getClientRects()].some(cr => cr.height > 0 && cr.top < bottom - 0.5 && cr.bottom > bottom + 0.5); })
				.map(c => l.id + ": " + c.textContent.trim().slice(0, 40)).join("; "); })`
		require.Equal(t, "", eval[string](b, cut+`(document.getElementById("alerts"))`), "an alert cut")
		require.True(t, eval[bool](b, `document.getElementById("alerts").classList.contains("has-more")`), "the alerts below not shaded")
		// The events: the tree's starts, the alerts' transitions; a
		// shorter window makes the list scroll.
		b.do(chromedp.EmulateViewport(1280, 560))
		b.waitFor("the events scroll", `(l => l.scrollHeight > l.clientHeight)(document.getElementById("timeline"))`)
		afterFrames(b)
		require.Equal(t, "", eval[string](b, cut+`(document.getElementById("timeline"))`), "an event cut")
		b.do(chromedp.EmulateViewport(1280, 800))
	})

	t.Run("the events list has no resize grip", func(t *testing.T) {
		within(b, t)
		require.Equal(t, "none", eval[string](b, `getComputedStyle(document.getElementById("timeline")).resize`))
	})
	require.Empty(t, b.problems())
}
