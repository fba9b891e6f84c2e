package protocol

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeByType(t *testing.T) {
	m, err := Decode([]byte(`{"type":"hello","version":"v","instance":"i","windows":["1m"],"history_seconds":900,"protocol":1}`))
	require.NoError(t, err)
	require.Equal(t, &Hello{Type: "hello", Version: "v", Instance: "i", Windows: []string{"1m"}, HistorySeconds: 900, Protocol: 1}, m)

	m, err = Decode([]byte(`{"type":"snapshot","seq":3,"ts":9,"sources":[],"series":[{"id":"00000000000000ff","source":"s","metric":"m","labels":{},"kind":"gauge","last":null,"windows":{"1m":{"count":0,"min":null,"max":null,"mean":null,"last":null,"rate":null,"p50":null,"p90":null,"p99":null}}}]}`))
	require.NoError(t, err)
	snap := m.(*Snapshot)
	require.Equal(t, uint64(3), snap.Seq)
	require.Nil(t, snap.Series[0].Last)
	require.Nil(t, snap.Series[0].Points, "absent points: none asked for")
	require.Equal(t, Stats{}, snap.Series[0].Windows["1m"], "an empty window: count 0, all else null")

	m, err = Decode([]byte(`{"type":"delta","seq":8,"from":5,"ts":9,"points":{"a":[[1,2]]},"windows":{},"sources":[],"added":[],"removed":["b"]}`))
	require.NoError(t, err)
	d := m.(*Delta)
	require.Equal(t, uint64(5), d.First())
	require.Equal(t, []Point{{1, 2}}, d.Points["a"])
	require.Equal(t, uint64(8), (&Delta{Seq: 8}).First())
}

// TestDecodeIgnoresUnknownMembersUnlessStrict: a client must read a newer
// server of the same version, which may have added members; the strict
// decoder is there for tests that must catch a member never defined.
func TestDecodeIgnoresUnknownMembersUnlessStrict(t *testing.T) {
	msg := []byte(`{"type":"delta","seq":1,"ts":2,"points":{},"windows":{},"sources":[{"name":"s","colour":"red"}],"added":[],"removed":[],"future":{"x":1}}`)
	m, err := Decode(msg)
	require.NoError(t, err)
	require.Equal(t, "s", m.(*Delta).Sources[0].Name)
	_, err = DecodeStrict(msg)
	require.ErrorIs(t, err, ErrMalformed)
	require.ErrorContains(t, err, "colour")

	_, err = Decoder{Strict: true}.Sources([]byte(`{"sources":[{"name":"s","colour":"red"}]}`))
	require.ErrorContains(t, err, "colour")
	_, err = Decoder{Strict: true}.Series([]byte(`{"id":"x","extra":1}`))
	require.ErrorContains(t, err, "extra")
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct {
		in   string
		want error
	}{
		{`{"type":"resume","seq":1}`, ErrUnknownType},
		{`{"seq":1}`, ErrUnknownType},
		{``, ErrUnknownType},
		{`{"type":"delta","seq":"one"}`, ErrMalformed},
		{`{"type":"delta","seq":1`, ErrMalformed},
		{`{"type":"delta","seq":1} {}`, ErrMalformed},
		{`{"type":"delta","points":{"a":[[1]]}}`, ErrMalformed},
		{`{"type":"delta","events":[{"kind":"k"}]}`, ErrMalformed},
	} {
		_, err := Decode([]byte(c.in))
		require.ErrorIs(t, err, c.want, c.in)
	}

	_, err := Decoder{}.Snapshot([]byte(`{"type":"delta","seq":1,"ts":1}`))
	require.ErrorIs(t, err, ErrUnknownType)
	_, err = Decoder{}.Snapshot([]byte(`{"type":"snapshot","seq":"x"}`))
	require.ErrorIs(t, err, ErrMalformed)
	s, err := Decoder{}.Snapshot([]byte(`{"type":"snapshot","seq":4,"ts":1,"sources":[],"series":[]}`))
	require.NoError(t, err)
	require.Equal(t, uint64(4), s.Seq)
	_, err = Decoder{}.Series([]byte(`[]`))
	require.ErrorIs(t, err, ErrMalformed)
	_, err = Decoder{}.Sources([]byte(`{"sources":1}`))
	require.ErrorIs(t, err, ErrMalformed)
}
