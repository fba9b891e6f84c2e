package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/aggregator/storage"
	"github.com/pulseboard/pulseboard/cmd/testtool"
	"github.com/pulseboard/pulseboard/cmd/testtool/fill"
	"github.com/pulseboard/pulseboard/configs"
	"github.com/stretchr/testify/require"
)

// runPulseboard runs pulseboard to its end (it is expected to refuse to
// start) with XDG_STATE_HOME set to home, and returns its exit code and
// output.
func runPulseboard(t *testing.T, home string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runAsPulseboard+"=1", "XDG_STATE_HOME="+home)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil {
		require.ErrorAs(t, err, &exit, "%s", out)
		return exit.ExitCode(), string(out)
	}
	return 0, string(out)
}

// TestSecondPulseboardOnTheSameDataIsRefused: the stored history has one
// owner. A second pulseboard on the same directory exits at once with an
// error that names the directory and says what to do, and the first one
// is untouched.
func TestSecondPulseboardOnTheSameDataIsRefused(t *testing.T) {
	besideOthers(t)
	home := stateHome(t)
	first, url, stderr := startPulseboard(t, "-config", "testdata/e2e.yaml")
	code, out := runPulseboard(t, home, "-config", "testdata/e2e.yaml")
	require.Equal(t, exitFailed, code, out)
	dir := filepath.Join(home, "pulseboard")
	require.Contains(t, out, "data directory is in use by another pulseboard: "+dir)
	require.Contains(t, out, "to keep history in memory only")

	// Elsewhere, or in memory, a second one runs.
	second, _, _ := startPulseboard(t, "-config", "testdata/e2e.yaml", "-storage.path", t.TempDir())
	third, _, _ := startPulseboard(t, "-config", "testdata/e2e.yaml", "-storage.path", "")
	for _, c := range []*exec.Cmd{second, third} {
		require.NoError(t, c.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, waitExit(t, c, 20*time.Second))
	}
	requireHealthy(t, url)
	require.NoError(t, first.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, waitExit(t, first, 20*time.Second), "stderr:\n%s", stderr)
}

// TestCorruptHistoryIsMovedAside: a data file that is not a store (a
// disk error, another program's file) does not stop pulseboard: it is
// renamed aside with a log line saying so, and a fresh one is started.
func TestCorruptHistoryIsMovedAside(t *testing.T) {
	besideOthers(t)
	home := stateHome(t)
	dir := filepath.Join(home, "pulseboard")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(i * 7)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pulseboard.db"), garbage, 0o600))

	cmd, url, stderr := startPulseboard(t, "-config", "testdata/e2e.yaml")
	requireHealthy(t, url)
	aside, err := filepath.Glob(filepath.Join(dir, "pulseboard.db.corrupt-*"))
	require.NoError(t, err)
	require.Len(t, aside, 1)
	kept, err := os.ReadFile(aside[0])
	require.NoError(t, err)
	require.Equal(t, garbage, kept, "the damaged file is kept as it was, for whoever wants to look")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, waitExit(t, cmd, 20*time.Second))
	require.Contains(t, stderr.String(), aside[0])
	require.Contains(t, stderr.String(), "level=ERROR")
}

