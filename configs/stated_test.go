package configs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A file that does not say which sources to run is what a save cut short
// leaves; Load refuses it at a place in the file, and says how to mean
// "none". Trial 14 round 6 (F3): `: > config.yaml` on a running server
// removed every source, and `pulseboard check` said "valid, 0 sources".
func TestLoadRefusesAFileThatListsNoSources(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"empty", "", "1:1: the file is empty"},
		{"whitespace", "\n  \n\t\n", "1:1: the file is empty"},
		{"comments", "# pulseboard\n\n# sources below\n", "1:1: the file is empty"},
		{"document marker", "---\n", "1:1: the file is empty"},
		{"only server", "server:\n", "1:1: no sources key"},
		{"settings without sources", "# top\nserver:\n  listen: \"127.0.0.1:9\"\naggregator:\n  max_series: 500\n", "2:1: no sources key"},
		{"cut after the key", "server:\n  listen: \"127.0.0.1:9\"\nsources:\n", "3:1: sources: no value"},
		{"null", "sources: ~\n", "1:1: sources: no value"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "c.yaml")
			require.NoError(t, os.WriteFile(path, []byte(c.src), 0o600))
			_, err := Load(path)
			require.ErrorIs(t, err, ErrNoSources)
			require.ErrorIs(t, err, ErrInvalid)
			require.Len(t, Errors(err), 1)
			require.Contains(t, err.Error(), path+":"+c.want)
			require.Contains(t, err.Error(), "write `sources: []` to run with none")
			// Held to the running limits (a reload) alike.
			_, err = LoadInForce(path, Default().Aggregator)
			require.ErrorIs(t, err, ErrNoSources)
		})
	}
}

// Saying "none" on purpose is a valid file; Parse (configs built in memory: tests, the
// embedded demo) keeps taking a document without sources.
func TestLoadTakesSourcesSaidExplicitly(t *testing.T) {
	dir := t.TempDir()
	for _, src := range []string{
		"sources: []\n",
		"# none on purpose\nserver:\n  listen: \"127.0.0.1:9\"\nsources: []\n",
		"sources: &none []\n",
		"sources: [] # none on purpose\n",
	} {
		path := filepath.Join(dir, "c.yaml")
		require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
		c, err := Load(path)
		require.NoError(t, err, "%q", src)
		require.Empty(t, c.Sources)
	}
	c, err := Parse("mem.yaml", nil)
	require.NoError(t, err)
	require.Empty(t, c.Sources)
	_, err = LoadDefault()
	require.NoError(t, err)
}

// A file with other errors reports those, not this one on top: the
// sources are judged once the rest is valid.
func TestNoSourcesComesAfterTheFilesOwnErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(path, []byte("server:\n  listen: nowhere\n"), 0o600))
	_, err := Load(path)
	require.ErrorIs(t, err, ErrInvalid)
	require.NotErrorIs(t, err, ErrNoSources)
}
