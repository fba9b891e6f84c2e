package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	cdpage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// The supervision tree as a new user reads it: a long source name whole,
// and the tree's summary line under a filter.

// longSourceName has no space to break at, and is wider than the sidebar.
const longSourceName = "payments-gateway-prometheus-exporter-eu-west-1-primary"

func treeConfig(t *testing.T) string {
	t.Helper()
	cfg := "server: {listen: 127.0.0.1:0}\nbroadcast: {interval: 100ms}\nsources:\n" +
		"  - {name: " + longSourceName + ", type: simulated, interval: 500ms, seed: 1, series: [{metric: queue_depth, shape: sine, min: 0, max: 100, period: 20s}]}\n" +
		"  - {name: short, type: simulated, interval: 500ms, seed: 2, series: [{metric: load_percent, shape: sine, min: 0, max: 100, period: 20s}]}\n"
	path := filepath.Join(t.TempDir(), "tree.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

func TestBrowserTreeNamesAndFilter(t *testing.T) {
	cmd, base, stderr := startPulseboard(t, "-config", treeConfig(t))
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()
	b := openTab(t, 1280, 900)
	_, err := chromedp.Call(b.ctx, cdpage.AddScriptToEvaluateOnNewDocument, cdpage.AddScriptToEvaluateOnNewDocumentParams{Source: pulseHook})
	require.NoError(t, err)
	b.do(chromedp.Navigate(base + "/"))
	b.waitFor("the stream to be live", isLive)
	b.waitFor("both sources in the tree", `document.querySelectorAll(".tree [data-source]").length === 2`)

	// Nothing changes in this tree (no fault, no crash): no node may pulse.
	t.Run("the first drawing pulses no node", func(t *testing.T) {
		afterFrames(b)
		require.Empty(t, eval[[]string](b, `window.__pulses`))
	})

	t.Run("a long source name is shown whole, within the sidebar", func(t *testing.T) {
		defer b.do(chromedp.EmulateViewport(1280, 900))
		const name = `document.querySelector('.tree [data-source="` + longSourceName + `"] .name')`
		for _, w := range []int64{1280, 1024, 390} {
			b.do(chromedp.EmulateViewport(w, 900))
			b.waitFor("the width", `innerWidth === `+js(w))
			if w == 390 { // the phone folds the tree to its line
				b.do(chromedp.Click(chromedp.CSS("#tree-toggle")))
				b.waitFor("the tree shown", `getComputedStyle(document.getElementById("tree")).display !== "none"`)
			}
			afterFrames(b)
			require.Equal(t, longSourceName, eval[string](b, name+`.textContent`))
			require.True(t, eval[bool](b, `(n => n.scrollWidth <= n.clientWidth && n.getBoundingClientRect().width > 0 &&
				getComputedStyle(n).textOverflow !== "ellipsis")(`+name+`)`), "the name is cut at %d px: %s", w,
				eval[string](b, `(n => JSON.stringify([n.scrollWidth, n.clientWidth, getComputedStyle(n).textOverflow]))(`+name+`)`))
			require.True(t, eval[bool](b, `(n => n.getBoundingClientRect().right <= n.closest(".node").getBoundingClientRect().right + 0.5 &&
				n.closest(".node").getBoundingClientRect().right <= document.getElementById("tree").getBoundingClientRect().right + 0.5)(`+name+`)`),
				"the name runs out of the tree at %d px", w)
			require.LessOrEqual(t, eval[int64](b, `document.documentElement.scrollWidth`), w, "the page is wider than %d px", w)
		}
	})

	t.Run("the phone tree shown pulses no node", func(t *testing.T) {
		afterFrames(b)
		require.Empty(t, eval[[]string](b, `window.__pulses`))
	})

	setFilter := func(text string) {
		require.True(t, eval[bool](b, `(f => { f.value = `+js(text)+`; f.dispatchEvent(new Event("input")); return true; })(document.getElementById("filter"))`))
	}
	const summary = `document.getElementById("tree-summary").textContent`
	const treeSources = `[...document.querySelectorAll(".tree [data-source]")].filter(e => !e.closest("[hidden]")).map(e => e.dataset.source).join()`

	t.Run("under a filter the summary line counts what it shows, out of all; none matching, none listed", func(t *testing.T) {
		setFilter("load_percent")
		b.waitFor("one of two sources", summary+` === "1 of 2 sources: 1 running" && `+treeSources+` === "short"`)
		setFilter("zzzz")
		b.waitFor("none", summary+` === "No source or metric matches “zzzz”." && `+treeSources+` === "" &&
			!document.getElementById("empty").hidden`)
		setFilter("")
		b.waitFor("all again", summary+` === "2 sources: 2 running" && `+treeSources+` === `+js(longSourceName+",short"))
	})
	require.Empty(t, b.problems())
}

// pulseHook records, before the page's scripts run, every pulse a tree
// node starts (its animations' start), by the node's key.
const pulseHook = `window.__pulses = [];
document.addEventListener("animationstart", (e) => {
	const n = e.target.closest && e.target.closest(".tree .node");
	if (n) window.__pulses.push(n.dataset.key + " " + e.animationName);
}, true);`
