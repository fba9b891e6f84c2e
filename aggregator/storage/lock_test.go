package storage

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSecondOpenSameProcessIsLocked(t *testing.T) {
	dir := t.TempDir()
	first := open(t, Options{Dir: dir})
	began := time.Now()
	_, err := Open(Options{Dir: dir, LockTimeout: 50 * time.Millisecond})
	require.ErrorIs(t, err, ErrLocked)
	require.Contains(t, err.Error(), dir)
	require.Contains(t, err.Error(), "another pulseboard")
	require.Less(t, time.Since(began), 5*time.Second, "fails fast")

	require.NoError(t, first.Close())
	again := open(t, Options{Dir: dir})
	require.Empty(t, again.Recovered())
}

// childEnv selects what TestChildProcess does when the test binary is
// started as a child: "hold" opens the store named by childDir and keeps
// it until stdin closes; "fsize" writes past a file size limit.
const (
	childEnv = "PULSEBOARD_STORAGE_CHILD"
	childDir = "PULSEBOARD_STORAGE_DIR"
)

// startChild runs this test binary's TestChildProcess in mode on dir and
// waits for its first line; closing the returned stdin ends a "hold".
func startChild(t *testing.T, mode, dir string) (first string, stdin func(), wait func() string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childDir+"="+dir)
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	require.True(t, sc.Scan(), "the child's first line")
	first = sc.Text()
	return first, func() { _ = in.Close() }, func() string {
		var rest strings.Builder
		for sc.Scan() {
			rest.WriteString(sc.Text() + "\n")
		}
		require.NoError(t, cmd.Wait(), rest.String())
		return rest.String()
	}
}

func TestSecondProcessIsLocked(t *testing.T) {
	dir := t.TempDir()
	first, release, wait := startChild(t, "hold", dir)
	require.Equal(t, "holding", first)
	_, err := Open(Options{Dir: dir})
	require.ErrorIs(t, err, ErrLocked)
	require.Contains(t, err.Error(), dir)
	release()
	wait()
	db := open(t, Options{Dir: dir})
	require.Empty(t, db.Recovered(), "the child's clean Close left a sound file")
	s, err := db.Series()
	require.NoError(t, err)
	require.Equal(t, []SeriesMeta{{Key: 1, Meta: []byte("from the child")}}, s)
}

// TestChildProcess is the child's body; it skips unless started by
// startChild.
func TestChildProcess(t *testing.T) {
	mode := os.Getenv(childEnv)
	dir := os.Getenv(childDir)
	switch mode {
	case "":
		t.Skip("runs only as a child process of another test")
	case "hold":
		db, err := Open(Options{Dir: dir})
		if err != nil {
			os.Stdout.WriteString("open: " + err.Error() + "\n")
			t.Fatal(err)
		}
		require.NoError(t, db.Write([]SeriesMeta{{Key: 1, Meta: []byte("from the child")}}, nil))
		os.Stdout.WriteString("holding\n")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
		require.NoError(t, db.Close())
	case "fsize":
		childFileSizeLimit(t, dir)
	default:
		t.Fatalf("unknown child mode %q", mode)
	}
}
