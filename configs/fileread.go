package configs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// readBudget is how long one read of a config file, or of a file it
// names, may take before it is abandoned. A file on a local disk is read
// in microseconds; what runs out of it is a file on a mount that stopped
// answering (FUSE, a hard NFS mount). Four reads (the config and the
// three cluster.nats.tls files) fit in the reload's budget of 10 s, so a
// load always ends, with an error at the file that hung.
const readBudget = 2 * time.Second

// maxStuckReads bounds the reads abandoned at their budget and not ended
// yet, each a goroutine and an open file until the kernel answers. At the
// bound, every read of a config or TLS file is refused at once (a reload
// is rejected, the running config kept; the NATS client's connection
// attempt fails and is retried) until one of them ends.
const maxStuckReads = 8

// files reads every config file and every file a config names.
var files = func() *fileReader {
	r := newFileReader(openNonBlocking, readBudget, maxStuckReads)
	r.spawn = startChild
	return r
}()

// readRegular reads the file at path: a regular file on a real
// filesystem, at most limit+1 bytes of it (one byte more than allowed is
// how a file too large is told apart), never more than its size when it
// was opened, within readBudget. Called on the loading goroutine (a
// check, a reload) and by the NATS client at each connection.
//
// What it refuses, before a byte is read: what is not a regular file (a
// named pipe would block until a writer came; /dev/zero is endless) and
// a file of a kernel pseudo filesystem (/proc/kmsg is a "regular file"
// of size 0 whose read blocks until the kernel logs; sysfs and debugfs
// files make their content up as they are read): a *notRegularError.
// After it: a file that shrank or changed while read (*readRefusedError;
// the watch sees the write and reloads again). A read that runs past its
// budget is abandoned (*readRefusedError, errors.Is ErrReadTimeout) and
// the same file (device and inode) is not read again until it ends; a
// new file saved at the path is read as usual.
func readRegular(path string, limit int64) ([]byte, error) {
	return files.read(path, limit)
}

// ErrReadTimeout is matched by the error of a read that ran past its
// budget, or that was refused because earlier ones are still stuck.
var ErrReadTimeout = errors.New("config file read timed out")

// openedFile is what a read needs of an open file; *os.File is one.
type openedFile interface {
	io.ReadCloser
	Stat() (fs.FileInfo, error)
	SyscallConn() (syscall.RawConn, error)
}

// openNonBlocking opens path for reading without blocking on a pipe (the
// flag has no effect on a regular file, and a pipe is refused anyway).
func openNonBlocking(path string) (openedFile, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// readInProcess is one read of path on this process's own goroutine
// (see fileReader.read): where no child can be started, and in tests
// that gate reads; rd tells the reader which file it is once known.
func (r *fileReader) readInProcess(rd *pendingRead, path string, limit int64) ([]byte, error) {
	f, st, err := openChecked(r.open, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := r.identify(rd, keyOf(st, path)); err != nil {
		return nil, err
	}
	return readChecked(f, st, limit)
}

// openChecked opens path and refuses, before a byte is read, what is
// not a regular file or is a file of a kernel pseudo filesystem. The
// caller closes the file. Shared by the in-process read and the child.
func openChecked(open func(string) (openedFile, error), path string) (openedFile, fs.FileInfo, error) {
	f, err := open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = &notRegularError{kind: fileKind(st.Mode())}
	}
	if err == nil {
		var name string
		if name, err = pseudoFS(f); err == nil && name != "" {
			err = &notRegularError{kind: "a file of " + name + ", a kernel pseudo filesystem"}
		}
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// readChecked reads f, opened by openChecked with stat st: at most
// limit+1 bytes and never past st's size, refusing a file that shrank or
// changed while read.
func readChecked(f openedFile, st fs.FileInfo, limit int64) ([]byte, error) {
	buf := make([]byte, min(st.Size(), limit+1))
	if _, err := io.ReadFull(f, buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &readRefusedError{msg: "the file shrank while it was read; save it again"}
		}
		return nil, err
	}
	if st.Size() > limit {
		return buf, nil // too large: the caller refuses it by its size
	}
	after, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if after.Size() != st.Size() || !after.ModTime().Equal(st.ModTime()) {
		return nil, &readRefusedError{msg: "the file changed while it was read; save it again"}
	}
	return buf, nil
}

// keyOf is the file's device and inode, the path where the system gives
// neither.
func keyOf(st fs.FileInfo, path string) fileKey {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return fileKey{dev: uint64(sys.Dev), ino: sys.Ino} // Dev is int32 on some systems
	}
	return fileKey{path: path}
}

// notRegularError is readRegular's refusal of a path that is not a
// regular file on a real filesystem; kind says what it is ("a named
// pipe", "a file of proc, a kernel pseudo filesystem").
type notRegularError struct{ kind string }

func (e *notRegularError) Error() string { return e.kind + ", not a regular file" }

// readRefusedError is a read given up: timed out, refused while earlier
// ones are stuck, or changed under it. Its text names no path: callers
// put it at the file's or the key's position.
type readRefusedError struct {
	msg     string
	timeout bool
}

func (e *readRefusedError) Error() string { return e.msg }

// Is makes a timeout match ErrReadTimeout.
func (e *readRefusedError) Is(target error) bool { return e.timeout && target == ErrReadTimeout }

// fileKind names what a path that is not a regular file is.
func fileKind(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeDevice != 0, mode&fs.ModeCharDevice != 0:
		return "a device"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode.IsDir():
		return "a directory"
	}
	return "not a regular file"
}

// timeoutMessage is the refusal of a read that ran past budget.
func timeoutMessage(budget time.Duration) string {
	return fmt.Sprintf("reading the file timed out after %v (a mount that stopped answering?); abandoned", budget)
}
