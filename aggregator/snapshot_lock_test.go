package aggregator

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSnapshotWritesPointsWithoutTheLock: a snapshot's points are most of
// its cost, and the publisher needs the store's write lock for every
// delta, so SnapshotJSON must not hold the lock while it writes them. The
// hook runs where the points are written: the test takes the write lock
// there (it would deadlock, not just be slow, if the snapshot still held
// the read lock) and, holding it, publishes more points into the tail
// chunk and past it, into new chunks. The snapshot is still the one cut it
// took: the points published before it, not one after.
func TestSnapshotWritesPointsWithoutTheLock(t *testing.T) {
	a, c := newTestAgg(Options{})
	// More than a chunk's worth, so that the history has sealed chunks
	// and a growing tail.
	for range chunkSamples + 40 {
		c.ms += 100
		a.ingest(batch("s", gauge("a", c.ms, float64(c.ms%97)), gauge("b", c.ms, 1)))
	}
	a.tick()
	want := decodeSnapshot(t, a.SnapshotJSON(true))
	require.Len(t, want.Series, 2)

	ran := false
	a.afterSnapshotUnlock = func() {
		ran = true
		require.True(t, a.mu.TryLock(), "the store's lock is free while the points are written")
		for range chunkSamples + 10 {
			c.ms += 100
			a.ingestLocked(batch("s", gauge("a", c.ms, 5), gauge("b", c.ms, 2)), c.ms)
		}
		a.mu.Unlock()
		a.tick()
	}
	got := decodeSnapshot(t, a.SnapshotJSON(true))
	require.True(t, ran)
	require.Equal(t, want, got, "the points published after the snapshot was taken are not in it")

	a.afterSnapshotUnlock = nil
	after := decodeSnapshot(t, a.SnapshotJSON(true))
	require.Greater(t, after.Seq, want.Seq)
	require.NotEqual(t, want.Series[0].Points, after.Series[0].Points)
}

// TestSnapshotBesideThePublisher: snapshots written while batches are
// ingested and published, for the race detector (go test -race): what a
// snapshot reads after its unlock must be its own copy, the growing tail
// chunk included.
func TestSnapshotBesideThePublisher(t *testing.T) {
	a, c := newTestAgg(Options{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 3 * chunkSamples {
			a.mu.Lock()
			c.ms += 100
			now := c.ms
			a.mu.Unlock()
			a.ingest(batch("s", gauge("a", now, float64(i%13))))
			if i%5 == 0 {
				a.tick()
			}
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
			f := decodeSnapshot(t, a.SnapshotJSON(true))
			for _, s := range f.Series {
				require.NotEmpty(t, s.Points)
			}
		}
	}
}
