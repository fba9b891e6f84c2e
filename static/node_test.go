package static

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestBrowserModules runs the browser modules' own tests (static/test/
// *.test.js; helpers beside them, such as test/fakes/, are not tests) with
// Node's built-in test runner, so that `go test ./...` covers them. Without
// Node they are skipped, except under CI=true (see testtool.Require).
func TestBrowserModules(t *testing.T) {
	node := testtool.Require(t, "node")
	files, err := filepath.Glob("test/*.test.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test/*.test.js (%v)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{"--test"}, files...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test test/*.test.js: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
