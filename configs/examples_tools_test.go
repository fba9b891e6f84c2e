package configs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// The examples for other programs live beside pulseboard's own configs
// (which TestExamplesAreValid loads: *.yaml) and are checked by those
// programs' own tools.

// runTool runs a checking tool and returns its combined output; the tool
// must exit 0.
func runTool(t *testing.T, path string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), path, args...)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", filepath.Base(path), strings.Join(args, " "), out)
	return string(out)
}

func TestPrometheusExampleIsValid(t *testing.T) {
	promtool := testtool.Require(t, "promtool")
	out := runTool(t, promtool, "check", "config", filepath.Join("examples", "prometheus.yml"))
	require.Contains(t, out, "SUCCESS")
	require.NotContains(t, out, "WARNING")
}

// The unit must load without a single complaint (systemd-analyze verify
// exits 0 even on unknown keys and bad values, so its output must be
// empty), and its hardening must keep systemd's exposure score at 2.0 or
// below ("OK"; a unit with no hardening scores 9.6).
func TestSystemdUnitExample(t *testing.T) {
	analyze := testtool.Require(t, "systemd-analyze")
	unit, err := os.ReadFile(filepath.Join("examples", "pulseboard.service"))
	require.NoError(t, err)
	require.Contains(t, string(unit), "ExecStart=/usr/local/bin/pulseboard run -config /etc/pulseboard/pulseboard.yaml")

	// verify insists that the programs exist: point them at one that does.
	self, err := os.Executable()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "pulseboard.service")
	require.NoError(t, os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/pulseboard", self)), 0o644))

	require.Empty(t, runTool(t, analyze, "verify", path))
	runTool(t, analyze, "security", "--offline=true", "--threshold=20", path)
}