// requireHealthy checks that the server at url answers /healthz.
func requireHealthy(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// seriesPoints reads one series with its points from the REST API.
func seriesPoints(t *testing.T, base, id string) protocol.Series {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/series/" + id)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	s, err := protocol.Decoder{}.Series(body)
	require.NoError(t, err)
	return s
}

// announcedPoints is seriesPoints once the restarted server shows the
// series: a restored series is announced with the server's first publish,
// so for a moment after the URL is printed the API does not know it yet
// (404) on a loaded machine.
func announcedPoints(t *testing.T, base, id string) protocol.Series {
	t.Helper()
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/api/v1/series/" + id)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 10*time.Millisecond, "series %s after the restart", id)
	return seriesPoints(t, base, id)
}

// counterID is the id of e2e.yaml's requests_total.
func counterID(t *testing.T, base string) string {
	t.Helper()
	// The first poll may not be published yet when the server has just
	// started: the snapshot is asked again until it holds the counter.
	var id string
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/api/v1/snapshot?points=0")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return false
		}
		snap, err := protocol.Decoder{}.Snapshot(body)
		if err != nil {
			return false
		}
		for _, s := range snap.Series {
			if s.Metric == "requests_total" {
				id = s.ID
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond, "no requests_total in the snapshot")
	return id
}

// TestHistorySurvivesRestartAndKill: a clean stop loses nothing and a
// kill -9 loses at most the last flush interval; after either, the
// restarted pulseboard serves the earlier points and its windows hold
// them at once, rates included, with a gap for the time it was down.
func TestHistorySurvivesRestartAndKill(t *testing.T) {
	besideOthers(t)
	const flush = 200 * time.Millisecond
	config := filepath.Join(t.TempDir(), "pb.yaml")
	base, err := os.ReadFile("testdata/e2e.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(config, append(base, []byte("storage: {flush_interval: 200ms}\n")...), 0o600))

	cmd, url, stderr := startPulseboard(t, "-config", config)
	id := counterID(t, url)
	var before protocol.Series
	require.Eventually(t, func() bool { before = seriesPoints(t, url, id); return len(before.Points) >= 15 }, 20*time.Second, 20*time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr)
	last := before.Points[len(before.Points)-1]

	cmd, url, _ = startPulseboard(t, "-config", config)
	after := announcedPoints(t, url, id)
	require.Subset(t, after.Points, before.Points, "a clean stop loses nothing")
	w := after.Windows["1m"]
	require.GreaterOrEqual(t, w.Count, len(before.Points), "the window holds the earlier run's samples at once")
	require.NotNil(t, w.Rate)
	require.Greater(t, *w.Rate, 0.0, "and its rate")
	for _, p := range after.Points[len(before.Points):] {
		require.Greater(t, p.T, last.T, "the restart's points follow, after a gap")
	}

	// kill -9: whatever was flushed before survives.
	var seen protocol.Series
	require.Eventually(t, func() bool { seen = seriesPoints(t, url, id); return len(seen.Points) >= len(after.Points)+15 }, 20*time.Second, 20*time.Millisecond)
	killedAt := time.Now().UnixMilli()
	require.NoError(t, cmd.Process.Kill())
	_ = waitExit(t, cmd, 20*time.Second)
	cmd, url, _ = startPulseboard(t, "-config", config)
	survived := announcedPoints(t, url, id)
	var mustSurvive []protocol.Point
	for _, p := range seen.Points {
		// Flushed for sure: older than a few flush intervals before the
		// kill (a loaded machine runs a flush late, never skips one).
		if p.T < killedAt-5*flush.Milliseconds() {
			mustSurvive = append(mustSurvive, p)
		}
	}
	require.NotEmpty(t, mustSurvive)
	require.Subset(t, survived.Points, mustSurvive, "kill -9 loses at most the last flush interval")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, waitExit(t, cmd, 20*time.Second))
}

// readyzWarnings reads /readyz's warnings.
func readyzWarnings(t *testing.T, base string) []string {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Warnings []string `json:"warnings"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return body.Warnings
}

// TestFullDiskDegradesToMemory: a disk that refuses the store's writes
// (here the process' file size limit, set from outside with prlimit, as a
// full disk would) does not stop collection: /readyz and /metrics say the
// history is kept in memory only, and once writes work again it is all
// written and the warning goes.
func TestFullDiskDegradesToMemory(t *testing.T) {
	besideOthers(t)
	prlimit := testtool.Require(t, "prlimit")
	config := filepath.Join(t.TempDir(), "pb.yaml")
	base, err := os.ReadFile("testdata/e2e.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(config, append(base, []byte("storage: {flush_interval: 100ms}\n")...), 0o600))
	cmd, url, stderr := startPulseboard(t, "-config", config)
	id := counterID(t, url)
	require.Empty(t, readyzWarnings(t, url))

	limit := func(fsize string) {
		out, err := exec.Command(prlimit, "--pid", strconv.Itoa(cmd.Process.Pid), "--fsize="+fsize).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	limit("4096:unlimited") // every page past the first is refused: EFBIG
	var warnings []string
	require.Eventually(t, func() bool { warnings = readyzWarnings(t, url); return len(warnings) > 0 }, 20*time.Second, 20*time.Millisecond)
	require.Contains(t, warnings[0], "storage degraded to memory-only")
	require.Contains(t, warnings[0], "file too large")
	require.Equal(t, 1.0, scrapeValue(t, url, "pulseboard_storage_degraded"))
	before := len(seriesPoints(t, url, id).Points)
	require.Eventually(t, func() bool { return len(seriesPoints(t, url, id).Points) > before+10 }, 20*time.Second, 20*time.Millisecond,
		"collection goes on")

	limit("unlimited")
	require.Eventually(t, func() bool { return len(readyzWarnings(t, url)) == 0 }, 20*time.Second, 20*time.Millisecond)
	require.Equal(t, 0.0, scrapeValue(t, url, "pulseboard_storage_degraded"))
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, waitExit(t, cmd, 20*time.Second))
	require.Contains(t, stderr.String(), "storage: write failed; keeping history in memory only")
	require.Contains(t, stderr.String(), "writes succeed again")
}

// scrapeValue reads one unlabelled sample from /metrics.
func scrapeValue(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err)
			return f
		}
	}
	t.Fatalf("no %s on /metrics", name)
	return 0
}

// TestUnusableStoragePathKeepsHistoryInMemory: a storage.path that cannot
// hold the store (here a path under a regular file; a read-only disk is
// the same) does not stop pulseboard: it collects and serves with the
// history in memory only, and says so at start, in /readyz and the log.
func TestUnusableStoragePathKeepsHistoryInMemory(t *testing.T) {
	besideOthers(t)
	file := filepath.Join(t.TempDir(), "not-a-dir")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	cmd, url, stderr := startPulseboard(t, "-config", "testdata/e2e.yaml", "-storage.path", filepath.Join(file, "data"))
	warnings := readyzWarnings(t, url)
	require.Len(t, warnings, 1)
	require.Contains(t, warnings[0], "storage degraded to memory-only")
	require.Contains(t, warnings[0], "not a directory")
	id := counterID(t, url)
	require.Eventually(t, func() bool { return len(seriesPoints(t, url, id).Points) > 3 }, 10*time.Second, 20*time.Millisecond, "collection goes on")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, waitExit(t, cmd, 20*time.Second))
	require.Contains(t, stderr.String(), "the stored history cannot be opened; keeping history in memory only")
}

// TestHistoryDamagedInsideIsMovedAside: a damaged page among a series'
// blocks (found by the open's check, or else as the restore reads them:
// aggregator's TestRestoreFailures) moves the file aside and starts a fresh one.
func TestHistoryDamagedInsideIsMovedAside(t *testing.T) {
	besideOthers(t)
	home := stateHome(t)
	config := "testdata/e2e.yaml"
	cfg, err := configs.Load(config)
	require.NoError(t, err)
	now := time.Now()
	dir := filepath.Join(home, "pulseboard")
	_, err = fill.History(dir, cfg, now.Add(-2*time.Hour), now)
	require.NoError(t, err)
	db, err := storage.Open(storage.Options{Dir: dir})
	require.NoError(t, err)
	metas, err := db.Series()
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.NotEmpty(t, metas)
	var key [8]byte
	binary.BigEndian.PutUint64(key[:], metas[0].Key)

	path := filepath.Join(dir, "pulseboard.db")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	// Every page holding that series' keys (the leaves of its blocks in
	// every partition, whichever of them the restore reads, and its meta)
	// gets its header (id, flags, count) broken. Which page holds its
	// newest raw blocks depends on the time of day the history ends at, so
	// breaking only one made the test depend on the clock.
	broken := 0
	for at := 0; ; {
		i := bytes.Index(data[at:], key[:])
		if i < 0 {
			break
		}
		page := (at + i) / 4096 * 4096
		if page >= 4*4096 { // past the meta and freelist pages: the file must stay a bbolt file
			for j := range 16 {
				data[page+j] = 0xff
			}
			broken++
		}
		at = page + 4096
	}
	require.Positive(t, broken)
	require.NoError(t, os.WriteFile(path, data, 0o600))

	cmd, url, stderr := startPulseboard(t, "-config", config)
	requireHealthy(t, url)
	require.Empty(t, readyzWarnings(t, url))
	aside, err := filepath.Glob(path + ".corrupt-*")
	require.NoError(t, err)
	require.Len(t, aside, 1, "stderr:\n%s", stderr)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, waitExit(t, cmd, 20*time.Second))
	require.Contains(t, stderr.String(), aside[0])
}
