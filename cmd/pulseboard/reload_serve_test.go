package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/supervisor"
)

// reloaderHarness is a reloader on fakes: the config it loads and what
// applying sources does are the test's.
type reloaderHarness struct {
	r       *reloader
	reg     *prometheus.Registry
	logs    *lockedBuffer
	events  chan reloadEvent
	mu      sync.Mutex
	applied [][]configs.Source
}

func newReloaderHarness(t *testing.T, running *configs.Config, setup reloadSetup,
	load func(string) (*configs.Config, error), apply func([]configs.Source) error) *reloaderHarness {
	t.Helper()
	h := &reloaderHarness{reg: prometheus.NewRegistry(), logs: &lockedBuffer{}, events: make(chan reloadEvent, 16)}
	if apply == nil {
		apply = func([]configs.Source) error { return nil }
	}
	var err error
	h.r, err = newReloader(running, setup, reloaderDeps{
		apply: func(srcs []configs.Source) error {
			h.mu.Lock()
			h.applied = append(h.applied, srcs)
			h.mu.Unlock()
			return apply(srcs)
		},
		announcer: recordingAnnouncer{events: h.events},
		registry:  h.reg,
		log:       slog.New(slog.NewTextHandler(h.logs, nil)),
		load:      load,
	})
	require.NoError(t, err)
	return h
}

// serve runs the reloader until the test ends.
func (h *reloaderHarness) serve(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.r.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
}

func (h *reloaderHarness) count(result string) float64 {
	return testutil.ToFloat64(h.r.metrics.reloads.WithLabelValues(result))
}

func configWith(srcs ...configs.Source) *configs.Config {
	c := configs.Default()
	c.Sources = srcs
	return c
}

func loadsOf(c *configs.Config) func(string) (*configs.Config, error) {
	return func(string) (*configs.Config, error) {
		cp := *c
		return &cp, nil
	}
}

func TestReloaderSerializesAndCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var loads atomic.Int32
		next := configWith(simSource("a", time.Second, nil))
		hangups := make(chan os.Signal, 1)
		h := newReloaderHarness(t, configWith(), reloadSetup{path: "pulseboard.yaml", hangups: hangups, noWatch: true},
			func(string) (*configs.Config, error) {
				loads.Add(1)
				<-release
				return loadsOf(next)("")
			}, nil)
		h.serve(t)

		results := make(chan error, 4)
		reload := func() { results <- h.r.Reload(context.Background()) }
		go reload()
		synctest.Wait()
		require.Equal(t, int32(1), loads.Load(), "the first reload runs")

		// Asked for while it runs: three route requests and a SIGHUP.
		for range 3 {
			go reload()
		}
		hangups <- syscall.SIGHUP
		synctest.Wait()
		require.Equal(t, int32(1), loads.Load(), "one at a time")

		release <- struct{}{}
		require.NoError(t, <-results)
		synctest.Wait()
		require.Equal(t, int32(2), loads.Load(), "one more reload serves everything asked meanwhile")
		release <- struct{}{}
		for range 3 {
			require.NoError(t, <-results)
		}
		synctest.Wait()
		require.Equal(t, int32(2), loads.Load())
		require.Equal(t, 2.0, h.count(resultSuccess))
		require.Len(t, h.applied, 1, "the second reload found nothing to change")
		require.Contains(t, h.logs.String(), `trigger="api,signal hangup"`)
		// Each reason to reload is counted, merged or not.
		require.Equal(t, 4.0, testutil.ToFloat64(h.r.metrics.requests.WithLabelValues(triggerAPI)))
		require.Equal(t, 1.0, testutil.ToFloat64(h.r.metrics.requests.WithLabelValues(triggerSignal)))
		require.Zero(t, testutil.ToFloat64(h.r.metrics.requests.WithLabelValues(triggerFile)))
	})
}

func TestReloaderRejectsWhatTheSourcesRefuse(t *testing.T) {
	running := configWith(simSource("a", time.Second, nil))
	h := newReloaderHarness(t, running, reloadSetup{path: "pulseboard.yaml", noWatch: true},
		loadsOf(configWith(simSource("a", time.Second, nil), simSource("b", time.Second, nil))),
		func([]configs.Source) error { return errors.New(`source "b": bad source config: nope`) })
	h.serve(t)

	err := h.r.Reload(context.Background())
	var rejected *rejectedError
	require.ErrorAs(t, err, &rejected)
	require.Equal(t, `sources: source "b": bad source config: nope`, err.Error())
	require.Same(t, running, h.r.config())
	require.Equal(t, 1.0, h.count(resultFailure))
	e := <-h.events
	require.False(t, e.OK)
	require.Equal(t, []string{`sources: source "b": bad source config: nope`}, e.Errors)
}

