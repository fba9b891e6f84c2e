package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/configs"
)

func TestReloadAppliesOnlyWhatChanged(t *testing.T) {
	f := startReload(t, "reload_base.yaml", false)
	stream := f.watchStream()
	require.Equal(t, []string{"steady", "doomed", "edited"}, f.sourceNames())

	// The unchanged source has a restart behind it, to see that its count
	// survives the reload.
	require.Eventually(t, func() bool { return f.stats("steady").Polls > 0 }, waitLong, 5*time.Millisecond)
	require.NoError(t, f.p.collectors.Crash("steady"))
	require.Eventually(t, func() bool {
		return f.stats("steady").Restarts == 1 && f.stats("steady").Polls > 2
	}, waitLong, 5*time.Millisecond)
	startedBefore := f.started("steady")
	require.Equal(t, 2.0, startedBefore)
	editedStarted := f.started("edited")

	f.replace("reload_next.yaml")
	e := f.event()
	require.True(t, e.OK, "%+v", e)
	ev, err := e.event()
	require.NoError(t, err)
	require.Equal(t, "reload", ev.Kind)
	require.Equal(t, []string{"fresh"}, e.Added)
	require.Equal(t, []string{"doomed"}, e.Removed)
	require.Equal(t, []string{"edited"}, e.Changed)
	require.Empty(t, e.NeedsRestart)
	require.Equal(t, "config reloaded: added fresh; removed doomed; changed edited", e.Message)

	require.Equal(t, []string{"steady", "edited", "fresh"}, f.sourceNames())
	polls := f.stats("steady").Polls
	deltas := stream.deltaCount()

	// The unchanged source was not restarted, keeps its restart count and
	// goes on polling; the changed one was started afresh on its new
	// config, which is not a restart; the dashboard stream went on.
	require.Eventually(t, func() bool { return f.stats("steady").Polls > polls+2 }, waitLong, 5*time.Millisecond)
	require.Equal(t, uint64(1), f.stats("steady").Restarts)
	require.Equal(t, startedBefore, f.started("steady"))
	require.Equal(t, editedStarted+1, f.started("edited"))
	require.Zero(t, f.stats("edited").Restarts)
	require.Eventually(t, func() bool {
		code, body := f.do("GET", "/api/v1/snapshot?points=0", "")
		return code == http.StatusOK && strings.Contains(string(body), `"edited_after"`) &&
			strings.Contains(string(body), `"fresh_value"`)
	}, waitLong, 10*time.Millisecond)
	stream.waitFor(t, "deltas after the reload", func(n int, _ []protocol.Event) bool { return n > deltas+2 })
	stream.waitFor(t, "the reload event", func(_ int, events []protocol.Event) bool {
		for _, ev := range events {
			if r, ok := reloadIn(ev); ok && r.OK && slices.Equal(r.Added, []string{"fresh"}) {
				return true
			}
		}
		return false
	})

	require.Equal(t, 1.0, f.reloads("success"))
	require.Zero(t, f.reloads("failure"))
	require.Contains(t, f.logs.String(), `msg="config reloaded" component=reload trigger=file added=[fresh] removed=[doomed] changed=[edited]`)
}

