package aggregator

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// feedTwoSources ingests, once a second for n seconds, one series of
// "kept" and many of "removed", and writes them all to f.
func feedTwoSources(t *testing.T, f *fakeStorage, many, n int) (*Aggregator, *clock) {
	t.Helper()
	a, c := newTestAgg(Options{Storage: f})
	for i := range n {
		gone := make([]Sample, many)
		for j := range gone {
			gone[j] = gauge("m", c.ms, float64(i+j), "i", strconv.Itoa(j))
		}
		a.ingest(batch("kept", gauge("k", c.ms, float64(i))))
		a.ingest(batch("removed", gone...))
		c.ms += 1000
		if i%10 == 0 {
			a.tick()
		}
	}
	a.tick()
	require.NoError(t, a.Flush())
	return a, c
}

// A restart holds in memory the series of the sources it runs, not every
// series the disk holds: the others stay on disk, still answered by range
// reads, and a source that comes back continues its stored blocks.
func TestRestoreLeavesSourcesNotRunningOnDisk(t *testing.T) {
	f := newFakeStorage()
	a, c := feedTwoSources(t, f, 50, 150)
	var keptKey, goneKey uint64
	for _, s := range a.st.all {
		if s.source == "kept" {
			keptKey = s.key
		} else if goneKey == 0 {
			goneKey = s.key
		}
	}
	before := a.st.byKey[goneKey].tiers.blocks[storage.Minute]
	require.NotZero(t, before.n, "finished minutes in the open minute block")
	b, cb := newTestAgg(Options{Storage: f, Running: func(src string) bool { return src == "kept" }})
	cb.ms = c.ms
	require.NoError(t, b.Restore())
	b.tick()
	require.Equal(t, 1, len(b.st.all), "only the running source's series in memory")
	require.NotNil(t, b.st.byKey[keptKey])
	require.Len(t, b.persisted, 51, "every stored series is still known")

	req := protocol.RangeRequest{Series: []string{formatID(goneKey)}, From: c.ms - hourMs, To: c.ms}
	require.Equal(t, a.QueryRange(req), b.QueryRange(req), "a removed source's series answered from disk as before")

	// The source comes back (a reload adds it): its series start in
	// memory anew and continue the minute block the disk holds open.
	b.ingest(batch("removed", gauge("m", cb.ms, 1, "i", "0")))
	back := b.st.byKey[goneKey]
	require.NotNil(t, back, "the same id as before")
	got := back.tiers.blocks[storage.Minute]
	require.Equal(t, before.start, got.start, "the stored block continued")
	require.Equal(t, before.n, got.n)

	// Without Running, every stored series comes back, as it did.
	all, ca := newTestAgg(Options{Storage: f})
	ca.ms = c.ms
	require.NoError(t, all.Restore())
	require.Equal(t, 51, len(all.st.all))
}
