package configs

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// fileReader runs each read of a config file on a goroutine of its own
// and waits for it at most its budget, so that a file whose read never
// returns cannot hang a check, wedge the reloader or a NATS connection
// attempt. The goroutine has a child process do the read (spawn, see
// readInChild), so that a read the kernel never ends holds the child and
// not this process's exit; where no child can run, it reads in process
// (open), and says so in the log once. An abandoned read's child is
// killed, and the read goes on until the kernel answers; the reader
// remembers which file it is stuck on, so that the same file is refused
// at once rather than stuck again, while a different file (a new one
// saved over the path) is read as usual. At most maxStuck reads are left
// stuck; past that, every read is refused at once until one ends.
//
// Safe for concurrent use.
type fileReader struct {
	// spawn starts a child that reads path; nil reads in process only.
	spawn    func(path string, limit int64) (*readChild, error)
	open     func(path string) (openedFile, error)
	budget   time.Duration
	maxStuck int
	log      *slog.Logger // slog.Default() when nil

	fallbackOnce sync.Once

	mu      sync.Mutex
	stuck   int             // abandoned reads that have not ended
	stuckOn map[fileKey]int // the same, by the file each is stuck on
}

// fileKey names a file by device and inode; by path only while its open
// has not returned (or where the system gives no inode).
type fileKey struct {
	dev, ino uint64
	path     string
}

// pendingRead is one read's state, guarded by fileReader.mu.
type pendingRead struct {
	key       fileKey
	ended     bool
	abandoned bool
	kill      func() // ends the read's child, once it has one
}

func newFileReader(open func(string) (openedFile, error), budget time.Duration, maxStuck int) *fileReader {
	return &fileReader{open: open, budget: budget, maxStuck: maxStuck, stuckOn: map[fileKey]int{}}
}

// read is readRegular with this reader's opener, budget and bound.
func (r *fileReader) read(path string, limit int64) ([]byte, error) {
	rd := &pendingRead{key: fileKey{path: path}}
	r.mu.Lock()
	err := r.refuse(rd.key)
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := r.readOnce(rd, path, limit)
		done <- result{data, err}
		r.end(rd)
	}()
	timer := time.NewTimer(r.budget)
	defer timer.Stop()
	select {
	case res := <-done:
		return res.data, res.err
	case <-timer.C:
	}
	r.mu.Lock()
	if rd.ended {
		r.mu.Unlock()
		res := <-done
		return res.data, res.err
	}
	rd.abandoned = true
	r.stuck++
	r.stuckOn[rd.key]++
	kill := rd.kill
	r.mu.Unlock()
	if kill != nil {
		kill()
	}
	return nil, &readRefusedError{msg: timeoutMessage(r.budget), timeout: true}
}

// readOnce is one read of path, by a child where one can run.
func (r *fileReader) readOnce(rd *pendingRead, path string, limit int64) ([]byte, error) {
	if r.spawn != nil {
		c, err := r.spawn(path, limit)
		if err == nil {
			return r.readInChild(rd, c, limit)
		}
		r.noteInProcess(err)
	}
	return r.readInProcess(rd, path, limit)
}

// refuse says why a read of key may not start: too many are stuck, or
// one is stuck on this very file. Called with r.mu held.
func (r *fileReader) refuse(key fileKey) error {
	switch {
	case r.stuck >= r.maxStuck:
		return &readRefusedError{timeout: true, msg: fmt.Sprintf(
			"%d earlier reads of config files timed out and are still stuck; no file is read until one ends", r.stuck)}
	case r.stuckOn[key] > 0:
		return r.stuckOnThis()
	}
	return nil
}

// stuckOnThis refuses a file an abandoned read is stuck on.
func (r *fileReader) stuckOnThis() error {
	return &readRefusedError{timeout: true, msg: fmt.Sprintf(
		"an earlier read of this file timed out after %v and is still stuck; it is not read again until that ends (save a new file over it)", r.budget)}
}

// identify records which file rd reads, once it is open, and refuses it
// when an abandoned read is stuck on that very file. A read abandoned
// while its open hung moves its count from the path to the file.
func (r *fileReader) identify(rd *pendingRead, key fileKey) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rd.abandoned {
		r.stuckOn[rd.key]--
		r.forget(rd.key)
		r.stuckOn[key]++
	} else if r.stuckOn[key] > 0 {
		return r.stuckOnThis()
	}
	rd.key = key
	return nil
}

// end marks rd ended; an abandoned read leaves the stuck counts.
func (r *fileReader) end(rd *pendingRead) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rd.ended = true
	if rd.abandoned {
		r.stuck--
		r.stuckOn[rd.key]--
		r.forget(rd.key)
	}
}

func (r *fileReader) forget(key fileKey) {
	if r.stuckOn[key] <= 0 {
		delete(r.stuckOn, key)
	}
}

// stuckReads is the number of abandoned reads not ended yet.
func (r *fileReader) stuckReads() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stuck
}
