package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// reloadHead is the running config's server, for files a reload reads.
const reloadHead = "server:\n  listen: 127.0.0.1:0\n  auth: {admin_token: reload-test-admin}\n"

// reloadRefused reloads data through the route and returns the refusal's
// lines, checking that nothing changed.
func reloadRefused(t *testing.T, f *reloadFixture, data string) []string {
	t.Helper()
	running := f.p.reloader.config()
	f.write([]byte(data))
	code, body := f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusUnprocessableEntity, code, "%s", body)
	var answer struct{ Error string }
	require.NoError(t, json.Unmarshal(body, &answer))
	require.False(t, f.event().OK)
	require.Same(t, running, f.p.reloader.config(), "the running config is untouched")
	require.Equal(t, []string{"steady", "doomed", "edited"}, f.sourceNames())
	return strings.Split(answer.Error, "\n")
}

// A reload holds a source to the aggregator limits the running store
// enforces, not to those of the file, which need a restart: raised limits
// and a simulated count past the running max_series_per_source were
// applied, and the store refused all but 10,000 samples of each poll.
func TestReloadHoldsSourcesToTheRunningLimits(t *testing.T) {
	f := startReload(t, "reload_base.yaml", true)
	lines := reloadRefused(t, f, reloadHead+
		"aggregator: {max_series: 500000, max_series_per_source: 100000, memory_limit: 4GiB}\n"+
		"sources:\n"+
		"  - {name: s, type: simulated, interval: 100ms, series: [{metric: m, shape: sine, count: 20000}]}\n")
	require.Equal(t, []string{f.path + ":6:57: sources[0].series: 20000 series is more than the running aggregator.max_series_per_source (10000; a new value needs a restart)"}, lines)

	// The same file is valid for a start, where its limits are in force.
	var out, errOut strings.Builder
	require.Zero(t, checkCommand([]string{"-config", f.path}, &out, &errOut), "%s", &errOut)
}

// A mapping key that is not a string made the loader return an empty
// config and no error: a reload removed every source, counted a success.
func TestReloadRefusesAnAliasAsAKey(t *testing.T) {
	f := startReload(t, "reload_base.yaml", true)
	lines := reloadRefused(t, f, reloadHead+"sources: &a [{name: x, type: bogus}]\n? *a\n: 2\n")
	require.Equal(t, []string{f.path + ":5:3: a mapping key must be a plain string, not an alias (*a)"}, lines)
	require.Zero(t, f.reloads("success"))
}
