package configs

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// gatedOpener opens files for real, but a file whose inode is held reads
// only once its gate is closed (a file on a mount that stopped
// answering), and before reads may call a hook (a writer at work).
type gatedOpener struct {
	mu     sync.Mutex
	gates  map[uint64]chan struct{}
	before func(path string)
}

func newGatedOpener() *gatedOpener { return &gatedOpener{gates: map[uint64]chan struct{}{}} }

// hold makes reads of the file now at path block until release.
func (g *gatedOpener) hold(t *testing.T, path string) (release func()) {
	st, err := os.Stat(path)
	require.NoError(t, err)
	gate := make(chan struct{})
	g.mu.Lock()
	g.gates[st.Sys().(*syscall.Stat_t).Ino] = gate
	g.mu.Unlock()
	return func() { close(gate) }
}

func (g *gatedOpener) open(path string) (openedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return &gatedFile{File: f, gate: g.gates[st.Sys().(*syscall.Stat_t).Ino], before: g.before, path: path}, nil
}

type gatedFile struct {
	*os.File
	gate   chan struct{}
	before func(string)
	path   string
}

func (f *gatedFile) Read(p []byte) (int, error) {
	if f.gate != nil {
		<-f.gate
	}
	if f.before != nil {
		f.before(f.path)
	}
	return f.File.Read(p)
}

func saveFile(t *testing.T, path, text string) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(text), 0o600))
	require.NoError(t, os.Rename(tmp, path)) // a new inode, as editors save
}

// A read that blocks is abandoned at its budget; the same file is then
// refused at once while that read is stuck, but a new file saved at the
// path is read as usual. Past maxStuck stuck reads, every read is refused
// at once until one ends.
func TestFileReaderAbandonsStuckReadsByFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		path, other := filepath.Join(dir, "c.yaml"), filepath.Join(dir, "d.yaml")
		saveFile(t, path, "first")
		saveFile(t, other, "other")
		g := newGatedOpener()
		r := newFileReader(g.open, time.Second, 2)
		releaseFirst := g.hold(t, path)

		start := time.Now()
		_, err := r.read(path, 100)
		require.Equal(t, time.Second, time.Since(start), "abandoned at its budget")
		require.ErrorIs(t, err, ErrReadTimeout)
		require.EqualError(t, err, "reading the file timed out after 1s (a mount that stopped answering?); abandoned")
		require.Equal(t, 1, r.stuckReads())

		_, err = r.read(path, 100)
		require.Zero(t, time.Since(start)-time.Second, "the same file is refused at once")
		require.ErrorIs(t, err, ErrReadTimeout)
		require.EqualError(t, err, "an earlier read of this file timed out after 1s and is still stuck; it is not read again until that ends (save a new file over it)")

		saveFile(t, path, "second")
		data, err := r.read(path, 100)
		require.NoError(t, err, "a new file at the path is read")
		require.Equal(t, "second", string(data))

		releaseOther := g.hold(t, other)
		_, err = r.read(other, 100)
		require.ErrorIs(t, err, ErrReadTimeout)
		require.Equal(t, 2, r.stuckReads())
		saveFile(t, path, "third")
		_, err = r.read(path, 100)
		require.EqualError(t, err, "2 earlier reads of config files timed out and are still stuck; no file is read until one ends")
		require.Zero(t, time.Since(start)-2*time.Second, "refused at once at the bound")

		releaseFirst()
		synctest.Wait()
		require.Equal(t, 1, r.stuckReads(), "an ended read leaves the count")
		data, err = r.read(path, 100)
		require.NoError(t, err)
		require.Equal(t, "third", string(data))
		releaseOther()
		synctest.Wait()
		require.Zero(t, r.stuckReads())
		data, err = r.read(other, 100)
		require.NoError(t, err, "the file is read again once its stuck read ended")
		require.Equal(t, "other", string(data))
	})
}

