// Package testtool finds the external programs that some tests run
// (promtool, Chromium, Node, and the like), the same way for every test.
//
// Where a program is missing, the test is skipped with the package to
// install, so that `go test ./...` works on a bare machine. Under CI=true it
// fails instead: CI installs every one of these programs (.ci/run), and a
// check that silently skips there is a check nobody runs.
package testtool

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// debianPackages names the Debian package that ships each program, for the
// message of a test that cannot find it.
var debianPackages = map[string]string{
	"promtool":                "prometheus",
	"prometheus":              "prometheus",
	"alertmanager":            "prometheus-alertmanager",
	"prometheus-alertmanager": "prometheus-alertmanager", // Debian's name for the binary
	"amtool":                  "prometheus-alertmanager",
	"nats-server":             "nats-server",
	"node":                    "nodejs",
	"chromium":                "chromium",
	"chromium-browser":        "chromium",
	"google-chrome-stable":    "chromium",
	"google-chrome":           "chromium",
	"headless-shell":          "chromium",
	"systemd-analyze":         "systemd",
	"prlimit":                 "util-linux",
}

// Require returns the path of the first of names found on PATH (several
// names are alternatives: "chromium", "chromium-browser", …). When none is
// found it skips the test, or fails it when the CI environment variable is
// "true". Call it from the test's own goroutine, like t.Skip.
func Require(t testing.TB, names ...string) string {
	t.Helper()
	if len(names) == 0 {
		t.Fatal("testtool.Require: no program named")
		return ""
	}
	path, missing := find(names, exec.LookPath)
	if missing == "" {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; CI=true requires it", missing)
		return ""
	}
	t.Skip(missing)
	return ""
}

// find looks the names up in order and returns the first path found, or
// else a message naming what is missing and what to install.
func find(names []string, lookPath func(string) (string, error)) (path, missing string) {
	for _, name := range names {
		if p, err := lookPath(name); err == nil {
			return p, ""
		}
	}
	msg := fmt.Sprintf("%s not found on PATH", strings.Join(names, " or "))
	if pkg, ok := debianPackages[names[0]]; ok {
		msg += fmt.Sprintf(" (apt-get install %s)", pkg)
	}
	return "", msg
}
