package main

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Alerts as the page shows them, from the real evaluator: a wave whose
// value crosses its rule's threshold every 12 s (testdata/browser_alerts.yaml)
// goes pending, fires and resolves; the panel, the card, the source panel,
// the chart and the timeline follow, the card within 2 s of the evaluator
// firing the alert.

// firingWatch runs in the page: it notes when the wave's card first turns
// firing (Date.now(), the server's clock on this machine) and then asks
// the server when the alert fired.
const firingWatch = `(() => {
	window.__firing = null;
	const seen = () => {
		const card = document.querySelector('.group[data-source="wave"] .card');
		if (window.__firing || !card || card.dataset.alertState !== "firing") return;
		window.__firing = {seenAt: Date.now(), firedAt: 0};
		fetch("/api/v1/snapshot?points=0").then(r => r.json()).then(s => {
			const a = (s.alerts || []).find(a => a.name === "WaveHigh");
			window.__firing.firedAt = a ? a.fired_at : -1;
		});
	};
	new MutationObserver(seen).observe(document.body, {subtree: true, attributes: true, attributeFilter: ["data-alert-state"]});
	return true;
})()`

func TestBrowserAlerts(t *testing.T) {
	besideOthers(t)
	b := openTab(t, 1280, 900)
	cmd, base, stderr := startPulseboard(t, "-config", "testdata/browser_alerts.yaml")
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()
	b.do(chromedp.Navigate(base + "/"))
	b.waitFor("the stream to be live", isLive)

	const card = `document.querySelector('.group[data-source="wave"] .card')`
	const chart = card + `.querySelector(".chart")`
	const group = `document.querySelector('.group[data-source="wave"]')`
	const item = `document.querySelector('#alerts .alert[data-source="wave"]')`

	t.Run("the panel is a named region at the top of the sidebar, in view", func(t *testing.T) {
		require.Equal(t, "Alerts", eval[string](b, `document.getElementById(document.querySelector(".alerts-panel").getAttribute("aria-labelledby")).firstChild.textContent.trim()`))
		require.Equal(t, "region", eval[string](b, `document.querySelector(".alerts-panel").tagName === "SECTION" ? "region" : ""`))
		require.True(t, eval[bool](b, `(r => r.top >= 0 && r.top < innerHeight - 150)(document.querySelector(".alerts-panel").getBoundingClientRect())`))
	})

	t.Run("a rule without for fires at once, one with a long for stays pending", func(t *testing.T) {
		b.waitFor("SteadyHot firing and SteadyWatch pending", `(() => {
			const s = [...document.querySelectorAll('#alerts .alert[data-source="steady"]')].map(a => a.querySelector(".alert-name").textContent + ":" + a.dataset.state + ":" + a.dataset.severity);
			return s.includes("SteadyHot:firing:critical") && s.includes("SteadyWatch:pending:warning");
		})()`)
		require.Equal(t, "steady at 5 °C", eval[string](b, `[...document.querySelectorAll("#alerts .alert")].find(a => a.querySelector(".alert-name").textContent === "SteadyHot").querySelector(".alert-summary").textContent`))
		b.waitFor("the steady card and panel critical and firing", `(c => c.dataset.alert === "critical" && c.dataset.alertState === "firing")(document.querySelector('.group[data-source="steady"] .card')) &&
			document.querySelector('.group[data-source="steady"]').dataset.alert === "critical"`)
	})

	// The wave may be anywhere in its cycle: wait for it to be clear first.
	b.waitFor("the wave below its threshold", `!`+item)
	require.True(t, eval[bool](b, firingWatch))

	t.Run("the wave's alert goes pending: panel, card and source panel", func(t *testing.T) {
		b.waitFor("WaveHigh pending", item+` && `+item+`.dataset.state === "pending" && `+card+`.dataset.alertState === "pending" && `+group+`.dataset.alertState === "pending"`)
		require.Equal(t, "warning", eval[string](b, item+`.dataset.severity`))
		require.Regexp(t, `^wave · value \d+(\.\d+)?, threshold 50 · since \d\d:\d\d:\d\d \(`, eval[string](b, item+`.querySelector(".alert-facts").textContent`))
		require.Equal(t, "dashed", eval[string](b, `getComputedStyle(`+card+`).borderTopStyle`))
		b.waitFor("the threshold on the chart", chart+`.dataset.thresholds === "1"`)
	})

	t.Run("then it fires: coloured within 2 s of the evaluator firing it, the span shaded", func(t *testing.T) {
		b.waitFor("WaveHigh firing", item+` && `+item+`.dataset.state === "firing" && `+card+`.dataset.alertState === "firing" && `+group+`.dataset.alertState === "firing"`)
		b.waitFor("the server's firing time", `window.__firing && window.__firing.firedAt !== 0`)
		seenAt := eval[float64](b, `window.__firing.seenAt`)
		firedAt := eval[float64](b, `window.__firing.firedAt`)
		require.Positive(t, firedAt, "the alert was in the server's snapshot")
		lag := time.Duration(seenAt-firedAt) * time.Millisecond
		t.Logf("card firing %v after the evaluator fired the alert", lag)
		require.Less(t, lag, 2*time.Second)
		require.Equal(t, "solid", eval[string](b, `getComputedStyle(`+card+`).borderTopStyle`))
		require.Equal(t, eval[string](b, `getComputedStyle(document.documentElement).getPropertyValue("--warning").trim()`),
			eval[string](b, `(c => "#" + c.match(/\d+/g).slice(0, 3).map(n => Number(n).toString(16).padStart(2, "0")).join(""))(getComputedStyle(`+card+`).borderTopColor)`))
		b.waitFor("the firing span shaded", `Number(`+chart+`.dataset.alertSpans) >= 1`)
		require.Equal(t, "WaveHigh firing", eval[string](b, group+`.querySelector(".alert-tag").textContent`))
	})

	t.Run("the firing's marker is labelled: under the pointer, on keyboard focus, in the text alternative", func(t *testing.T) {
		const flag = chart + `.querySelector(".mark-flag")`
		const label = `/^wave: WaveHigh pending → firing \(warning\) at \d\d:\d\d:\d\d$/`
		b.waitFor("a labelled marker on the wave's chart", `Number(`+chart+`.dataset.markers) >= 1 && `+flag+` && `+label+`.test(`+flag+`.textContent) &&
			/\. Marked: (wave: WaveHigh pending → firing \(warning\) at \d\d:\d\d:\d\d(; |$))+$/.test(`+chart+`.getAttribute("aria-label"))`)
		const shown = `getComputedStyle(` + flag + `.querySelector(".mark-label")).display !== "none"`
		require.False(t, eval[bool](b, shown), "a label waits for the pointer or the focus")
		x, y := pointIn(b, flag, 0.5)
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y))
		b.waitFor("the label under the pointer", shown)
		// The tooltip, over the flag's label beside the pointer, says it too.
		b.waitFor("the marker's label in the tooltip", `(t => t && !t.hidden && [...t.querySelectorAll(".tip-mark")].some(m => `+label+`.test(m.textContent)))(`+chart+`.querySelector(".chart-tip"))`)
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1, 1))
		b.waitFor("the label gone with the pointer", `!(`+shown+`)`)
		// From the group's collapse button, Tab goes to its chart.
		require.True(t, eval[bool](b, `(`+group+`.querySelector(".collapse").focus(), true)`))
		b.do(chromedp.KeyEvent("\t"))
		require.True(t, eval[bool](b, `document.activeElement === `+chart), "the chart is the next Tab stop")
		b.waitFor("every label shown while the chart has focus", shown)
		// However long, a label stays inside its card: it opens toward the
		// wider side of the plot and wraps (measured in one go, before the
		// next draw writes the label again).
		require.Equal(t, "", eval[string](b, `(() => {
			const c = `+card+`.getBoundingClientRect(), out = [];
			for (const l of `+chart+`.querySelectorAll(".mark-label")) {
				const was = l.textContent;
				l.textContent = was + " — and a much longer account of what happened, backing off before a restart";
				const r = l.getBoundingClientRect();
				if (r.left < c.left || r.right > c.right) out.push(Math.round(r.left) + ".." + Math.round(r.right) + " outside " + Math.round(c.left) + ".." + Math.round(c.right));
				l.textContent = was;
			}
			return out.join("; ");
		})()`))
		require.True(t, eval[bool](b, `(document.activeElement.blur(), true)`))
	})

	t.Run("then it resolves: out of the panel, the colour gone, the span kept", func(t *testing.T) {
		b.waitFor("WaveHigh resolved", `!`+item+` && !`+card+`.dataset.alert && !`+group+`.dataset.alert`)
		require.True(t, eval[bool](b, group+`.querySelector(".alert-tag").hidden`))
		b.waitFor("no threshold, the span still shaded", chart+`.dataset.thresholds === "0" && Number(`+chart+`.dataset.alertSpans) >= 1`)
		texts := eval[[]string](b, `[...document.querySelectorAll('#timeline .event[data-source="wave"] .event-text')].map(e => e.textContent)`)
		require.Subset(t, texts, []string{"WaveHigh firing → normal", "WaveHigh pending → firing (warning)", "WaveHigh normal → pending (warning)"})
	})

	t.Run("the wave's churn is one group whose summary counts its lines, in their words, over times to the second", func(t *testing.T) {
		const waveGroup = `document.querySelector('#timeline .event-group[data-family="alert"][data-source="wave"]')`
		b.waitFor("the wave's changes grouped", waveGroup)
		require.Equal(t, "", eval[string](b, `(g => {
			const summary = g.querySelector(".event-toggle .event-text").textContent;
			const lines = [...g.querySelectorAll(".event-run .event-text")].map(e => e.textContent.replace(/ \(\w+\)$/, ""));
			const m = summary.match(/^WaveHigh: (.*) \((\d\d:\d\d:\d\d)(–\d\d:\d\d:\d\d)?\)$/);
			if (!m) return "summary reads " + summary;
			const out = [];
			let total = 0;
			for (const part of m[1].split(", ")) {
				const [, words, n] = part.match(/^(.*) (\d+)×$/) || [];
				const lined = lines.filter(l => l === "WaveHigh " + words).length;
				total += Number(n);
				if (lined !== Number(n)) out.push(part + " but " + lined + " lines");
			}
			if (total !== lines.length) out.push(total + " counted of " + lines.length + " lines");
			return out.join("; ");
		})(`+waveGroup+`)`))
	})

	t.Run("after a page reload the alert's events are still in the timeline, at their times", func(t *testing.T) {
		const waveEvents = `[...document.querySelectorAll('#timeline .event[data-source="wave"][data-kind^="alert-"]')]` +
			`.filter(e => /^WaveHigh /.test(e.querySelector(".event-text").textContent))` +
			`.map(e => e.querySelector(".event-text").textContent + " " + e.querySelector("time").getAttribute("datetime"))`
		before := eval[[]string](b, waveEvents)
		require.NotEmpty(t, before)
		b.do(chromedp.Reload())
		b.waitFor("the stream to be live again", isLive)
		b.waitFor("the alert's events from the snapshot", fmt.Sprintf(`%s.length >= %d`, waveEvents, len(before)))
		require.Subset(t, eval[[]string](b, waveEvents), before, "the same events, at the same times")
	})

	for _, scheme := range []string{"light", "dark"} {
		t.Run("axe-core finds no violation with alerts shown, "+scheme, func(t *testing.T) {
			setScheme(t, b, scheme)
			b.waitFor("the steady alerts shown", `document.querySelectorAll('#alerts .alert[data-source="steady"]').length === 2`)
			b.waitFor("no animation running", `document.getAnimations().length === 0`)
			if vs := runAxe(b); len(vs) > 0 {
				t.Fatalf("axe-core: %d rules violated\n%s", len(vs), describeViolations(vs))
			}
		})
	}

	t.Run("on a phone the panel comes before the sources", func(t *testing.T) {
		b.do(chromedp.EmulateViewport(390, 844))
		b.waitFor("the narrow layout", `innerWidth === 390`)
		require.True(t, eval[bool](b, `document.querySelector(".alerts-panel").getBoundingClientRect().top < document.getElementById("groups").getBoundingClientRect().top`))
		require.True(t, eval[bool](b, `document.querySelector(".alerts-panel").getBoundingClientRect().width > 300`))
	})

	t.Run("no console error and no CSP violation", func(t *testing.T) {
		require.Empty(t, b.problems(), fmt.Sprint(b.diagnose()))
	})
}
