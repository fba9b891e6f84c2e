package aggregator

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBitsAgainstReference writes random fields with every writer method
// and reads them back with every reader method, near the end of the buffer
// too (where the word-at-a-time paths give way to the byte loops), and
// checks each bit against a plain list of bools.
func TestBitsAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for round := range 300 {
		var w bitWriter
		var ref []bool
		type field struct {
			kind int // 0 bits, 1 bit, 2 ones+zero
			n    uint
			v    uint64
		}
		var fields []field
		for range 1 + rng.IntN(40) {
			f := field{kind: rng.IntN(3)}
			switch f.kind {
			case 0:
				f.n = uint(rng.IntN(65))
				f.v = rng.Uint64()
				w.writeBits(f.v, f.n)
				for i := int(f.n) - 1; i >= 0; i-- {
					ref = append(ref, f.v>>uint(i)&1 == 1)
				}
			case 1:
				f.v = rng.Uint64() & 1
				w.writeBit(f.v == 1)
				ref = append(ref, f.v == 1)
			case 2:
				f.n = uint(rng.IntN(30))
				w.writeOnes(f.n)
				w.writeBit(false)
				for range f.n {
					ref = append(ref, true)
				}
				ref = append(ref, false)
			}
			fields = append(fields, f)
		}
		require.Equal(t, uint32(len(ref)), w.nbits, "round %d", round)
		require.Equal(t, (len(ref)+7)/8, len(w.b), "round %d: whole bytes only", round)
		for i, want := range ref {
			require.Equal(t, want, w.b[i/8]&(0x80>>(i%8)) != 0, "round %d bit %d", round, i)
		}
		r := bitReader{b: w.b, nbits: w.nbits}
		for i, f := range fields {
			switch f.kind {
			case 0:
				got, err := r.readBits(f.n)
				require.NoError(t, err)
				want := f.v
				if f.n < 64 {
					want &= 1<<f.n - 1
				}
				require.Equal(t, want, got, "round %d field %d (%d bits)", round, i, f.n)
			case 1:
				got, err := r.readBit()
				require.NoError(t, err)
				require.Equal(t, f.v == 1, got)
			case 2:
				got, err := r.readOnes(escQ)
				require.NoError(t, err)
				if f.n >= escQ { // the limit: the rest of the run and its zero follow
					require.Equal(t, uint(escQ), got)
					rest, err := r.readOnes(64)
					require.NoError(t, err)
					require.Equal(t, f.n-escQ, rest)
				} else {
					require.Equal(t, f.n, got, "round %d field %d", round, i)
				}
			}
		}
		require.Equal(t, w.nbits, r.pos)
		_, err := r.readBit()
		require.ErrorIs(t, err, errCorrupt, "reading past nbits")
	}
}

// TestReadOnesStopsAtTheEnd: a run of ones that reaches nbits is corrupt
// (its zero is missing), and a run that reaches the limit exactly at the
// end is not.
func TestReadOnesStopsAtTheEnd(t *testing.T) {
	for _, n := range []uint{3, 20, 70, 100} {
		var w bitWriter
		w.writeOnes(n)
		w.writeBits(0, 64) // bytes beyond nbits, as a longer buffer would hold
		r := bitReader{b: w.b, nbits: uint32(n)}
		if n < escQ {
			_, err := r.readOnes(escQ)
			require.ErrorIs(t, err, errCorrupt, "n=%d", n)
			continue
		}
		got, err := r.readOnes(escQ)
		require.NoError(t, err)
		require.Equal(t, uint(escQ), got)
		_, err = r.readBits(uint(n - escQ + 1))
		require.ErrorIs(t, err, errCorrupt, "n=%d", n)
	}
}
