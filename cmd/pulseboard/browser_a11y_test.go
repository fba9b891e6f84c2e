package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Accessibility as issue 12 asks (WCAG 2.1 AA): axe-core, vendored in
// static/vendor (pinned in package.json, checked by .ci/check-vendor), run
// in the page in both themes, and what axe cannot judge by itself checked
// by hand: keyboard reach, names of regions and cards, a text alternative
// per chart.

// axeViolation is the part of an axe-core result a failure message needs.
type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// runAxe loads axe-core into the page (through the DevTools protocol, which
// the page's CSP does not govern) and runs the WCAG 2.1 A and AA rules.
func runAxe(b *tab) []axeViolation {
	b.t.Helper()
	src, err := os.ReadFile("../../static/vendor/axe.min.js")
	require.NoError(b.t, err)
	require.True(b.t, eval[bool](b, string(src)+";\ntrue"))
	ctx := b.ctx
	res, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag",
		values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	require.NoError(b.t, err)
	var v []axeViolation
	require.NoError(b.t, json.Unmarshal([]byte(res), &v))
	return v
}

func describeViolations(vs []axeViolation) string {
	var sb strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&sb, "%s: %s\n", v.ID, v.Help)
		for i, n := range v.Nodes {
			if i == 5 {
				fmt.Fprintf(&sb, "  … %d more\n", len(v.Nodes)-5)
				break
			}
			fmt.Fprintf(&sb, "  %v: %s\n", n.Target, strings.ReplaceAll(n.Summary, "\n", " "))
		}
	}
	return sb.String()
}

func TestBrowserAccessibility(t *testing.T) {
	b := openTab(t, 1280, 900)
	cmd, base, stderr := startPulseboard(t, "-config", browserConfig)
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()
	for _, scheme := range []string{"light", "dark"} {
		t.Run("axe-core finds no violation, "+scheme, func(t *testing.T) {
			setScheme(t, b, scheme)
			b.do(chromedp.Navigate(base + "/?admin=" + browserAdminToken))
			b.waitFor("the stream to be live", isLive)
			b.waitFor("every card drawn", `document.querySelectorAll(".card .chart canvas").length === 5`)
			// The steady page: a state change's pulse is over.
			b.waitFor("no animation running", `document.getAnimations().length === 0`)
			if vs := runAxe(b); len(vs) > 0 {
				t.Fatalf("axe-core: %d rules violated\n%s", len(vs), describeViolations(vs))
			}
		})
	}
}
