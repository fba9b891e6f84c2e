package dashboard

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSnapshotSeq(t *testing.T) {
	for in, want := range map[string]uint64{
		`{"type":"snapshot","seq":42,"ts":1}`: 42,
		`{"type":"snapshot","seq":0,"ts":1}`:  0,
		`{"type":"snapshot","seq":7}`:         7,
	} {
		got, ok := snapshotSeq([]byte(in))
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{``, `{"type":"delta","seq":4,"ts":1}`, `{"seq":4,"type":"snapshot"}`,
		`{"type":"snapshot","seq":`, `{"type":"snapshot","seq":,"ts":1}`, `{"type":"snapshot","seq":-1,"ts":1}`} {
		_, ok := snapshotSeq([]byte(in))
		require.False(t, ok, in)
	}
}

func TestSnapshotCache(t *testing.T) {
	var sc snapshotCache
	builds := 0
	seq := 5
	build := func() []byte {
		builds++
		return []byte(`{"type":"snapshot","seq":` + string(rune('0'+seq)) + `,"ts":1}`)
	}
	t0 := time.Unix(100, 0)
	data, got, ok := sc.get(build, t0)
	require.True(t, ok)
	require.Equal(t, uint64(5), got)
	require.Equal(t, 1, builds)

	// Within the age the same bytes serve everyone.
	seq = 6
	again, got, ok := sc.get(build, t0.Add(snapshotMaxAge-time.Millisecond))
	require.True(t, ok)
	require.Equal(t, uint64(5), got)
	require.Equal(t, &data[0], &again[0])
	require.Equal(t, 1, builds)

	// Then a new one is built.
	_, got, ok = sc.get(build, t0.Add(snapshotMaxAge))
	require.True(t, ok)
	require.Equal(t, uint64(6), got)
	require.Equal(t, 2, builds)

	// Nothing published yet (seq 0), or an unreadable snapshot: not cached.
	seq = 0
	_, _, ok = sc.get(build, t0.Add(3*snapshotMaxAge))
	require.False(t, ok)
	_, _, ok = sc.get(build, t0.Add(3*snapshotMaxAge))
	require.False(t, ok)
	require.Equal(t, 4, builds)
	_, _, ok = sc.get(func() []byte { return []byte(`{}`) }, t0.Add(4*snapshotMaxAge))
	require.False(t, ok)
}

// A shared snapshot is let go once it is too old to serve, with its
// columns form and the prepared frames of both: kept until the next client
// came, they were most of what one connected dashboard cost a small
// server. One replaced by a newer build goes the same way.
func TestSnapshotExpiresWithWhatWasMadeOfIt(t *testing.T) {
	h := newHub(nil, 1)
	data := snapshotOf(`[[1,2]]`)
	got, seq, ok := h.snap.get(func() []byte { return data }, time.Now())
	require.True(t, ok)
	require.Equal(t, uint64(7), seq)
	cols := h.cols.get(got)
	require.NotEqual(t, string(got), string(cols), "rewritten in columns")
	_, err := h.prepared.get(got)
	require.NoError(t, err)
	_, err = h.prepared.get(cols)
	require.NoError(t, err)
	require.NotNil(t, h.prepared.find(got))

	h.snap.expire(got) // what its timer does snapshotMaxAge after the build
	require.Nil(t, h.snap.data)
	require.Nil(t, h.prepared.find(got))
	require.Nil(t, h.prepared.find(cols))
	require.Zero(t, h.prepared.bytes)
	require.Nil(t, h.cols.forget(got), "the columns went too")

	// A newer build replaces one too old: the old one goes the same way.
	var gone [][]byte
	sc := snapshotCache{expired: func(d []byte) { gone = append(gone, d) }}
	defer sc.release()
	t0 := time.Unix(100, 0)
	first, _, _ := sc.get(func() []byte { return snapshotOf(`[[1,2]]`) }, t0)
	second, _, _ := sc.get(func() []byte { return snapshotOf(`[[3,4]]`) }, t0.Add(snapshotMaxAge))
	require.Len(t, gone, 1)
	require.Equal(t, &first[0], &gone[0][0])
	sc.expire(first) // its timer, late: nothing more
	require.Len(t, gone, 1)
	require.Equal(t, &second[0], &sc.data[0])
	sc.release()
	sc.expire(second) // released: nothing to tell
	require.Len(t, gone, 1)
}
