package configs

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// stateDir points the state directory at a temp dir for the test and
// returns where pulseboard keeps its data there.
func stateDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", dir)
	return filepath.Join(dir, "pulseboard")
}

func TestStoragePathDefaults(t *testing.T) {
	want := stateDir(t)
	c, err := Parse("a.yaml", []byte("storage: {flush_interval: 5s}\n"))
	require.NoError(t, err)
	require.Equal(t, want, c.Storage.Path, "left out of a file: the state directory")
	require.Equal(t, Duration(5*time.Second), c.Storage.FlushInterval)

	c, err = Parse("a.yaml", []byte("storage: {path: \"\"}\n"))
	require.NoError(t, err)
	require.Empty(t, c.Storage.Path, `"" keeps everything in memory`)

	c, err = Parse("a.yaml", []byte("storage: {path: /var/lib/pb}\n"))
	require.NoError(t, err)
	require.Equal(t, "/var/lib/pb", c.Storage.Path)

	require.Empty(t, Default().Storage.Path, "a config built in code writes nothing to disk")
	d := Default()
	d.ApplyDefaults()
	require.Empty(t, d.Storage.Path)

	t.Setenv("XDG_STATE_HOME", "relative/dir") // not absolute: ignored, as the XDG spec says
	t.Setenv("HOME", "/home/someone")
	got, err := StateDir()
	require.NoError(t, err)
	require.Equal(t, "/home/someone/.local/state/pulseboard", got)
}

func TestStorageRetention(t *testing.T) {
	stateDir(t)
	c, err := Parse("a.yaml", []byte(`storage:
  retention:
    raw: {time: 36h, size: 512MB}
    1m: {time: 1w, size: 0}
    1h: {time: 5y, size: 1073741824}
`))
	require.NoError(t, err)
	r := c.Storage.Retention
	require.Equal(t, 36*time.Hour, r.Raw.Time.D())
	require.Equal(t, ByteSize(512<<20), r.Raw.Size)
	require.Equal(t, 7*24*time.Hour, r.Minute.Time.D())
	require.Zero(t, r.Minute.Size)
	require.Equal(t, 5*365*24*time.Hour, r.Hour.Time.D())
	require.Equal(t, ByteSize(1<<30), r.Hour.Size)
	require.Equal(t, "1GiB", r.Hour.Size.String())
	require.Equal(t, "7d", r.Minute.Time.String())
	require.Equal(t, "1d12h", r.Raw.Time.String(), "as Prometheus writes it")

	d := Default().Storage.Retention
	require.Equal(t, 48*time.Hour, d.Raw.Time.D())
	require.Equal(t, 90*24*time.Hour, d.Minute.Time.D())
	require.Equal(t, 730*24*time.Hour, d.Hour.Time.D())
}

func TestStorageErrorsHavePositions(t *testing.T) {
	stateDir(t)
	for _, tc := range []struct{ yaml, want string }{
		{"storage:\n  retention:\n    raw: {time: 2 days}\n", `a.yaml:3:17: storage.retention.raw.time: invalid span "2 days"`},
		{"storage:\n  retention:\n    raw: {time: 200y}\n", `a.yaml:3:17: storage.retention.raw.time: invalid span "200y": too long`},
		{"storage:\n  retention:\n    1m: {size: lots}\n", `a.yaml:3:16: storage.retention.1m.size: invalid size "lots"`},
		{"storage:\n  retention:\n    1m: {size: -5MB}\n", `a.yaml:3:16: storage.retention.1m.size: invalid size "-5MB"`},
		{"storage:\n  retention:\n    1h: {size: [1]}\n", `a.yaml:3:16: storage.retention.1h.size: want a size like 512MB`},
		{"storage:\n  flush_interval: 1ms\n", "storage.flush_interval: must be between 100ms and 10m"},
		{"storage:\n  flush_interval: 11m\n", "storage.flush_interval: must be between 100ms and 10m"},
		{"storage:\n  retention:\n    raw: {time: 1y}\n", "a.yaml:3:17: storage.retention.raw.time: 1y is longer than retention.1m.time (90d, the default): a coarser tier keeps its data at least as long; give retention.1m.time of at least 1y"},
		{"storage:\n  retention:\n    raw: {time: 1y}\n    1m: {time: 100d}\n", "a.yaml:4:16: storage.retention.1m.time: 100d is shorter than retention.raw.time (1y): a coarser"},
		{"storage:\n  retention:\n    1m: {time: 1d}\n", "storage.retention.1m.time: 1d is shorter than retention.raw.time (2d, the default)"},
		{"storage:\n  retention:\n    1h: {time: 30d}\n", "storage.retention.1h.time: 30d is shorter than retention.1m.time (90d, the default)"},
		{"storage:\n  retention:\n    1d: {time: 30d}\n", "1d"},
		{"storage:\n  paht: /x\n", "paht"},
		{"storage:\n  retention:\n    raw: {time: 0}\n", "a.yaml:3:17: storage.retention.raw.time: 0 (no limit) is longer than retention.1m.time (90d, the default): a coarser tier keeps its data at least as long; give retention.1m.time 0 too"},
		{"storage:\n  retention:\n    1m: {time: 0}\n    1h: {time: 1y}\n", "storage.retention.1h.time: 1y is shorter than retention.1m.time (0, no limit)"},
		{"storage:\n  retention:\n    raw: {time: 293y}\n", `invalid span "293y": too long`},
		{"storage:\n  retention:\n    raw: {size: 8EiB}\n", `invalid size "8EiB": too large`},
	} {
		_, err := Parse("a.yaml", []byte(tc.yaml))
		require.Error(t, err, tc.yaml)
		require.Contains(t, err.Error(), tc.want, tc.yaml)
	}
}
