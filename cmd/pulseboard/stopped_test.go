package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	pbcollectors "github.com/pulseboard/pulseboard/collectors"
	"github.com/pulseboard/pulseboard/supervisor"
)

// stoppedConfig has one source per way a collector stops producing, each
// of which is parked after its second crash (max_restarts 1): one crashed
// on request, one whose second poll panics, one whose second poll hangs
// (seed 4 draws 0.69 then 0.35: the first poll is good, the second
// faults), and a steady one beside them.
func stoppedConfig() []byte {
	return fmt.Appendf(nil, `server:
  listen: 127.0.0.1:0
  auth: {admin_token: %s}
broadcast: {interval: 20ms}
supervisor: {max_restarts: 1, period: 1m, cooldown: 1m, backoff: {initial: 10ms, max: 10ms}}
sources:
  - name: crashed
    type: simulated
    interval: 20ms
    series: [{metric: crashed_value, shape: constant, min: 1, max: 1}]
  - name: panicky
    type: simulated
    interval: 20ms
    seed: 4
    series: [{metric: panicky_value, shape: constant, min: 1, max: 1}]
    faults: {panic_rate: 0.5}
  - name: hung
    type: simulated
    interval: 20ms
    timeout: 20ms
    seed: 4
    series: [{metric: hung_value, shape: constant, min: 1, max: 1}]
    faults: {hang_rate: 0.5}
  - name: steady
    type: simulated
    interval: 20ms
    series: [{metric: steady_value, shape: constant, min: 1, max: 1}]
`, adminToken)
}

// exportedOf lists the lines of /metrics that export a series of source
// (pulseboard's own metrics aside).
func exportedOf(f *reloadFixture, source string) []string {
	_, body := f.do("GET", "/metrics", "")
	var out []string
	for line := range strings.Lines(string(body)) {
		if !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "pulseboard_") &&
			strings.Contains(line, `source="`+source+`"`) {
			out = append(out, line)
		}
	}
	return out
}

// TestStoppedCollectorIsNotUp parks a collector in every way one stops
// producing (a crash request, a panic in a poll, a hang): each is failed,
// not up in the API and on /metrics, and its series are stale in the API
// and gone from /metrics at once, not kept live until the cool-down ends.
func TestStoppedCollectorIsNotUp(t *testing.T) {
	besideOthers(t)
	f := startReloadData(t, stoppedConfig(), true)
	stopped := []string{"crashed", "panicky", "hung"}
	// Every source stored its series: the API keeps them, stale, once it
	// is parked. (Looking for them on /metrics instead raced the parking:
	// on a loaded machine a panicking source can be parked between two
	// looks.)
	require.Eventually(t, func() bool {
		code, body := f.do("GET", "/api/v1/snapshot?points=0", "")
		snap, err := protocol.Decoder{}.Snapshot(body)
		if code != http.StatusOK || err != nil {
			return false
		}
		has := map[string]bool{}
		for _, s := range snap.Series {
			has[s.Source] = true
		}
		for _, name := range append(stopped, "steady") {
			if !has[name] {
				return false
			}
		}
		return true
	}, waitLong, tick, "every source stored its series")

	// Crash on request until parked; a crash while it is restarting is
	// refused (409) and tried again.
	require.Eventually(t, func() bool {
		if sourcesList(t, f)["crashed"].State == protocol.StateFailed {
			return true
		}
		f.do(http.MethodPost, "/api/v1/sources/crashed/crash", adminToken)
		return false
	}, waitLong, tick, "parked after its second crash")

	require.Eventually(t, func() bool {
		list := sourcesList(t, f)
		for _, name := range stopped {
			if list[name].State != protocol.StateFailed {
				return false
			}
		}
		return true
	}, waitLong, tick, "the panicking and the hanging source are parked too")

	list := sourcesList(t, f)
	for _, name := range stopped {
		require.False(t, list[name].Up, "%s: parked is not up", name)
		require.Equal(t, 0.0, metricValue(t, f.p.registry, "pulseboard_source_up", map[string]string{"source": name}), name)
		require.NotEmpty(t, list[name].LastError, name)
		st := seriesState(t, f, name)
		require.NotEmpty(t, st, name)
		for metric, stale := range st {
			require.True(t, stale, "%s: %s must be stale", name, metric)
		}
		require.Empty(t, exportedOf(f, name), "%s: a stale series is not exported", name)
	}
	require.True(t, list["steady"].Up)
	require.Equal(t, 1.0, metricValue(t, f.p.registry, "pulseboard_source_up", map[string]string{"source": "steady"}))
	require.Equal(t, map[string]bool{"steady_value": false}, seriesState(t, f, "steady"))
	require.NotEmpty(t, exportedOf(f, "steady"))
}

// TestCrashedCollectorIsStaleBeforeItsRestart: with a long backoff, a
// collector crashed on request is in backoff, not up, its series stale,
// until it runs and polls again.
func TestCrashedCollectorIsStaleBeforeItsRestart(t *testing.T) {
	besideOthers(t)
	f := startReloadData(t, fmt.Appendf(nil, `server:
  listen: 127.0.0.1:0
  auth: {admin_token: %s}
broadcast: {interval: 20ms}
supervisor: {backoff: {initial: 2s, max: 2s}}
sources:
  - name: crashed
    type: simulated
    interval: 20ms
    series: [{metric: crashed_value, shape: constant, min: 1, max: 1}]
`, adminToken), true)
	require.Eventually(t, func() bool { return len(exportedOf(f, "crashed")) > 0 }, waitLong, tick)
	code, body := f.do(http.MethodPost, "/api/v1/sources/crashed/crash", adminToken)
	require.Equal(t, http.StatusAccepted, code, "%s", body)
	require.Eventually(t, func() bool {
		return seriesState(t, f, "crashed")["crashed_value"]
	}, waitLong, tick, "stale at once")
	src := sourcesList(t, f)["crashed"]
	if src.State != protocol.StateRunning { // the backoff may be over on a slow machine
		require.False(t, src.Up, "in %s: not up", src.State)
		require.Empty(t, exportedOf(f, "crashed"))
	}
	require.Eventually(t, func() bool {
		return !seriesState(t, f, "crashed")["crashed_value"] && sourcesList(t, f)["crashed"].Up
	}, waitLong, tick, "live and up again after its restart")
}

// TestSourceUpOnlyWhileRunning: whatever its last poll said, a source
// whose collector does not run is not up.
func TestSourceUpOnlyWhileRunning(t *testing.T) {
	for _, state := range []supervisor.State{supervisor.StateStarting, supervisor.StateBackoff, supervisor.StateFailed, supervisor.StateStopped} {
		infos := sourceInfos([]pbcollectors.Status{{Name: "s", State: state, Stats: pbcollectors.Stats{Up: true}}})
		require.False(t, infos[0].Up, state.String())
	}
	infos := sourceInfos([]pbcollectors.Status{{Name: "s", State: supervisor.StateRunning, Stats: pbcollectors.Stats{Up: true}}})
	require.True(t, infos[0].Up)
}
