package protocol

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadHeader(t *testing.T) {
	big := `{"type":"delta","seq":12,"from":9,"ts":1700000000123,"points":{"a":[[1,2]]}}`
	cases := []struct {
		msg  string
		want Header
	}{
		{`{"type":"hello","version":"v1","windows":["1m"],"history_seconds":900}`, Header{Type: "hello"}},
		{`{"type":"snapshot","seq":7,"ts":1700000000000,"sources":[],"series":[]}`,
			Header{Type: "snapshot", Seq: 7, HasSeq: true, TS: 1700000000000, HasTS: true}},
		{`{"type":"delta","seq":8,"ts":1700000000100,"points":{}}`,
			Header{Type: "delta", Seq: 8, HasSeq: true, TS: 1700000000100, HasTS: true}},
		{big, Header{Type: "delta", Seq: 12, HasSeq: true, From: 9, HasFrom: true, TS: 1700000000123, HasTS: true}},
		{`not json`, Header{}},
		{``, Header{}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, ReadHeader([]byte(c.msg)), c.msg)
	}
	require.Equal(t, uint64(9), ReadHeader([]byte(big)).First())
	require.Equal(t, uint64(8), ReadHeader([]byte(cases[2].msg)).First())

	// Fields beyond the prefix are still found, by a full scan.
	late := `{"pad":"` + strings.Repeat(" ", 300) + `","type":"delta","seq":3,"ts":5}`
	h := ReadHeader([]byte(late))
	require.True(t, h.FullScan)
	require.Equal(t, uint64(3), h.Seq)
	require.Equal(t, int64(5), h.TS)

	// A long message whose prefix holds the header is not scanned whole.
	long := `{"type":"delta","seq":3,"ts":5,"points":{"` + strings.Repeat("x", 500) + `":[]}}`
	require.False(t, ReadHeader([]byte(long)).FullScan)
}
