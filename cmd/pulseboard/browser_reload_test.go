package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Config reloads as the dashboard shows them: a banner that says what an
// applied reload did or why a new config was rejected, and a marker on
// every chart. The config file is edited as editors and deployers do,
// written beside it and renamed over it, and the watcher picks it up.

// saveConfigAs replaces the file at path with the content of the file at
// from: written beside it, then renamed over it.
func saveConfigAs(t *testing.T, path, from string) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, data, 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

// waitWatched waits until process pid watches dir with inotify (its
// /proc fdinfo lists a watch on the directory's inode): a change made to
// the config file after that is seen. Without /proc (not Linux) it returns
// at once, and the time the page takes to load stands in for the wait.
func waitWatched(t *testing.T, pid int, dir string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		return
	}
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	// Stat_t by reflection: the type has no Ino field on every platform.
	ino := reflect.ValueOf(fi.Sys()).Elem().FieldByName("Ino").Uint()
	want := fmt.Sprintf(" ino:%x ", ino)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(browserWait)
	for !watchesInode(pid, want) {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("pulseboard (pid %d) did not watch %s within %s", pid, dir, browserWait)
		}
	}
}

// watchesInode reports whether one of the process's inotify descriptors
// has a watch whose fdinfo line holds want (" ino:<hex> ").
func watchesInode(pid int, want string) bool {
	fdinfo := fmt.Sprintf("/proc/%d/fdinfo", pid)
	fds, err := os.ReadDir(fdinfo)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		data, err := os.ReadFile(filepath.Join(fdinfo, fd.Name()))
		if err != nil {
			continue // closed since the listing
		}
		for line := range strings.Lines(string(data)) {
			if strings.HasPrefix(line, "inotify wd:") && strings.Contains(line, want) {
				return true
			}
		}
	}
	return false
}

// notice is the page's reload banner, when there is one.
const notice = `document.querySelector("#notices .notice")`

// chartOf is the chart of the first card of a source.
func chartOf(source string) string {
	return fmt.Sprintf(`document.querySelector('.group[data-source=%q] .card .chart')`, source)
}

// markersOn holds when the chart of every named source shows n markers.
func markersOn(n int, sources ...string) string {
	var conds []string
	for _, s := range sources {
		conds = append(conds, fmt.Sprintf(`(%s || {dataset: {}}).dataset.markers === "%d"`, chartOf(s), n))
	}
	return strings.Join(conds, " && ")
}

// pointsOf reads how many points a source's first chart shows.
func pointsOf(b *tab, source string) int {
	b.t.Helper()
	return eval[int](b, `Number(`+chartOf(source)+`.dataset.points)`)
}

