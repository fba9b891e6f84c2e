package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Half-written config files on a running server, through the real file
// watch (trial 14 round 6, F3). The pauses below are the writer's, the
// scenario itself, not a wait for the server: a slow copy that stops
// half-way for 500 ms, twice the old debounce and half the settle window.
const writerPause = 500 * time.Millisecond

// writeChunks writes chunks into path in place (truncating it first), with
// pause between them, as a slow copy or a templating tool does.
func writeChunks(t *testing.T, path string, pause time.Duration, chunks ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	require.NoError(t, err)
	defer f.Close()
	for i, c := range chunks {
		if i > 0 {
			time.Sleep(pause) // the writer's pause (see writerPause)
		}
		_, err := f.WriteString(c)
		require.NoError(t, err)
	}
}

func testdataText(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(data)
}

// The first half of the file, cut where the last source begins, is itself
// a valid config that removes that source; it is not applied: the one
// reload is of the whole file.
func TestReloadWaitsForAFileWrittenInPlaceSlowly(t *testing.T) {
	f := startReload(t, "reload_base.yaml", false)
	base := testdataText(t, "reload_base.yaml")
	cut := strings.Index(base, "  - name: edited")
	require.Positive(t, cut)

	writeChunks(t, f.path, writerPause, base[:cut], base[cut:])
	e := f.event()
	require.True(t, e.OK, "%+v", e)
	require.Empty(t, e.Removed, "the first half was applied: %+v", e)
	require.Equal(t, "config reloaded: no source changed", e.Message)
	require.Equal(t, []string{"steady", "doomed", "edited"}, f.sourceNames())
	require.Equal(t, 1.0, f.reloads("success"))
	require.Zero(t, f.reloads("failure"))
}

// `: > config.yaml` is refused (it lists no sources), and the file
// written afterwards is applied: the reloader carries on.
func TestReloadRefusesAFileEmptiedInPlace(t *testing.T) {
	f := startReload(t, "reload_base.yaml", false)
	writeChunks(t, f.path, 0, "")
	e := f.event()
	require.False(t, e.OK, "%+v", e)
	require.Equal(t, []string{f.path + ":1:1: the file is empty (nothing but whitespace or comments), as a save cut short leaves it: list the sources under `sources:`, or write `sources: []` to run with none"}, e.Errors)
	require.Equal(t, []string{"steady", "doomed", "edited"}, f.sourceNames())

	writeChunks(t, f.path, 0, testdataText(t, "reload_next.yaml"))
	e = f.event()
	require.True(t, e.OK, "%+v", e)
	require.Equal(t, []string{"doomed"}, e.Removed)
	require.Equal(t, []string{"steady", "edited", "fresh"}, f.sourceNames())
}

// Removed, then created again and written a moment later: one reload, of
// the new file; the moment without a file is not a refusal.
func TestReloadWaitsForAFileRemovedAndCreatedAgain(t *testing.T) {
	f := startReload(t, "reload_base.yaml", false)
	require.NoError(t, os.Remove(f.path))
	time.Sleep(writerPause) // the deployer's pause between removing and writing
	writeChunks(t, f.path, 0, testdataText(t, "reload_next.yaml"))
	e := f.event()
	require.True(t, e.OK, "%+v", e)
	require.Equal(t, []string{"doomed"}, e.Removed)
	require.Zero(t, f.reloads("failure"))
}

// A storm of torn in-place rewrites (truncate, then 200-byte chunks),
// alternating two valid configs, then an atomic save: nothing torn is
// applied, and the save is.
func TestReloadTornRewritesThenAnAtomicSave(t *testing.T) {
	f := startReload(t, "reload_base.yaml", false)
	texts := []string{testdataText(t, "reload_next.yaml"), testdataText(t, "reload_base.yaml")}
	for i := range 20 {
		text := texts[i%2]
		var chunks []string
		for len(text) > 200 {
			chunks = append(chunks, text[:200])
			text = text[200:]
		}
		writeChunks(t, f.path, time.Millisecond, append(chunks, text)...)
	}
	f.replace("reload_next.yaml")
	for {
		e := f.event()
		require.True(t, e.OK, "a torn file was read: %+v", e)
		require.NotContains(t, e.Removed, "steady", "a torn file was applied: %+v", e)
		if slices.Equal(f.sourceNames(), []string{"steady", "edited", "fresh"}) {
			break
		}
	}
	require.Zero(t, f.reloads("failure"))
}
