package dashboard

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLastClientReleasesSharedCaches: the snapshot, columns and prepared
// caches outlive no client. They kept an attacked server's largest
// snapshots (510 MB of heap with no client left, scripts/longlived.sh).
func TestLastClientReleasesSharedCaches(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	h := newHub(f.srv, 10)
	snap := []byte(`{"type":"snapshot","seq":5,"from":5,"ts":0,"data":{"series":[]}}`)
	fill := func() {
		data, _, ok := h.snap.get(func() []byte { return snap }, time.Now())
		require.True(t, ok)
		h.cols.get(data)
		_, err := h.prepared.get(data)
		require.NoError(t, err)
	}
	held := func() bool {
		h.snap.mu.Lock()
		snapHeld := h.snap.data != nil
		h.snap.mu.Unlock()
		h.cols.mu.Lock()
		colsHeld := false
		for _, e := range h.cols.slots {
			colsHeld = colsHeld || e.src != nil || e.cols != nil
		}
		h.cols.mu.Unlock()
		h.prepared.mu.Lock()
		preparedHeld := h.prepared.slots != [preparedSlots]*preparedEntry{}
		h.prepared.mu.Unlock()
		return snapHeld || colsHeld || preparedHeld || h.prepared.latest.Load() != nil
	}

	a, b := newClient(h, nil), newClient(h, nil)
	require.True(t, h.add(a))
	require.True(t, h.add(b))
	fill()
	h.remove(a)
	require.True(t, held(), "a client is left: the caches serve it")
	h.remove(b)
	require.False(t, held(), "no client is left")

	// A client that comes afterwards builds them again.
	c := newClient(h, nil)
	require.True(t, h.add(c))
	fill()
	require.True(t, held())
	h.remove(c)
	require.False(t, held())
}
