package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func runMain(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCheckEmbeddedDefault(t *testing.T) {
	code, out, errOut := runMain("check")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "valid")
}

// A count of one is said in the singular: "valid, 1 source".
func TestCheckCountsSources(t *testing.T) {
	code, out, errOut := runMain("check", "-config", "../../configs/examples/host.yaml")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "valid, 1 source\n")
	code, out, errOut = runMain("check")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `valid, [2-9]\d* sources\n`, out)
}

func TestCheckShippedConfigs(t *testing.T) {
	for _, path := range []string{"../../configs/default.yaml", "testdata/e2e.yaml"} {
		code, _, errOut := runMain("check", "-config", path)
		require.Equal(t, 0, code, "%s: %s", path, errOut)
	}
}

func TestCheckReportsOneErrorPerLine(t *testing.T) {
	code, out, errOut := runMain("check", "-config", "testdata/many-errors.yaml")
	require.Equal(t, 1, code)
	require.Empty(t, out)
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	require.GreaterOrEqual(t, len(lines), 3, errOut)
	for _, line := range lines {
		require.Regexp(t, `^testdata/many-errors\.yaml:\d+:\d+: `, line)
	}
	require.Contains(t, errOut, "sources[1].name")
	require.Contains(t, errOut, "teleport")
	require.Contains(t, errOut, "sources[0].interval")
}

func TestCheckMissingFile(t *testing.T) {
	code, _, errOut := runMain("check", "-config", "testdata/no-such-file.yaml")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no-such-file.yaml")
}

func TestVersionAndUsage(t *testing.T) {
	code, out, _ := runMain("version")
	require.Equal(t, 0, code)
	require.True(t, strings.HasPrefix(out, "pulseboard "), out)

	code, _, errOut := runMain("frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "unknown command")

	code, _, _ = runMain("run", "-log-level", "chatty")
	require.Equal(t, 2, code)

	code, _, errOut = runMain("run", "-listen", "nowhere")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "-listen")

	code, _, errOut = runMain("check", "stray")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "unexpected argument")
}

func TestCheckHidesURLSecrets(t *testing.T) {
	code, out, errOut := runMain("check", "-config", "testdata/secret-url.yaml")
	require.Equal(t, 1, code)
	require.Equal(t, `testdata/secret-url.yaml:6:10: sources[0].url: URL "ftp://xxxxx:xxxxx@host/x?token=xxxxx": the scheme must be http or https`+"\n", errOut)
	for _, secret := range []string{"admin", "s3cret", "abc"} {
		require.NotContains(t, out+errOut, secret)
	}
}

// check refuses a file that lists no sources, at its place, and takes one
// that says none on purpose (trial 14 round 6: an empty file and one of
// only `server:` were "valid, 0 sources").
func TestCheckRefusesAFileThatListsNoSources(t *testing.T) {
	dir := t.TempDir()
	for _, src := range []string{"", "server:\n", "# nothing yet\n"} {
		path := filepath.Join(dir, "c.yaml")
		require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
		code, out, errOut := runMain("check", "-config", path)
		require.Equal(t, 1, code, "%q: %s", src, out)
		require.Empty(t, out)
		require.Regexp(t, `^`+regexp.QuoteMeta(path)+`:1:1: .*write `+"`sources: \\[\\]`"+` to run with none\n$`, errOut)
	}
	path := filepath.Join(dir, "none.yaml")
	require.NoError(t, os.WriteFile(path, []byte("sources: []\n"), 0o600))
	code, out, errOut := runMain("check", "-config", path)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, path+": valid, 0 sources\n", out)
}

// The server refuses to start on such a file, before it listens.
func TestRunRefusesAFileThatListsNoSources(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(path, []byte("server:\n  listen: 127.0.0.1:0\n"), 0o600))
	code, out, errOut := runMain("run", "-config", path, "-storage.path", "")
	require.Equal(t, 1, code, "%s", out)
	require.Contains(t, errOut, path+":1:1: no sources key")
	require.Contains(t, errOut, "write `sources: []` to run with none")
}
