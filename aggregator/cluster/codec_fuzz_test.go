package cluster

import (
	"runtime"
	"testing"
	"time"
)

// FuzzDecodeBatch feeds arbitrary bytes to a decoder, fresh and primed with
// a dictionary: it must never panic, and its time and memory must stay
// linear in the input (style rule 19), whatever the counts claim.
func FuzzDecodeBatch(f *testing.F) {
	e := NewEncoder(5, 1<<20)
	first, _ := e.Encode(scrape(30, 1000, func(i int) float64 { return float64(i) / 8 }))
	key := append([]byte(nil), first[0]...) // the encoder reuses its buffer
	f.Add(key)
	next, _ := e.Encode(scrape(30, 2000, func(i int) float64 { return float64(i) / 4 }))
	f.Add(next[0])
	f.Add([]byte{batchVersion, 5, 3, 0, 1, 0, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x08})
	f.Add([]byte{batchVersion, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 0})
	f.Fuzz(func(t *testing.T, msg []byte) {
		primed := NewDecoder()
		if _, _, err := primed.Decode(key, nil); err != nil {
			t.Fatal(err)
		}
		for _, d := range []*Decoder{NewDecoder(), primed} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			out, _, err := d.Decode(msg, nil)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if err != nil && len(out) != 0 {
				t.Fatalf("refused message left %d samples", len(out))
			}
			if len(out) > len(msg) {
				t.Fatalf("%d samples from %d bytes", len(out), len(msg))
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(64*len(msg)+64<<10) {
				t.Fatalf("%d bytes allocated for a %d-byte message", alloc, len(msg))
			}
			if elapsed > time.Second {
				t.Fatalf("%v for a %d-byte message", elapsed, len(msg))
			}
		}
	})
}
