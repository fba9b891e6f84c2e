package collectors

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// costOf is testtool.CostOf: CPU time of the parser's thread, wall
// time and bytes allocated.
func costOf(f func()) testtool.Cost { return testtool.CostOf(f) }

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

func (b bound) check(t *testing.T, what string, n int, c testtool.Cost) {
	t.Helper()
	if limit := b.fixedTime + time.Duration(n)*b.timePerByte; c.CPU > limit {
		t.Fatalf("%s: %s of CPU on %d bytes of input, over %s", what, c.CPU, n, limit)
	}
	if c.Wall > maxWall {
		t.Fatalf("%s: %s on %d bytes of input, over %s", what, c.Wall, n, maxWall)
	}
	if limit := b.fixedBytes + uint64(n)*b.bytesPerByte; c.Bytes > limit {
		t.Fatalf("%s: %d bytes allocated on %d bytes of input, over %d", what, c.Bytes, n, limit)
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
