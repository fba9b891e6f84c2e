package aggregator

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// chunkLens is the sample count of each of h's chunks, oldest first.
func chunkLens(h *history) []int {
	var out []int
	for c := h.head; c != nil; c = c.next {
		out = append(out, int(c.n))
	}
	return out
}

func historyOf(pts []point) *history {
	h := &history{maxSpanMs: 225_000}
	for _, p := range pts {
		h.append(p.t, p.v)
	}
	return h
}

func requireHistoryHolds(t *testing.T, h *history, want []point) {
	t.Helper()
	var got []point
	h.each(h.len(), func(p point) { got = append(got, p) })
	requireSameBits(t, want, got)
}

// A source's first poll runs at once and the next on its phase: the first
// delta is no period. Coded against it, every regular time of the chunk
// cost a Rice code; the chunk now starts again at the third sample.
func TestHistoryFirstDeltaOffPeriod(t *testing.T) {
	pts := make([]point, 200)
	tm, v := int64(1_796_030_008_725), 0.0
	for i := range pts {
		pts[i] = point{tm, v}
		if i == 0 {
			tm += 1275 // 28.725 → 30.000: the first poll, then the phase
			v += 153
		} else {
			tm += 1000
			v += 120
		}
	}
	h := historyOf(pts)
	require.Equal(t, []int{2, 198}, chunkLens(h))
	requireHistoryHolds(t, h, pts)
	perSample := float64(h.encodedBytes()) / float64(len(pts))
	require.Less(t, perSample, 0.45, "a counter at 1 s: 0.28 B a sample on regular times, plus the short chunk (1.65 coded against 1275 ms)")
}

// A late poll that opens a chunk likewise; the chunk after the short one
// starts on the late poll's time and takes its period from the next
// delta.
func TestHistoryLatePollAtAChunkStart(t *testing.T) {
	var pts []point
	tm := int64(1_000_000)
	for i := range 300 {
		pts = append(pts, point{tm, float64(i % 7)})
		tm += 1000
		if i == 225 { // the second chunk's first sample is followed by a late one
			tm += 400
		}
	}
	h := historyOf(pts)
	require.Equal(t, []int{225, 2, 73}, chunkLens(h), "sealed at its span; the next chunk's period, 1400 ms, is no period")
	requireHistoryHolds(t, h, pts)
}

// Jitter of a few milliseconds is no reason to start again: jittered
// sources keep whole chunks.
func TestHistoryJitterKeepsChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([]point, 200)
	tm := int64(1_000_000)
	for i := range pts {
		pts[i] = point{tm, float64(rng.IntN(1000)) / 10}
		tm += 1000 + rng.Int64N(11) - 5
	}
	h := historyOf(pts)
	require.Equal(t, []int{200}, chunkLens(h))
	requireHistoryHolds(t, h, pts)
}

func TestOffPeriod(t *testing.T) {
	require.False(t, offPeriod(1000, 1000))
	require.False(t, offPeriod(1125, 1000), "an eighth: still the period")
	require.True(t, offPeriod(1126, 1000))
	require.True(t, offPeriod(874, 1000))
	require.False(t, offPeriod(5, 0), "no period (two samples at one time): nothing to judge")
}
