package storage

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropCachedPages asks the kernel to forget the file's cached pages that
// nothing maps yet. The store's file is memory-mapped, and a read fault on
// a page whose neighbours are in the page cache maps those neighbours too
// (fault-around, up to 16 pages): right after a restart, when the whole
// file is cached from the previous run, the few blocks Restore reads would
// leave megabytes resident. Dropped, a read maps only what it reads (the
// mapping is MADV_RANDOM: no read-ahead either), and the process' RSS
// does not grow with the retention on disk. The cost: the first reads of
// a range after a start come from the disk. Best effort: an error only
// means the pages stay cached.
func dropCachedPages(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}
