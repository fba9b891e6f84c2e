package configs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
)

// readChild is one started child reading a file for the parent (see
// childMain for what it does and sends).
type readChild struct {
	out     io.ReadCloser  // the child's frames
	goAhead io.WriteCloser // one byte lets the child read; closing it refuses
	kill    func()         // SIGKILL; a child stuck in the kernel dies when the read returns
	wait    func() error   // reaps the child; called once, after out ended
}

// startChild starts this very binary as a read-file child for path.
// On Linux it runs /proc/self/exe, the running binary even when the file
// at its path was replaced or removed (an upgrade); elsewhere
// os.Executable. The child's standard error is /dev/null: an orphaned
// child still stuck must not hold a pipe our caller waits on (`check
// 2>&1 | less` would not end). Its environment is the mode (and GORACE)
// alone. It has a process group of its own: a Ctrl-C at the terminal, or
// `timeout`'s signal, is for pulseboard, which ends its reads itself.
func startChild(path string, limit int64) (*readChild, error) {
	exe := "/proc/self/exe"
	if runtime.GOOS != "linux" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(exe, path, strconv.FormatInt(limit, 10))
	cmd.Args[0] = "pulseboard-read-file"
	cmd.SysProcAttr = childProcAttr()
	// GORACE matters only to a binary built with -race (the tests'),
	// whose exit would otherwise sleep 1 s for late race reports.
	cmd.Env = []string{childModeEnv + "=1", "GORACE=atexit_sleep_ms=0"}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		in.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err // Start closes the pipes
	}
	return &readChild{
		out:     out,
		goAhead: in,
		kill:    func() { _ = cmd.Process.Kill() },
		wait:    cmd.Wait,
	}, nil
}

// readInChild is one read of path by a child process, on the read's own
// goroutine (see fileReader.read). A read that never returns then holds
// the child, never this process: a FUSE read sent to a daemon that does
// not answer is waited for uninterruptibly by the kernel, and a process
// with a thread in it cannot exit, whatever signal it gets; an orphaned
// child stuck so is the kernel's to end. The read is abandoned by
// killing the child (rd.kill); this goroutine then waits for the child
// to end, however long, and reaps it, so that the read counts as stuck
// until then. A child that ends without a word (killed by someone else,
// out of memory) is an error, not a reason to read in process: that
// read could be the one that hangs.
func (r *fileReader) readInChild(rd *pendingRead, c *readChild, limit int64) ([]byte, error) {
	r.mu.Lock()
	abandoned := rd.abandoned
	rd.kill = c.kill
	r.mu.Unlock()
	if abandoned {
		c.kill()
	}
	waited := false
	var waitErr error
	reap := func() {
		if !waited {
			c.goAhead.Close()
			_, _ = io.Copy(io.Discard, c.out) // until the child has gone
			waited, waitErr = true, c.wait()
		}
	}
	defer reap()
	kind, payload, err := readFrame(c.out, limit+1)
	switch {
	case err == io.EOF:
		reap()
		if waitErr != nil {
			return nil, fmt.Errorf("read-file child ended without an answer: %w", waitErr)
		}
		return nil, errors.New("read-file child ended without an answer")
	case err != nil:
		return nil, fmt.Errorf("read-file child: %w", err)
	case kind == frameError:
		return nil, decodeReadError(payload)
	case kind != frameKey:
		return nil, fmt.Errorf("read-file child: frame %q before the key", kind)
	}
	var k wireKey
	if err := json.Unmarshal(payload, &k); err != nil {
		return nil, fmt.Errorf("read-file child: bad key frame: %w", err)
	}
	if err := r.identify(rd, fileKey{dev: k.Dev, ino: k.Ino, path: k.Path}); err != nil {
		return nil, err // the child is not let read
	}
	if _, err := c.goAhead.Write([]byte{1}); err != nil {
		return nil, fmt.Errorf("read-file child: %w", err)
	}
	kind, payload, err = readFrame(c.out, limit+1)
	switch {
	case err != nil:
		return nil, fmt.Errorf("read-file child: %w", err)
	case kind == frameError:
		return nil, decodeReadError(payload)
	case kind != frameData:
		return nil, fmt.Errorf("read-file child: frame %q, data expected", kind)
	}
	return payload, nil
}

// noteInProcess says once in the log that files are read in this
// process, and why: a read that never returns can then keep the process
// from exiting.
func (r *fileReader) noteInProcess(reason error) {
	r.fallbackOnce.Do(func() {
		r.logger().Warn("config files are read in this process: a file on a mount that stopped answering can keep it from exiting",
			"reason", reason.Error())
	})
}

func (r *fileReader) logger() *slog.Logger {
	if r.log != nil {
		return r.log
	}
	return slog.Default()
}
