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
