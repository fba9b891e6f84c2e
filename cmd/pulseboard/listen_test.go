package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBinaryPortInUse runs pulseboard on a port another process holds: it
// exits 1 at once with one clear error, before anything starts (no
// supervision, no restarts).
func TestBinaryPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	addr := busy.Addr().String()

	cmd := exec.Command(os.Args[0], "-config", "testdata/e2e.yaml", "-listen", addr)
	cmd.Env = append(os.Environ(), runAsPulseboard+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	start := time.Now()
	require.Equal(t, exitFailed, waitExit(t, cmd, 30*time.Second), "stderr:\n%s", stderr.String())
	require.Less(t, time.Since(start), 10*time.Second)

	out := stderr.String()
	require.Contains(t, out, `err="listen `+addr+`: address already in use"`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 1, "one line:\n%s", out)
	for _, never := range []string{"supervision", "starting", "gave up", "listening"} {
		require.NotContains(t, out, never)
	}
	require.Empty(t, stdout.String(), "no dashboard was announced")
}

// TestListenErrors: the error names the address and the reason only.
func TestListenErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	_, err = listen(busy.Addr().String())
	require.EqualError(t, err, "listen "+busy.Addr().String()+": address already in use")

	_, err = listen("127.0.0.1:99999")
	require.ErrorContains(t, err, "listen 127.0.0.1:99999: ")
	require.NotContains(t, err.Error(), "listen tcp")

	ln, err := listen("127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, ln.Close())
}