func TestReloadRejectsAnInvalidFileWhole(t *testing.T) {
	f := startReload(t, "reload_base.yaml", false)
	stream := f.watchStream()
	require.Eventually(t, func() bool { return f.stats("steady").Polls > 0 }, waitLong, 5*time.Millisecond)
	running := f.p.reloader.config()
	started := f.started("steady")

	// Through the file watch: a decode error.
	f.replace("reload_broken.yaml")
	e := f.event()
	require.False(t, e.OK)
	// The known keys include every source type's: only the start is fixed.
	require.Len(t, e.Errors, 1)
	require.True(t, strings.HasPrefix(e.Errors[0], f.path+`:10:5: sources[0].colour: unknown key "colour" (known keys: name, type, interval, timeout, labels, `), e.Errors[0])
	require.Equal(t, e.Errors[0], e.Message)

	// Through the route: every validation error, one a line.
	f.replace("reload_invalid.yaml")
	e = f.event() // the watch sees this one too
	require.False(t, e.OK)
	code, body := f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusUnprocessableEntity, code, "%s", body)
	var answer struct{ Error string }
	require.NoError(t, json.Unmarshal(body, &answer))
	want := []string{
		f.path + `:9:15: sources[0].interval: must be positive, got 0s`,
		f.path + `:12:11: sources[1].name: duplicate source name "steady" (first used by sources[0])`,
		f.path + `:13:11: sources[1].type: unknown source type "teleport" (known: ` + strings.Join(configs.SourceTypes(), ", ") + `)`,
	}
	require.Equal(t, want, strings.Split(answer.Error, "\n"))
	e = f.event()
	require.False(t, e.OK)
	require.Equal(t, want, e.Errors)
	require.Equal(t, strings.Join(want, "; "), e.Message)
	require.Contains(t, f.logs.String(), `level=ERROR msg="config reload rejected; the running config is unchanged" component=reload trigger=api err="`+want[0]+`"`)

	// Nothing changed.
	require.Same(t, running, f.p.reloader.config())
	require.Equal(t, []string{"steady", "doomed", "edited"}, f.sourceNames())
	require.Equal(t, started, f.started("steady"))
	require.Equal(t, 3.0, f.reloads("failure"))
	require.Zero(t, f.reloads("success"))
	deltas := stream.deltaCount()
	stream.waitFor(t, "deltas after the rejections", func(n int, _ []protocol.Event) bool { return n > deltas })
	stream.waitFor(t, "the rejection in the stream, with its file:line:col lines", func(_ int, events []protocol.Event) bool {
		for _, ev := range events {
			if r, ok := reloadIn(ev); ok && !r.OK && slices.Equal(r.Errors, want) {
				return true
			}
		}
		return false
	})
	f.noEvent()
}

func TestReloadOnSIGHUP(t *testing.T) {
	f := startReload(t, "reload_base.yaml", true)
	require.Nil(t, f.p.reloader.watcher)
	f.replace("reload_next.yaml")

	f.hangups <- syscall.SIGHUP
	e := f.event()
	require.True(t, e.OK, "%+v", e)
	require.Equal(t, []string{"fresh"}, e.Added)
	require.Equal(t, []string{"steady", "edited", "fresh"}, f.sourceNames())
	require.Contains(t, f.logs.String(), `msg="config reloaded" component=reload trigger="signal hangup"`)
}

func TestReloadRoute(t *testing.T) {
	f := startReload(t, "reload_base.yaml", true)
	f.replace("reload_next.yaml")

	code, _ := f.do("POST", "/api/v1/reload", "")
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = f.do("POST", "/api/v1/reload", "not-the-token")
	require.Equal(t, http.StatusUnauthorized, code)
	f.noEvent()
	require.Equal(t, []string{"steady", "doomed", "edited"}, f.sourceNames())

	code, body := f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.JSONEq(t, `{"status":"reloaded"}`, string(body))
	require.True(t, f.event().OK)
	require.Equal(t, []string{"steady", "edited", "fresh"}, f.sourceNames())

	// The same file again: a success that changes nothing.
	code, _ = f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusOK, code)
	e := f.event()
	require.True(t, e.OK)
	require.Equal(t, "config reloaded: no source changed", e.Message)
	require.Equal(t, 2.0, f.reloads("success"))
}