// A file is read to the size fstat gave, never further: an empty file
// whose read would block (as /proc/kmsg's does) is read as empty without
// a read; one that grows or shrinks while read is refused as changed; one
// past the limit is read to one byte past it.
func TestFileReaderReadsToTheStatSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		g := newGatedOpener()
		r := newFileReader(g.open, time.Second, 2)

		empty := filepath.Join(dir, "empty.yaml")
		saveFile(t, empty, "")
		defer g.hold(t, empty)() // its read would block for ever
		data, err := r.read(empty, 100)
		require.NoError(t, err)
		require.Empty(t, data)

		big := filepath.Join(dir, "big.yaml")
		saveFile(t, big, "0123456789")
		data, err = r.read(big, 4)
		require.NoError(t, err)
		require.Equal(t, "01234", string(data), "limit+1 bytes: the caller refuses it by its size")

		grows := filepath.Join(dir, "grows.yaml")
		saveFile(t, grows, "server: {}\n")
		g.before = func(path string) {
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.WriteString("sources: []\n")
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}
		_, err = r.read(grows, 100)
		require.EqualError(t, err, "the file changed while it was read; save it again")

		shrinks := filepath.Join(dir, "shrinks.yaml")
		saveFile(t, shrinks, "server: {}\n")
		g.before = func(path string) { require.NoError(t, os.Truncate(path, 3)) }
		_, err = r.read(shrinks, 100)
		require.EqualError(t, err, "the file shrank while it was read; save it again")
		require.Zero(t, r.stuckReads())
	})
}

// Files of the kernel's pseudo filesystems are refused before a byte is
// read, as the config and as a file the config names: /proc/kmsg is a
// "regular file" whose read blocks until the kernel logs.
func TestReadRefusesPseudoFilesystems(t *testing.T) {
	stateDir(t)
	paths := map[string]string{"/proc/version": "proc", "/sys/kernel/uevent_seqnum": "sysfs"}
	if f, err := os.Open("/proc/kmsg"); err == nil { // root only
		f.Close()
		paths["/proc/kmsg"] = "proc"
	}
	for path, fsName := range paths {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		kind := fmt.Sprintf("a file of %s, a kernel pseudo filesystem, not a regular file", fsName)
		_, err := Load(path)
		require.ErrorIs(t, err, ErrInvalid)
		require.EqualError(t, err, path+":1:1: "+kind+": the config must be a file")

		_, err = Parse("a.yaml", []byte(natsTLSYAML(fmt.Sprintf("{ca_file: %q}", path))))
		require.ErrorIs(t, err, ErrInvalid)
		require.EqualError(t, err, fmt.Sprintf("a.yaml:7:20: cluster.nats.tls.ca_file: %q is %s: want a PEM file", path, kind))

		_, err = ReadTLSFile(path)
		require.EqualError(t, err, kind)
	}
}

// A config file, or a file it names, whose read hangs gives an error at
// the file (1:1) or at the key, saying it timed out; the load ends.
func TestLoadReportsAReadTimeoutAtTheFile(t *testing.T) {
	stateDir(t)
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		g := newGatedOpener()
		saved := files
		files = newFileReader(g.open, readBudget, maxStuckReads)
		defer func() { files = saved }()

		ca := filepath.Join(dir, "ca.pem")
		saveFile(t, ca, "-----BEGIN CERTIFICATE-----\n")
		path := filepath.Join(dir, "c.yaml")
		saveFile(t, path, natsTLSYAML(fmt.Sprintf("{ca_file: %q}", ca)))
		releaseCA := g.hold(t, ca)
		defer releaseCA()
		_, err := Load(path)
		require.EqualError(t, err, fmt.Sprintf("%s:7:20: cluster.nats.tls.ca_file: %q cannot be read: reading the file timed out after 2s (a mount that stopped answering?); abandoned", path, ca))

		releaseConfig := g.hold(t, path)
		defer releaseConfig()
		start := time.Now()
		_, err = Load(path)
		require.Equal(t, readBudget, time.Since(start))
		require.ErrorIs(t, err, ErrInvalid)
		require.ErrorIs(t, err, ErrReadTimeout, "the reloader counts it as a timeout")
		require.EqualError(t, err, path+":1:1: reading the file timed out after 2s (a mount that stopped answering?); abandoned")
	})
}
