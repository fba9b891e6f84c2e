package configs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse holds Parse, on any input, to a bounded time and allocation
// (maxParseTime, maxParseBytes), to errors that all match ErrInvalid and
// carry a file:line:col, and the token estimate to its promise of never
// counting fewer tokens than go-yaml makes. It starts from every fixture,
// every example, the demo config and the hostile cases.
func FuzzParse(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"testdata/*.yaml", "examples/*.yaml", "examples/*.yml", "default.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, files...)
	}
	if len(seeds) < 3 {
		f.Fatalf("seeds not found: %v", seeds)
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, c := range hostileCases() {
		f.Add([]byte(c.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		took, allocated, err := cost(data)
		if took > maxParseTime {
			t.Errorf("took %v (limit %v)", took, maxParseTime)
		}
		if allocated > maxParseBytes {
			t.Errorf("allocated %d MiB (limit %d MiB)", allocated>>20, maxParseBytes>>20)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("error does not match ErrInvalid: %v", err)
		}
		for _, e := range Errors(err) {
			if e.File == "" || e.Line <= 0 || e.Col <= 0 {
				t.Errorf("error without a position: %q", e.Error())
			}
		}
		if len(data) <= MaxFileBytes {
			requireEstimateAbove(t, data)
		}
	})
}