func TestReloaderAppliesDespiteAStuckSource(t *testing.T) {
	running := configWith(simSource("a", time.Second, nil), simSource("b", time.Second, nil))
	h := newReloaderHarness(t, running, reloadSetup{path: "pulseboard.yaml", noWatch: true},
		loadsOf(configWith(simSource("a", time.Second, nil))),
		func([]configs.Source) error {
			return fmt.Errorf(`supervisor "collectors": child "b": %w after 5s`, supervisor.ErrStuck)
		})
	h.serve(t)

	require.NoError(t, h.r.Reload(context.Background()))
	require.Len(t, h.r.config().Sources, 1)
	require.Equal(t, []string{"b"}, (<-h.events).Removed)
	require.Contains(t, h.logs.String(), "a stopped source did not stop in time and was abandoned")
}

func TestReloaderReportsAnUnreadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.yaml")
	h := newReloaderHarness(t, configWith(), reloadSetup{path: path, noWatch: true}, nil, nil)
	h.serve(t)

	err := h.r.Reload(context.Background())
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Equal(t, path+":1:1: does not exist", err.Error())
	require.Equal(t, 1.0, h.count(resultFailure))
}

func TestReloaderKeepsTheListenOverride(t *testing.T) {
	running := configWith()
	running.Server.Listen = "127.0.0.1:9999" // from -listen
	file := configWith(simSource("a", time.Second, nil))
	file.Server.Listen = "127.0.0.1:8080"

	for _, tc := range []struct {
		listen string
		want   []string
	}{{"127.0.0.1:9999", nil}, {"", []string{"server.listen"}}} {
		h := newReloaderHarness(t, running, reloadSetup{path: "pulseboard.yaml", listen: tc.listen, noWatch: true}, loadsOf(file), nil)
		h.serve(t)
		require.NoError(t, h.r.Reload(context.Background()))
		require.Equal(t, tc.want, (<-h.events).NeedsRestart, "override %q", tc.listen)
		require.Equal(t, "127.0.0.1:9999", h.r.config().Server.Listen)
	}
}

func TestReloaderLifecycle(t *testing.T) {
	h := newReloaderHarness(t, configWith(), reloadSetup{path: "pulseboard.yaml", noWatch: true}, loadsOf(configWith()), nil)

	// Stopped before it starts.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, h.r.Serve(ctx))

	// Not serving: a request gives up with its context.
	require.ErrorIs(t, h.r.Reload(ctx), context.Canceled)

	// Start, stop, start again: the reloader's state outlives Serve.
	for round := 1; round <= 2; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- h.r.Serve(ctx) }()
		require.NoError(t, h.r.Reload(context.Background()))
		cancel()
		require.NoError(t, <-done)
		cancel() // twice is harmless
		require.Equal(t, float64(round), h.count(resultSuccess))
	}
}

func TestReloaderWatchesAgainAfterTheWatchFailed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "conf")
	require.NoError(t, os.Mkdir(dir, 0o755))
	path := filepath.Join(dir, "pulseboard.yaml")
	require.NoError(t, os.WriteFile(path, []byte("sources: []\n"), 0o644))
	running, err := configs.Load(path)
	require.NoError(t, err)
	h := newReloaderHarness(t, running, reloadSetup{path: path}, nil, nil)
	h.r.retry = 10 * time.Millisecond
	watching := h.r.watching()
	h.serve(t)
	<-watching

	require.NoError(t, os.RemoveAll(dir))
	// While the directory is gone, every retry fails again; the route
	// still answers.
	require.Eventually(t, func() bool {
		return strings.Count(h.logs.String(), "config file not watched") >= 2
	}, waitLong, 5*time.Millisecond)
	require.Error(t, h.r.Reload(context.Background()))
	require.False(t, (<-h.events).OK)
	require.Contains(t, h.logs.String(), "retry_in=10ms")
	require.Contains(t, h.logs.String(), "retry_in=20ms", "the delay doubles while the watch keeps failing")

	// Back: the watch resumes and reloads at once, since changes in
	// between went unseen.
	require.NoError(t, os.Mkdir(dir, 0o755))
	yaml := "sources:\n  - {name: back, type: simulated, series: [{metric: up, shape: constant}]}\n"
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o644))
	for {
		select {
		case e := <-h.events:
			if !e.OK { // a retry may read the file half-written
				continue
			}
			require.Equal(t, []string{"back"}, e.Added)
			require.Contains(t, h.logs.String(), "trigger=file")
			return
		case <-time.After(waitLong):
			t.Fatalf("no reload once the directory was back; log:\n%s", h.logs)
		}
	}
}
