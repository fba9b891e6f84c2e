package static

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestBrowserModules runs the browser modules' own tests (static/test/)
// with Node's built-in test runner, so that `go test ./...` covers them.
// Without Node they are skipped, except under CI=true (see testtool.Require).
func TestBrowserModules(t *testing.T) {
	node := testtool.Require(t, "node")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "test/")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test test/: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
