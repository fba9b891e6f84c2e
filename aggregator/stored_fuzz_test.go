package aggregator

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/storage"
)

// FuzzDecodeStoredRaw feeds garbage to what reads a raw block back from
// disk (the restore path and the range queries): it fails with an error,
// never a panic, in bounded time and memory; and a block the history
// wrote decodes to the points it holds.
func FuzzDecodeStoredRaw(f *testing.F) {
	var h history
	rng := rand.New(rand.NewPCG(3, 4))
	pts := allShapes[0].gen(rng, 1_700_000_000_000, 1000, 2, 30)
	for _, p := range pts {
		h.append(p.t, p.v)
	}
	good := appendRawBlockData(nil, h.head)
	f.Add(good, int64(pts[0].t))
	f.Add(good[:len(good)/2], int64(0))
	f.Add([]byte{rawBlockVersion, 0xff, 0xff, 0x03, 0x01}, int64(-1))
	f.Add([]byte{}, int64(0))
	f.Fuzz(func(t *testing.T, data []byte, start int64) {
		began := time.Now()
		decoded, err := decodeRawBlock(data, start)
		if err == nil {
			n, _, _, perr := parseRawBlock(data)
			require.NoError(t, perr)
			require.Len(t, decoded, n)
			// The count is bounded by the stream's bits, so is the memory.
			require.LessOrEqual(t, len(decoded), 1+len(data)*4)
		}
		c, restored, _, err := chunkFromBlock(storage.Block{Tier: storage.Raw, Start: start, Data: data})
		if err == nil {
			require.Len(t, restored, int(c.n))
			for i := 1; i < len(restored); i++ {
				require.Greater(t, restored[i].t, restored[i-1].t, "a restored chunk's times rise")
			}
		}
		require.Less(t, time.Since(began), time.Second, "one block decodes in bounded time")
	})
}

// FuzzDecodeSeriesMeta: a series' stored identity read back from garbage
// fails cleanly; one that decodes survives a round trip of its own.
func FuzzDecodeSeriesMeta(f *testing.F) {
	s := &series{source: "demo", metric: "requests_total", kind: KindCounter,
		labels: Labels{{Name: "env", Value: "demo"}, {Name: "path", Value: "/api/v1/x"}}}
	good := encodeSeriesMeta(s)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{metaVersion, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := decodeSeriesMeta(data)
		if err != nil {
			return
		}
		again, err := decodeSeriesMeta(encodeSeriesMeta(&series{source: id.Source, metric: id.Metric, labels: id.Labels, kind: id.Kind}))
		require.NoError(t, err)
		require.Equal(t, id, again)
	})
}

// FuzzDecodeJournal feeds garbage to what reads a journal value back at
// start: it fails with an error, never a panic, in time and memory linear
// in the value; what decodes replays onto a chunk without a panic; and a
// value the flusher wrote decodes to the chunks it was written from.
func FuzzDecodeJournal(f *testing.F) {
	var h history
	rng := rand.New(rand.NewPCG(5, 6))
	for _, p := range allShapes[0].gen(rng, 1_700_000_000_000, 1000, 2, 30) {
		h.append(p.t, p.v)
	}
	var w journalWriter
	w.add(42, h.tail, 0)
	w.add(43, h.tail, 3)
	good := w.done()[0]
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{journalVersion, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0xff, 0xff, 0x03, 0xff, 0xff, 0x7f, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		began := time.Now()
		es, err := decodeJournal(data)
		if err != nil {
			require.Nil(t, es)
			return
		}
		require.LessOrEqual(t, len(es), len(data)/12, "an entry costs at least 12 bytes")
		var st tailState
		for _, e := range es {
			st.apply(e)
			require.LessOrEqual(t, uint64(st.nbits), uint64(len(st.stream))*8)
		}
		require.Less(t, time.Since(began), time.Second, "one value decodes in bounded time")
	})
}

// A journal value decodes to what was written: the entries' chunks
// rebuilt from them are the chunks they came from.
func TestJournalRoundTrip(t *testing.T) {
	var h history
	rng := rand.New(rand.NewPCG(9, 10))
	pts := allShapes[0].gen(rng, 1_700_000_000_000, 1000, 2, 100)
	var w journalWriter
	var st tailState
	bits := uint32(0)
	for i, p := range pts {
		h.append(p.t, p.v)
		if i%10 == 9 {
			w.add(7, h.tail, bits/8)
			bits = h.tail.w.nbits
		}
	}
	values := w.done()
	require.Len(t, values, 1)
	es, err := decodeJournal(values[0])
	require.NoError(t, err)
	require.Len(t, es, 10)
	for _, e := range es {
		require.Equal(t, uint64(7), e.key)
		require.Equal(t, pts[0].t, e.firstT)
		require.True(t, st.apply(e))
	}
	require.Equal(t, h.tail.w.b[:(h.tail.w.nbits+7)/8], st.stream)
	require.Equal(t, h.tail.n, st.n)
}
