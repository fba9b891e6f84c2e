package static

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestBrowserModules runs the browser modules' own tests (static/test/
// *.test.js; helpers beside them, such as test/fakes/, are not tests) with
// Node's built-in test runner, so that `go test ./...` covers them. Without
// Node they are skipped, except under CI=true.
func TestBrowserModules(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not installed; CI must run the browser modules' tests")
		}
		t.Skip("node is not installed: skipping the browser modules' tests (static/test/)")
	}
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
