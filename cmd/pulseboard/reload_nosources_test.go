package main

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A file emptied on a running server (`: > config.yaml`), or cut short
// before its sources, is refused like any invalid file: the running
// sources stay, the refusal is counted and on the page's notice. Only a
// file that says `sources: []` removes them all. Trial 14 round 6 (F3):
// the empty file removed every source and was counted a success.
func TestReloadRefusesAFileThatListsNoSources(t *testing.T) {
	f := startReload(t, "reload_base.yaml", true)
	require.Eventually(t, func() bool { return f.stats("steady").Polls > 0 }, waitLong, 5*time.Millisecond)
	running := f.p.reloader.config()

	for i, src := range []string{"", "server:\n  listen: \"127.0.0.1:0\"\n", "server:\n  listen: \"127.0.0.1:0\"\nsources:\n"} {
		require.NoError(t, os.WriteFile(f.path, []byte(src), 0o644)) // in place, as `>` does
		code, body := f.do("POST", "/api/v1/reload", adminToken)
		require.Equal(t, http.StatusUnprocessableEntity, code, "%q: %s", src, body)
		require.Contains(t, string(body), "write `sources: []` to run with none")
		e := f.event()
		require.False(t, e.OK, "%+v", e)
		require.Len(t, e.Errors, 1)
		require.True(t, strings.HasPrefix(e.Errors[0], f.path+":"), e.Errors[0])
		require.Equal(t, float64(i+1), f.reloads("failure"))
	}
	require.Same(t, running, f.p.reloader.config())
	require.Equal(t, []string{"steady", "doomed", "edited"}, f.sourceNames())
	require.Zero(t, f.reloads("success"))

	f.write([]byte("server:\n  listen: \"127.0.0.1:0\"\nsources: []\n"))
	code, body := f.do("POST", "/api/v1/reload", adminToken)
	require.Equal(t, http.StatusOK, code, "%s", body)
	e := f.event()
	require.True(t, e.OK, "%+v", e)
	require.ElementsMatch(t, []string{"steady", "doomed", "edited"}, e.Removed)
	require.Empty(t, f.sourceNames())
	require.Equal(t, 1.0, f.reloads("success"))
}
