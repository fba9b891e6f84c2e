package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	stateHomesMu sync.Mutex
	stateHomes   = map[string]string{}
)

// stateHome is the test's own state directory: the pulseboards a test
// starts keep their stored history there (one after another on the same
// data, as a restart does), apart from every other test's.
func stateHome(t *testing.T) string {
	stateHomesMu.Lock()
	defer stateHomesMu.Unlock()
	if d, ok := stateHomes[t.Name()]; ok {
		return d
	}
	d := t.TempDir()
	stateHomes[t.Name()] = d
	return d
}

// startPulseboard runs this test binary as pulseboard with args and returns
// the process and the dashboard URL it announced on stdout.
func startPulseboard(t *testing.T, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	stderr := &bytes.Buffer{}
	cmd, url := startPulseboardTo(t, stderr, args...)
	return cmd, url, stderr
}

// startPulseboardTo is startPulseboard with the process's stderr going to
// stderr (a writer safe to read while the process runs, for one).
func startPulseboardTo(t *testing.T, stderr io.Writer, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runAsPulseboard+"=1", "XDG_STATE_HOME="+stateHome(t))
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	announced := regexp.MustCompile(`dashboard at (http://[^/\s]+)/`)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := announced.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case url := <-urls:
		return cmd, url
	case <-time.After(30 * time.Second):
		t.Fatalf("pulseboard announced no URL; stderr:\n%s", stderr)
		return nil, ""
	}
}

// waitExit waits for the process to exit and returns its exit code.
func waitExit(t *testing.T, cmd *exec.Cmd, bound time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode()
		}
		require.NoError(t, err)
		return 0
	case <-time.After(bound):
		t.Fatalf("pulseboard did not exit within %s", bound)
		return -1
	}
}

func TestBinaryServesAndStopsOnSignal(t *testing.T) {
	besideOthers(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, url, stderr := startPulseboard(t, "-config", "testdata/e2e.yaml", "-shutdown-timeout", "10s")

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/healthz", nil)
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)

			require.NoError(t, cmd.Process.Signal(sig))
			require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
			require.Contains(t, stderr.String(), "stopped cleanly")
		})
	}
}

func TestBinaryRefusesBrokenConfig(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-config", "testdata/broken.yaml")
	cmd.Env = append(os.Environ(), runAsPulseboard+"=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, 1, exit.ExitCode())
	require.Regexp(t, `testdata/broken\.yaml:\d+:\d+: `, string(out))
}
