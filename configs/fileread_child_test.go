package configs

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// A read by a child process (this test binary, answering the child mode
// in the package's init) gives what a read in process gives: the same
// bytes, the same error text, the same errors.Is and errors.As answers.
func TestChildReadAnswersAsInProcess(t *testing.T) {
	dir := t.TempDir()
	small, big, empty := filepath.Join(dir, "small.yaml"), filepath.Join(dir, "big.yaml"), filepath.Join(dir, "empty.yaml")
	saveFile(t, small, "server: {}\n")
	saveFile(t, big, strings.Repeat("x", 100))
	saveFile(t, empty, "")
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	paths := []string{small, big, empty, fifo, dir, filepath.Join(dir, "missing.yaml"), "/dev/null", "/proc/version"}

	inProcess := newFileReader(openNonBlocking, time.Minute, 2)
	child := newFileReader(openNonBlocking, time.Minute, 2)
	var spawned atomic.Int32
	child.spawn = func(path string, limit int64) (*readChild, error) {
		spawned.Add(1)
		return startChild(path, limit)
	}
	for _, path := range paths {
		want, wantErr := inProcess.read(path, 10)
		got, gotErr := child.read(path, 10)
		require.Equal(t, want, got, path)
		if wantErr == nil {
			require.NoError(t, gotErr, path)
			continue
		}
		require.EqualError(t, gotErr, wantErr.Error(), path)
		require.Equal(t, errors.Is(wantErr, fs.ErrNotExist), errors.Is(gotErr, fs.ErrNotExist), path)
		var wantNR, gotNR *notRegularError
		require.Equal(t, errors.As(wantErr, &wantNR), errors.As(gotErr, &gotNR), path)
		var wantPE, gotPE *fs.PathError
		require.Equal(t, errors.As(wantErr, &wantPE), errors.As(gotErr, &gotPE), path)
	}
	require.Equal(t, int32(len(paths)), spawned.Load(), "every read was a child's")
	require.Zero(t, child.stuckReads())
}

// fakeChild is a read-file child run by a script on a goroutine of the
// test, speaking the child's frames through pipes. Its kill only
// records the signal: like a process stuck in the kernel, it ends when
// its script does.
type fakeChild struct {
	out     *io.PipeWriter
	in      *io.PipeReader
	killed  atomic.Bool
	refused atomic.Bool // the parent closed its input with no go-ahead
}

func startFake(script func(c *fakeChild)) *readChild {
	_, rc := startFakeChild(script)
	return rc
}

func startFakeChild(script func(c *fakeChild)) (*fakeChild, *readChild) {
	outR, outW := io.Pipe()
	inR, inW := io.Pipe()
	c := &fakeChild{out: outW, in: inR}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer outW.Close()
		script(c)
	}()
	return c, &readChild{out: outR, goAhead: inW, kill: func() { c.killed.Store(true) }, wait: func() error { <-done; return nil }}
}

func (c *fakeChild) send(kind byte, payload []byte) { _ = writeFrame(c.out, kind, payload) }

func (c *fakeChild) sendKey(dev, ino uint64) {
	b, _ := json.Marshal(wireKey{Dev: dev, Ino: ino})
	c.send(frameKey, b)
}

// goAhead waits for the parent's go-ahead; false when it refused.
func (c *fakeChild) goAhead() bool {
	var b [1]byte
	_, err := io.ReadFull(c.in, b[:])
	c.refused.Store(err != nil)
	return err == nil
}

