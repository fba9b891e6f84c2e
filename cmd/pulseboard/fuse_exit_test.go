package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pulseboard/pulseboard/cmd/testtool/hungfuse"
	"github.com/stretchr/testify/require"
)

// mountHung mounts a FUSE filesystem holding files whose reads are not
// answered until the test ends (cmd/testtool/hungfuse). Where FUSE cannot
// be used the test is skipped, or failed under CI=true: CI runs as root
// on a machine with /dev/fuse, and a proof that silently skips there is
// one nobody runs.
func mountHung(t *testing.T, files map[string]string) *hungfuse.Mount {
	t.Helper()
	m, err := hungfuse.New(t.TempDir(), files)
	if errors.Is(err, hungfuse.ErrUnavailable) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v; CI=true requires it", err)
		}
		t.Skip(err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	return m
}

// exitBound is how long a process given a hung file may take to exit:
// the read budget (2 s) and a margin for a loaded machine. Before config
// files were read by a child process, such a process did not exit until
// the mount answered, SIGKILL or not (issue 14: 631 s).
const exitBound = 10 * time.Second

// A config file, or a TLS file a config names, on a FUSE mount whose
// reads are never answered: `check` says the read timed out and exits, and
// a server whose reload ran into such a file exits on SIGTERM — both
// while the reads are still unanswered, which only a read in another
// process allows (the kernel waits for a FUSE read the daemon has taken
// uninterruptibly, and a process with a thread in it cannot exit).
func TestExitsWithAFileReadHungOnFUSE(t *testing.T) {
	besideOthers(t)
	valid, err := os.ReadFile("testdata/e2e.yaml")
	require.NoError(t, err)
	m := mountHung(t, map[string]string{"pulseboard.yaml": string(valid), "ca.pem": "-----BEGIN CERTIFICATE-----\n"})
	hungConfig, hungCA := filepath.Join(m.Dir, "pulseboard.yaml"), filepath.Join(m.Dir, "ca.pem")

	tlsConfig := filepath.Join(t.TempDir(), "tls.yaml")
	require.NoError(t, os.WriteFile(tlsConfig, []byte(fmt.Sprintf(
		"cluster:\n  name: lab\n  nats:\n    urls: [\"tls://127.0.0.1:4222\"]\n    tls: {ca_file: %q}\n", hungCA)), 0o600))
	for name, tc := range map[string]struct{ config, want string }{
		"check the config": {hungConfig, hungConfig + ":1:1: reading the file timed out after 2s"},
		"check a TLS file": {tlsConfig, fmt.Sprintf("%s:5:20: cluster.nats.tls.ca_file: %q cannot be read: reading the file timed out after 2s", tlsConfig, hungCA)},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "check", "-config", tc.config)
			cmd.Env = append(os.Environ(), runAsPulseboard+"=1", "XDG_STATE_HOME="+stateHome(t))
			out := &lockedBuffer{}
			cmd.Stdout, cmd.Stderr = out, out
			require.NoError(t, cmd.Start())
			start := time.Now()
			require.Equal(t, 1, waitExit(t, cmd, exitBound), "output:\n%s", out)
			t.Logf("check exited %v after it started", time.Since(start).Round(time.Millisecond))
			require.Contains(t, out.String(), tc.want)
		})
	}

	t.Run("server", func(t *testing.T) {
		config := filepath.Join(t.TempDir(), "pulseboard.yaml")
		require.NoError(t, os.WriteFile(config, valid, 0o600))
		stderr := &lockedBuffer{}
		cmd, _ := startPulseboardTo(t, stderr, "-config", config)
		// Saved over the config as editors save: a new name renamed onto it.
		require.NoError(t, os.Symlink(hungConfig, config+".new"))
		require.NoError(t, os.Rename(config+".new", config))
		require.Eventually(t, func() bool {
			return strings.Contains(stderr.String(), "reading the file timed out after 2s")
		}, exitBound, 10*time.Millisecond, "the reload was not refused; stderr:\n%s", stderr)

		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		start := time.Now()
		require.Equal(t, 0, waitExit(t, cmd, exitBound), "stderr:\n%s", stderr)
		t.Logf("the server exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))
		require.Contains(t, stderr.String(), "stopped cleanly")
	})
}
