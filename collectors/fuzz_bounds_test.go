package collectors

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// cost is what one call of a parser took: the CPU time of its thread
// (wall time where threads cannot be measured), wall time, and bytes
// allocated on the heap (by every goroutine; in a fuzz worker that is the
// parser).
type cost struct {
	took  time.Duration
	wall  time.Duration
	bytes uint64
}

// costOf runs f on a thread of its own and measures it. The bound is on
// CPU time because a loaded machine can leave a fuzz worker unscheduled
// for seconds, which says nothing about the parser.
func costOf(f func()) cost {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	cpu0, start := threadCPU(), time.Now()
	f()
	wall := time.Since(start)
	took := threadCPU() - cpu0
	metrics.Read(s)
	if cpu0 == 0 { // not measured on this system
		took = wall
	}
	return cost{took: took, wall: wall, bytes: s[0].Value.Uint64() - before}
}

// maxWall bounds the wall time of any one input: only a hang passes it.
const maxWall = time.Minute

// bound is what a parser may spend on an input of n bytes: a fixed
// allowance plus so much per input byte. The time allowance is generous
// (the seed corpus also runs under -race on a loaded machine); what it
// catches is work that grows faster than the input, which passes any
// linear bound once the fuzzer grows an input.
type bound struct {
	fixedTime    time.Duration
	timePerByte  time.Duration
	fixedBytes   uint64
	bytesPerByte uint64
}

func (b bound) check(t *testing.T, what string, n int, c cost) {
	t.Helper()
	if limit := b.fixedTime + time.Duration(n)*b.timePerByte; c.took > limit {
		t.Fatalf("%s: %s of CPU on %d bytes of input, over %s", what, c.took, n, limit)
	}
	if c.wall > maxWall {
		t.Fatalf("%s: %s on %d bytes of input, over %s", what, c.wall, n, maxWall)
	}
	if limit := b.fixedBytes + uint64(n)*b.bytesPerByte; c.bytes > limit {
		t.Fatalf("%s: %d bytes allocated on %d bytes of input, over %d", what, c.bytes, n, limit)
	}
}

// seedFiles adds every file matching pattern under testdata to f, each
// with the extra arguments of its kind.
func seedFiles(f *testing.F, pattern string, args func(name string, body []byte) []any) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files %s: %v", pattern, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(args(name, b)...)
	}
}
