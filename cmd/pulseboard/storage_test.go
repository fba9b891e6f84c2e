package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

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
