package configs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// unreadablePaths makes a path of each kind the system refuses to open,
// with the error it gives: a symlink loop, a name too long, a path
// through a file, a missing file, and (for a user other than root, whom
// file modes do not stop) no permission.
func unreadablePaths(t *testing.T) map[string]string {
	dir := t.TempDir()
	loop := filepath.Join(dir, "loop.yaml")
	require.NoError(t, os.Symlink(loop, loop))
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	paths := map[string]string{
		loop: "cannot be read: " + syscall.ELOOP.Error(),
		filepath.Join(dir, strings.Repeat("n", 300)): "cannot be read: " + syscall.ENAMETOOLONG.Error(),
		filepath.Join(file, "c.yaml"):                "cannot be read: " + syscall.ENOTDIR.Error(),
		filepath.Join(dir, "missing.yaml"):           "does not exist",
	}
	if os.Geteuid() != 0 {
		locked := filepath.Join(dir, "locked.yaml")
		require.NoError(t, os.WriteFile(locked, nil, 0o000))
		paths[locked] = "cannot be read: " + syscall.EACCES.Error()
	}
	return paths
}

// Every error of the system's at opening or reading the config is at the
// file's 1:1, like the refusals of what is not a regular file: a symlink
// loop used to be `config: open c.yaml: too many levels of symbolic
// links`, with no position. It keeps the system's error as its cause and
// is not a content error (ErrInvalid).
func TestLoadUnreadableFileIsAtItsStart(t *testing.T) {
	for path, msg := range unreadablePaths(t) {
		_, err := Load(path)
		require.EqualError(t, err, path+":1:1: "+msg)
		errs := Errors(err)
		require.Len(t, errs, 1, path)
		require.Equal(t, [2]int{1, 1}, [2]int{errs[0].Line, errs[0].Col}, path)
		require.False(t, errors.Is(err, ErrInvalid), path)
		var errno syscall.Errno
		require.True(t, errors.As(err, &errno), "the system's error is kept: %v", err)
	}
}

// A file the config names (cluster.nats.tls) that cannot be opened is
// reported at the key naming it, whatever the system's error.
func TestUnreadableNamedFileIsAtItsKey(t *testing.T) {
	stateDir(t)
	for path, msg := range unreadablePaths(t) {
		msg = strings.TrimPrefix(msg, "cannot be read: ")
		if msg != "does not exist" {
			msg = "cannot be read: " + msg
		}
		_, err := Parse("a.yaml", []byte(natsTLSYAML(fmt.Sprintf("{ca_file: %q}", path))))
		require.ErrorIs(t, err, ErrInvalid)
		require.EqualError(t, err, fmt.Sprintf("a.yaml:7:20: cluster.nats.tls.ca_file: %q %s", path, msg))
	}
}