// A child whose read hangs is abandoned at the budget and killed, and the
// read counts as stuck until the child ends: a child that then finds the
// same file (by the key it sends, whatever the path) is not let read it,
// and a child that never answers is killed and counted the same way.
func TestChildReadHungIsAbandonedAndKilled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newFileReader(openNonBlocking, time.Second, 4)
		release := make(chan struct{})
		hungFile := func(c *fakeChild) {
			c.sendKey(1, 42)
			if c.goAhead() {
				<-release // a FUSE read not answered
			}
		}
		scripts := map[string]func(c *fakeChild){
			"hung.yaml":   hungFile,
			"link.yaml":   hungFile,                         // the same file by another name
			"silent.yaml": func(c *fakeChild) { <-release }, // hung in open
		}
		var mu sync.Mutex
		var children []*fakeChild
		child := func(i int) *fakeChild {
			mu.Lock()
			defer mu.Unlock()
			return children[i]
		}
		r.spawn = func(path string, limit int64) (*readChild, error) {
			c, rc := startFakeChild(scripts[path])
			mu.Lock()
			children = append(children, c)
			mu.Unlock()
			return rc, nil
		}

		start := time.Now()
		_, err := r.read("hung.yaml", 100)
		require.Equal(t, time.Second, time.Since(start), "abandoned at its budget")
		require.ErrorIs(t, err, ErrReadTimeout)
		require.EqualError(t, err, "reading the file timed out after 1s (a mount that stopped answering?); abandoned")
		require.True(t, child(0).killed.Load(), "the child was killed")
		require.Equal(t, 1, r.stuckReads())

		for i, path := range []string{"hung.yaml", "link.yaml"} {
			_, err = r.read(path, 100)
			require.ErrorIs(t, err, ErrReadTimeout)
			require.ErrorContains(t, err, "an earlier read of this file timed out after 1s and is still stuck")
			synctest.Wait()
			require.True(t, child(1+i).refused.Load(), "the child was not let read the stuck file")
		}
		require.Equal(t, 1, r.stuckReads())
		require.Zero(t, time.Since(start)-time.Second, "refused at once")

		_, err = r.read("silent.yaml", 100)
		require.ErrorIs(t, err, ErrReadTimeout)
		require.True(t, child(3).killed.Load())
		require.Equal(t, 2, r.stuckReads())

		close(release)
		synctest.Wait()
		require.Zero(t, r.stuckReads(), "a read ends with its child")
	})
}

// Where no child can be started, files are read in process, and the log
// says so once. A child that starts and ends without a word is an error,
// not a reason to read in process: that read could be the one that hangs.
func TestChildReadFallsBackInProcessOnlyWhereNoChildStarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	saveFile(t, path, "server: {}\n")
	var log bytes.Buffer
	r := newFileReader(openNonBlocking, time.Minute, 2)
	r.log = slog.New(slog.NewTextHandler(&log, nil))

	r.spawn = func(string, int64) (*readChild, error) {
		return nil, &fs.PathError{Op: "fork/exec", Path: "/proc/self/exe", Err: syscall.ENOENT}
	}
	for range 2 {
		data, err := r.read(path, 100)
		require.NoError(t, err)
		require.Equal(t, "server: {}\n", string(data))
	}
	require.Equal(t, 1, strings.Count(log.String(), "level=WARN"), log.String())
	require.Contains(t, log.String(), `msg="config files are read in this process: a file on a mount that stopped answering can keep it from exiting" reason="fork/exec /proc/self/exe: no such file or directory"`)

	r.spawn = func(string, int64) (*readChild, error) {
		rc := startFake(func(*fakeChild) {})
		rc.wait = func() error { return errors.New("signal: killed") }
		return rc, nil
	}
	_, err := r.read(path, 100)
	require.EqualError(t, err, "read-file child ended without an answer: signal: killed")
}

// What a child sends is bounded and checked: a frame of an unknown kind,
// data before the key, or more data than the limit allows is an error,
// not a read.
func TestChildReadRefusesABadAnswer(t *testing.T) {
	r := newFileReader(openNonBlocking, time.Minute, 2)
	for name, tc := range map[string]struct {
		script func(c *fakeChild)
		want   string
	}{
		"unknown frame": {func(c *fakeChild) { c.send('Z', nil) }, `read-file child: unknown frame 'Z'`},
		"data first":    {func(c *fakeChild) { c.send(frameData, []byte("x")) }, `read-file child: frame 'D' before the key`},
		"too much data": {func(c *fakeChild) {
			c.sendKey(1, 7)
			if c.goAhead() {
				c.send(frameData, make([]byte, 102))
			}
		}, `read-file child: frame 'D' of 102 bytes, at most 101 expected`},
		"no data": {func(c *fakeChild) {
			c.sendKey(1, 8)
			c.goAhead()
		}, "read-file child: EOF"},
	} {
		t.Run(name, func(t *testing.T) {
			r.spawn = func(string, int64) (*readChild, error) { return startFake(tc.script), nil }
			_, err := r.read("x.yaml", 100)
			require.EqualError(t, err, tc.want)
		})
	}
	require.Zero(t, r.stuckReads())
}

// The child mode's arguments are checked; a child with none to read
// says so in an error frame.
func TestChildMainRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{{"x"}, {"x", "a.yaml", "-1"}, {"x", "a.yaml", "many"}} {
		var out bytes.Buffer
		require.Zero(t, childMain(args, strings.NewReader(""), &out))
		kind, payload, err := readFrame(&out, 0)
		require.NoError(t, err)
		require.Equal(t, byte(frameError), kind)
		require.ErrorContains(t, decodeReadError(payload), "read-file child:")
	}
}
