package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

// appendTo writes to path in place, so its size and mtime move, as a
// writer still at work does.
func appendTo(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(data)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// A file written between its read and the reload's apply is read again,
// and what is applied is what it says once it held still.
func TestReloadReadsAgainAFileThatChangedUnderIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pulseboard.yaml")
	require.NoError(t, os.WriteFile(path, []byte("sources:\n"), 0o644))
	half := configWith(simSource("a", time.Second, nil))
	whole := configWith(simSource("a", time.Second, nil), simSource("b", time.Second, nil))
	var loads atomic.Int32
	h := newReloaderHarness(t, configWith(simSource("a", time.Second, nil), simSource("b", time.Second, nil)),
		reloadSetup{path: path, noWatch: true},
		func(string) (*configs.Config, error) {
			if loads.Add(1) == 1 {
				// The first read saw the first half; the writer goes on.
				appendTo(t, path, "  - {name: b}\n")
				return loadsOf(half)("")
			}
			return loadsOf(whole)("")
		}, nil)
	h.serve(t)

	require.NoError(t, h.r.Reload(context.Background()))
	require.Equal(t, int32(2), loads.Load(), "read again")
	require.Len(t, h.r.config().Sources, 2, "the half read first was not applied")
	h.mu.Lock()
	require.Empty(t, h.applied, "nothing changed in the end: nothing applied")
	h.mu.Unlock()
	require.Equal(t, 1.0, h.count(resultSuccess))
	require.Zero(t, h.count(resultPostponed))
}

// A file that changes under every read is not applied: the reload is
// postponed, counted apart, logged and announced to the page's notice like
// the other refusals; the reloader carries on with the next.
func TestReloadPostponesAFileThatKeepsChanging(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pulseboard.yaml")
	require.NoError(t, os.WriteFile(path, []byte("sources:\n"), 0o644))
	var writing atomic.Bool
	writing.Store(true)
	var loads atomic.Int32
	running := configWith(simSource("a", time.Second, nil))
	h := newReloaderHarness(t, running, reloadSetup{path: path, noWatch: true},
		func(string) (*configs.Config, error) {
			loads.Add(1)
			if writing.Load() {
				appendTo(t, path, "  - {name: x}\n")
				return loadsOf(configWith())("")
			}
			return loadsOf(configWith(simSource("a", time.Second, nil), simSource("b", time.Second, nil)))("")
		}, nil)
	h.serve(t)

	err := h.r.Reload(context.Background())
	var rejected *rejectedError
	require.ErrorAs(t, err, &rejected)
	require.Equal(t, []string{path + ": the file changed while it was read, 3 times in a row: it is still being written; postponed until it is quiet, the running config is unchanged"}, rejected.lines)
	require.Equal(t, int32(maxLoadTries), loads.Load())
	require.Same(t, running, h.r.config())
	require.Equal(t, 1.0, h.count(resultPostponed))
	require.Zero(t, h.count(resultFailure))
	require.Zero(t, h.count(resultSuccess))
	e := <-h.events
	require.False(t, e.OK)
	require.Contains(t, e.Message, "still being written")
	require.Contains(t, h.logs.String(), `level=WARN msg="config reload postponed; the running config is unchanged"`)

	writing.Store(false)
	require.NoError(t, h.r.Reload(context.Background()))
	require.Len(t, h.r.config().Sources, 2)
	require.True(t, (<-h.events).OK)
	require.True(t, strings.Contains(h.logs.String(), "config reloaded"))
}