func TestBrowserReloadFeedback(t *testing.T) {
	besideOthers(t)
	b := openTab(t, 1280, 900)
	dir := t.TempDir()
	path := filepath.Join(dir, "pulseboard.yaml")
	saveConfigAs(t, path, "testdata/browser_reload.yaml")
	cmd, base, stderr := startPulseboard(t, "-config", path)
	defer func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	}()

	b.do(chromedp.Navigate(base + "/"))
	b.waitFor("the stream to be live", isLive)
	ids := seriesIDs(t, base)
	require.Len(t, ids, 2, "testdata/browser_reload.yaml has two series")
	b.waitFor("a chart for every series, without markers", chartsDrawn(ids, 3)+" && "+markersOn(0, "demo", "spiky"))
	require.Nil(t, eval[any](b, notice), "no banner before any reload")
	waitWatched(t, cmd.Process.Pid, dir)

	t.Run("an applied reload is announced, with what needs a restart", func(t *testing.T) {
		saveConfigAs(t, path, "testdata/browser_reload_added.yaml")
		b.waitFor("the reload banner", notice+` && `+notice+`.getAttribute("role") === "status" &&
			`+notice+`.dataset.ok === "true" &&
			`+notice+`.querySelector(".notice-title").textContent === "Config reloaded: 1 source added (extra), 1 changed (spiky)" &&
			`+notice+`.querySelector(".notice-warning").textContent === "Needs a restart to take effect: server.listen"`)
		b.waitFor("the new source's chart", `(c => c && c.querySelector("canvas") && Number(c.dataset.points) >= 3)(`+chartOf("extra")+`)`)
		b.waitFor("a marker on every chart", markersOn(1, "demo", "spiky", "extra"))
	})

	t.Run("a rejected config is shown with its file:line:col errors, and the old sources keep going", func(t *testing.T) {
		before := map[string]int{"demo": pointsOf(b, "demo"), "extra": pointsOf(b, "extra")}
		saveConfigAs(t, path, "testdata/browser_reload_broken.yaml")
		b.waitFor("the error banner, in place of the other", `document.querySelectorAll("#notices .notice").length === 1 &&
			`+notice+`.getAttribute("role") === "alert" && `+notice+`.dataset.ok === "false" &&
			`+notice+`.querySelector(".notice-title").textContent === "Config rejected — the running config is unchanged"`)
		lines := eval[[]string](b, `[...`+notice+`.querySelectorAll(".notice-errors code")].map(c => c.textContent)`)
		require.NotEmpty(t, lines)
		require.Regexp(t, `^`+regexp.QuoteMeta(path)+`:22:5: sources\[2\]\.colour: unknown key "colour"`, lines[0])
		require.Equal(t, "monospace", eval[string](b,
			`getComputedStyle(`+notice+`.querySelector(".notice-errors code")).fontFamily.split(",").pop().trim()`))

		b.waitFor("a second marker, for the rejection", markersOn(2, "demo", "spiky", "extra"))
		for source, n := range before {
			b.waitFor(source+" to keep updating", fmt.Sprintf(`Number(%s.dataset.points) > %d &&
				document.querySelector('.group[data-source=%q]').dataset.state === "running"`, chartOf(source), n, source))
		}

		b.do(chromedp.Click(chromedp.CSS("#notices .notice-close")))
		b.waitFor("the error banner dismissed", `document.getElementById("notices").children.length === 0`)
		// The pointer leaves the banner's place: a banner under it is held.
		b.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1279, 899))
	})

	t.Run("a later applied reload replaces the error, and its banner goes by itself", func(t *testing.T) {
		saveConfigAs(t, path, "testdata/browser_reload_broken.yaml")
		b.waitFor("the error banner again", notice+` && `+notice+`.dataset.ok === "false"`)
		saveConfigAs(t, path, "testdata/browser_reload_added.yaml")
		b.waitFor("the error banner replaced", `document.querySelectorAll("#notices .notice").length === 1 &&
			`+notice+`.getAttribute("role") === "status" &&
			`+notice+`.querySelector(".notice-title").textContent === "Config reloaded: no source changed" &&
			!document.querySelector("#notices .notice-errors")`)
		b.waitFor("a marker for each of the four reloads", markersOn(4, "demo", "spiky", "extra"))
		b.waitFor("the banner to go after its time", `document.getElementById("notices").children.length === 0`)
	})

	t.Run("a source the config no longer has leaves the page at once", func(t *testing.T) {
		require.NotNil(t, eval[any](b, `document.querySelector('#tree [data-source="extra"]')`))
		saveConfigAs(t, path, "testdata/browser_reload.yaml") // without "extra"
		b.waitFor("its group and its tree node gone", `!document.querySelector('.group[data-source="extra"]') &&
			!document.querySelector('#tree [data-source="extra"]') &&
			document.querySelector('.group[data-source="demo"]')`)
		code, body := httpGet(t, base+"/api/v1/snapshot?points=0")
		require.Equal(t, http.StatusOK, code)
		require.NotContains(t, body, `"source":"extra","metric"`, "its series are gone from the server too")
	})

	t.Run("a file emptied in place is refused on the page, with how to say none", func(t *testing.T) {
		require.NoError(t, os.Truncate(path, 0)) // `: > pulseboard.yaml`
		b.waitFor("the error banner", notice+` && `+notice+`.dataset.ok === "false" &&
			`+notice+`.querySelector(".notice-title").textContent === "Config rejected — the running config is unchanged"`)
		lines := eval[[]string](b, `[...`+notice+`.querySelectorAll(".notice-errors code")].map(c => c.textContent)`)
		require.Equal(t, []string{path + ":1:1: the file is empty (nothing but whitespace or comments), as a save cut short leaves it: list the sources under `sources:`, or write `sources: []` to run with none"}, lines)
		require.NotNil(t, eval[any](b, `document.querySelector('.group[data-source="demo"]')`), "the sources stay")
	})

	t.Run("no console error and no CSP violation", func(t *testing.T) {
		require.Empty(t, b.problems())
	})
}

// httpGet returns the status and body of a GET.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}
