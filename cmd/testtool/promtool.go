package testtool

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// PromtoolProblems runs `promtool check metrics` over a text exposition
// and returns what it complains of, one line each (none: the exposition
// is lint-clean). An exposition promtool cannot parse fails the test.
// Without promtool the test is skipped, or fails under CI=true (Require).
func PromtoolProblems(t testing.TB, exposition []byte) []string {
	t.Helper()
	lines, ok := promtoolProblems(t, exposition)
	if !ok {
		t.Fatalf("promtool check metrics cannot parse the exposition:\n%s", strings.Join(lines, "\n"))
	}
	return lines
}

// RequirePromtoolClean fails the test when promtool check metrics reports
// anything on the exposition.
func RequirePromtoolClean(t testing.TB, exposition []byte) {
	t.Helper()
	if lines := PromtoolProblems(t, exposition); len(lines) > 0 {
		t.Fatalf("promtool check metrics reports problems:\n%s", strings.Join(lines, "\n"))
	}
}

// PromtoolProblemsOf is PromtoolProblems for an exposition that promtool
// may fail to parse (a target's own body, say): ok is false then, and
// lines are promtool's output.
func PromtoolProblemsOf(t testing.TB, exposition []byte) (lines []string, ok bool) {
	t.Helper()
	return promtoolProblems(t, exposition)
}

func promtoolProblems(t testing.TB, exposition []byte) ([]string, bool) {
	t.Helper()
	promtool := Require(t, "promtool")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	var lines []string
	for line := range strings.Lines(string(out)) {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return lines, true
	case errors.As(err, &exit) && exit.ExitCode() == 3: // lint problems, parsed fine
		return lines, true
	case errors.As(err, &exit):
		return lines, false
	}
	t.Fatalf("running promtool: %v", err)
	return nil, false
}
