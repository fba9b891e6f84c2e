package testtool

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// outcome is what Require did to a test.
type outcome struct {
	path    string
	skipped string
	failed  string
}

// recordingTB is a testing.TB whose Skip and Fatal end the calling
// goroutine, as the real ones do, after recording the message.
type recordingTB struct {
	testing.TB
	out *outcome
}

func (r recordingTB) Helper() {}
func (r recordingTB) Skip(args ...any) {
	r.out.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r recordingTB) Fatal(args ...any) {
	r.out.failed = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r recordingTB) Fatalf(format string, args ...any) {
	r.out.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls Require as a test would, on a goroutine of its own.
func run(names ...string) outcome {
	var out outcome
	done := make(chan struct{})
	go func() {
		defer close(done)
		out.path = Require(recordingTB{out: &out}, names...)
	}()
	<-done
	return out
}

// onPath makes PATH a directory holding one executable per name.
func onPath(t *testing.T, names ...string) string {
	dir := t.TempDir()
	for _, n := range names {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755))
	}
	t.Setenv("PATH", dir)
	return dir
}

func TestRequireFindsTheFirstAlternative(t *testing.T) {
	dir := onPath(t, "chromium-browser", "headless-shell")
	t.Setenv("CI", "true")
	got := run("chromium", "chromium-browser", "headless-shell")
	require.Equal(t, outcome{path: filepath.Join(dir, "chromium-browser")}, got)
}

func TestRequireSkipsLocally(t *testing.T) {
	onPath(t)
	t.Setenv("CI", "")
	got := run("promtool")
	require.Equal(t, outcome{skipped: "promtool not found on PATH (apt-get install prometheus)"}, got)
}

func TestRequireFailsUnderCI(t *testing.T) {
	onPath(t)
	t.Setenv("CI", "true")
	got := run("chromium", "chromium-browser")
	require.Equal(t, outcome{failed: "chromium or chromium-browser not found on PATH (apt-get install chromium); CI=true requires it"}, got)
}

func TestRequireUnknownToolHasNoHint(t *testing.T) {
	onPath(t)
	t.Setenv("CI", "false") // only "true" means CI
	got := run("frobnicate")
	require.Equal(t, outcome{skipped: "frobnicate not found on PATH"}, got)
}

func TestRequireWithoutNamesFails(t *testing.T) {
	require.Equal(t, outcome{failed: "testtool.Require: no program named"}, run())
}
