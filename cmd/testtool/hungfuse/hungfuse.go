// Package hungfuse mounts a FUSE filesystem whose files answer lookups,
// stat and open at once but whose reads are not answered until Release:
// a file on a mount whose daemon stopped answering. The kernel waits for
// such a read uninterruptibly once the daemon has taken the request, so
// a process with a thread in it cannot exit, whatever signal it gets —
// what the tests of pulseboard's config file reads need to show.
//
// Mounting needs /dev/fuse and the right to mount (root, or
// CAP_SYS_ADMIN): it calls mount(2) itself, no fusermount.
package hungfuse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// ErrUnavailable is matched by Mount's error where FUSE cannot be used
// here (no /dev/fuse, no right to mount).
var ErrUnavailable = errors.New("FUSE is not available")

// Mount is a mounted hung filesystem.
type Mount struct {
	// Dir is the mount point.
	Dir string

	server  *fuse.Server
	gate    chan struct{}
	release sync.Once
}

// New mounts, at dir (an existing empty directory), a filesystem whose
// root holds one regular file of each name in files, with that content.
// Reads of every file block until Release. Call Close when done.
func New(dir string, files map[string]string) (*Mount, error) {
	if _, err := os.Stat("/dev/fuse"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	m := &Mount{Dir: dir, gate: make(chan struct{})}
	root := &rootNode{files: files, gate: m.gate}
	server, err := fs.Mount(dir, root, &fs.Options{MountOptions: fuse.MountOptions{
		DirectMount:       true,
		DirectMountStrict: true, // no fusermount fallback
		FsName:            "hungfuse",
		Name:              "hungfuse",
	}})
	if err != nil {
		return nil, fmt.Errorf("%w: mount %s: %v", ErrUnavailable, dir, err)
	}
	m.server = server
	return m, nil
}

// Release answers every read, blocked and to come.
func (m *Mount) Release() { m.release.Do(func() { close(m.gate) }) }

// Close releases the reads and unmounts.
func (m *Mount) Close() error {
	m.Release()
	if err := m.server.Unmount(); err != nil {
		// Busy still: a released reader has not closed the file yet.
		// Detach it; the filesystem goes when the last file is closed.
		if syscall.Unmount(m.Dir, syscall.MNT_DETACH) != nil {
			return err
		}
	}
	m.server.Wait()
	return nil
}

type rootNode struct {
	fs.Inode
	files map[string]string
	gate  chan struct{}
}

var _ fs.NodeOnAdder = (*rootNode)(nil)

func (r *rootNode) OnAdd(ctx context.Context) {
	for name, content := range r.files {
		f := &hungFile{content: []byte(content), gate: r.gate}
		r.AddChild(name, r.NewPersistentInode(ctx, f, fs.StableAttr{Mode: syscall.S_IFREG}), false)
	}
}

type hungFile struct {
	fs.Inode
	content []byte
	gate    chan struct{}
}

var (
	_ fs.NodeGetattrer = (*hungFile)(nil)
	_ fs.NodeOpener    = (*hungFile)(nil)
	_ fs.NodeReader    = (*hungFile)(nil)
)

func (f *hungFile) Getattr(_ context.Context, _ fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = syscall.S_IFREG | 0o644
	out.Size = uint64(len(f.content))
	return 0
}

func (f *hungFile) Open(context.Context, uint32) (fs.FileHandle, uint32, syscall.Errno) {
	return nil, fuse.FOPEN_DIRECT_IO, 0 // no page cache: every read reaches us
}

// Read answers once the gate is open; an interrupt (a signal to the
// reader) is ignored on purpose, as by a daemon that hung.
func (f *hungFile) Read(_ context.Context, _ fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	<-f.gate
	if off >= int64(len(f.content)) {
		return fuse.ReadResultData(nil), 0
	}
	return fuse.ReadResultData(f.content[off:min(int64(len(f.content)), off+int64(len(dest)))]), 0
}