func TestReloadKeepsWhatNeedsARestart(t *testing.T) {
	f := startReload(t, "reload_base.yaml", true)
	before := *f.p.reloader.config()
	f.replace("reload_restart.yaml")

	code, body := f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusOK, code, "%s", body)
	e := f.event()
	require.True(t, e.OK)
	require.Equal(t, []string{"fresh"}, e.Added)
	require.Equal(t, []string{"server.listen", "server.auth.admin_token", "aggregator.history", "broadcast.interval"}, e.NeedsRestart)
	require.Contains(t, e.Message, "needs a restart to take effect: server.listen, server.auth.admin_token, aggregator.history, broadcast.interval")
	require.Contains(t, f.logs.String(), `level=WARN msg="config changes need a restart to take effect; their old values stay in force" component=reload trigger=api keys="[server.listen server.auth.admin_token aggregator.history broadcast.interval]"`)
	require.NotContains(t, f.logs.String(), "another-admin", "token values are never logged")

	after := f.p.reloader.config()
	require.Equal(t, before.Server, after.Server)
	require.Equal(t, before.Aggregator, after.Aggregator)
	require.Equal(t, before.Broadcast, after.Broadcast)
	require.Len(t, after.Sources, 4)
	// The old token still opens the admin routes.
	code, _ = f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusOK, code)
	require.True(t, f.event().OK)
}

func TestReloadWithTheEmbeddedConfig(t *testing.T) {
	f := startReload(t, "", false)
	require.Nil(t, f.p.reloader.watcher, "no file, no watch")

	code, body := f.do("POST", "/api/v1/reload", f.p.dashboard.AdminToken())
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.JSONEq(t, `{"error":"no config file to reload (running on the embedded config)"}`, string(body))

	f.hangups <- syscall.SIGHUP
	require.Eventually(t, func() bool {
		return strings.Contains(f.logs.String(), `level=WARN msg="reload asked for, but there is no config file to reload (running on the embedded config)" component=reload trigger="signal hangup"`)
	}, waitLong, 5*time.Millisecond)
	f.noEvent()
	require.Zero(t, f.reloads("success"))
	require.Zero(t, f.reloads("failure"))
}

func TestReloadMetricsFromTheStart(t *testing.T) {
	before := time.Now()
	f := startReload(t, "reload_base.yaml", true)
	code, body := f.do("GET", "/metrics", "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(body), `pulseboard_config_reloads_total{result="failure"} 0`)
	require.Contains(t, string(body), `pulseboard_config_reloads_total{result="success"} 0`)
	require.Contains(t, string(body), `pulseboard_config_reloads_total{result="timeout"} 0`)
	loaded := metricValue(t, f.p.registry, "pulseboard_config_last_reload_success_timestamp_seconds", nil)
	require.GreaterOrEqual(t, loaded, float64(before.Unix()))
	require.LessOrEqual(t, loaded, float64(time.Now().Unix()+1))

	code, _ = f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusOK, code)
	require.True(t, f.event().OK)
	require.Equal(t, 1.0, f.reloads("success"))
	require.Greater(t, metricValue(t, f.p.registry, "pulseboard_config_last_reload_success_timestamp_seconds", nil), loaded)
}

// The real binary: SIGHUP reloads rather than ends the process, and a
// source appended to the file shows in the API without another step.
func TestBinaryReloads(t *testing.T) {
	besideOthers(t)
	path := filepath.Join(t.TempDir(), "pulseboard.yaml")
	data, err := os.ReadFile("testdata/reload_base.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	cmd, url, stderr := startPulseboard(t, "-config", path, "-shutdown-timeout", "10s")
	get := func(path string) string {
		resp, err := http.Get(url + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(body)
	}

	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool {
		return strings.Contains(get("/metrics"), `pulseboard_config_reloads_total{result="success"} 1`)
	}, waitLong, 10*time.Millisecond)

	appended := "  - {name: appended, type: simulated, series: [{metric: up, shape: constant}]}\n"
	file, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = file.WriteString(appended)
	require.NoError(t, err)
	require.NoError(t, file.Close())
	require.Eventually(t, func() bool {
		return strings.Contains(get("/api/v1/sources"), `"name":"appended"`)
	}, waitLong, 10*time.Millisecond)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	require.Contains(t, stderr.String(), `msg="config reloaded" component=reload trigger="signal hangup" added=[] removed=[] changed=[]`)
	require.Contains(t, stderr.String(), `msg="config reloaded" component=reload trigger=file added=[appended] removed=[] changed=[]`)
}
