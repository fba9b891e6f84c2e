package dashboard

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const fdChildEnv = "PULSEBOARD_TEST_FD_CHILD"

// The trial's attack for real: a server whose descriptor limit is far
// below its connection cap (a limit lowered under it, or descriptors taken
// by something else), flooded with idle connections, keeps serving:
// /healthz answers, the accept errors are counted, and it stops cleanly.
// The server runs in a child process so that its limit is its own.
func TestDescriptorLimitReached(t *testing.T) {
	if os.Getenv(fdChildEnv) != "" {
		fdChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDescriptorLimitReached$", "-test.count=1")
	cmd.Env = append(os.Environ(), fdChildEnv+"=1")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	var base string
	for lines.Scan() {
		if a, ok := strings.CutPrefix(lines.Text(), "serving "); ok {
			base = a
			break
		}
	}
	require.NotEmpty(t, base, "the child did not start")
	go func() { _, _ = io.Copy(os.Stderr, stdout) }()

	// Twice the child's spare descriptors, never sending a byte.
	for range 2 * fdChildSpare {
		c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		require.NoError(t, err)
		defer c.Close()
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) (int, string) {
		resp, err := client.Get(base + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	for range 3 {
		code, _ := get(healthzPath)
		require.Equal(t, http.StatusOK, code)
	}
	code, metrics := get(metricsPath)
	require.Equal(t, http.StatusOK, code)
	require.NotContains(t, metrics, `pulseboard_http_accept_errors_total{reason="emfile"} 0`+"\n", "the limit was reached")
	require.NotContains(t, metrics, "pulseboard_http_idle_connections_evicted_total 0\n")

	require.NoError(t, stdin.Close())
	require.NoError(t, cmd.Wait(), "the child's server stopped cleanly")
}

// fdChildSpare is how many descriptors the child keeps free under its limit.
const fdChildSpare = 40

func fdChild(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.MaxConnections = 10_000 }})
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	lim.Cur = uint64(len(fds) + fdChildSpare)
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
	fmt.Printf("serving %s\n", f.base)
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it
	f.http.CloseIdleConnections()
	require.NoError(t, f.stop())
}
