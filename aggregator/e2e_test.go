package aggregator

import (
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// decodeSnapshot decodes a snapshot strictly: a member the encoder writes
// that the protocol does not define fails the test.
func decodeSnapshot(t *testing.T, b []byte) *protocol.Snapshot {
	t.Helper()
	m, err := protocol.DecodeStrict(b)
	require.NoError(t, err, "%s", b)
	require.IsType(t, &protocol.Snapshot{}, m, "%s", b)
	return m.(*protocol.Snapshot)
}

// decodeDelta is decodeSnapshot for a delta.
func decodeDelta(t *testing.T, b []byte) *protocol.Delta {
	t.Helper()
	m, err := protocol.DecodeStrict(b)
	require.NoError(t, err, "%s", b)
	require.IsType(t, &protocol.Delta{}, m, "%s", b)
	return m.(*protocol.Delta)
}

func gauge(metric string, tms int64, v float64, ls ...string) Sample {
	var labels Labels
	for i := 0; i+1 < len(ls); i += 2 {
		labels = append(labels, Label{Name: ls[i], Value: ls[i+1]})
	}
	return Sample{Metric: metric, Labels: labels, TimeMs: tms, Value: v}
}

func TestEndToEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := New(Options{Sources: func() []SourceInfo {
			return []SourceInfo{{Name: "demo", Type: "simulated", State: StateRunning}}
		}})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- a.Serve(ctx) }()

		sub := a.Subscribe(0)
		defer sub.Close()
		m, err := sub.Next(ctx)
		require.NoError(t, err)
		require.Equal(t, "snapshot", m.Type)
		require.Equal(t, uint64(0), m.Seq)

		now := time.Now().UnixMilli()
		require.True(t, a.Push(ctx, Batch{Source: "demo", Samples: []Sample{
			gauge("temp", now, 20.5, "room", "a"),
			gauge("temp", now, 21.5, "room", "b"),
		}}))
		m, err = sub.Next(ctx)
		require.NoError(t, err)
		f := decodeDelta(t, m.Data)
		require.Equal(t, "delta", f.Type)
		require.Equal(t, uint64(1), f.Seq)
		require.Len(t, f.Added, 2)
		require.Len(t, f.Sources, 1)
		require.Equal(t, "demo", f.Sources[0].Name)
		require.Equal(t, []protocol.Point{{T: now, V: 20.5}}, f.Added[0].Points)
		require.Equal(t, 1, f.Added[0].Windows["1m"].Count)

		time.Sleep(time.Second)
		now2 := time.Now().UnixMilli()
		require.True(t, a.Push(ctx, Batch{Source: "demo", Samples: []Sample{gauge("temp", now2, 22, "room", "a")}}))
		m, err = sub.Next(ctx)
		require.NoError(t, err)
		f = decodeDelta(t, m.Data)
		require.Equal(t, uint64(2), f.Seq)
		id := seriesID(t, a, "a")
		require.Equal(t, []protocol.Point{{T: now2, V: 22}}, f.Points[id])
		require.Contains(t, f.Windows, id)

		snap := decodeSnapshot(t, a.SnapshotJSON(true))
		require.Equal(t, uint64(2), snap.Seq)
		require.Len(t, snap.Series, 2)
		js, ok := a.SeriesJSON(id)
		require.True(t, ok)
		so, err := protocol.Decoder{Strict: true}.Series(js)
		require.NoError(t, err)
		require.Equal(t, []protocol.Point{{T: now, V: 20.5}, {T: now2, V: 22}}, so.Points)

		cancel()
		require.NoError(t, <-done)
	})
}

// seriesID finds the id of the series with room=room through the snapshot.
func seriesID(t *testing.T, a *Aggregator, room string) string {
	t.Helper()
	for _, s := range decodeSnapshot(t, a.SnapshotJSON(false)).Series {
		if s.Labels["room"] == room {
			return s.ID
		}
	}
	t.Fatalf("no series room=%s", room)
	return ""
}

func next(t *testing.T, s *Subscription) Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	m, err := s.Next(ctx)
	require.NoError(t, err)
	return m
}

func TestSeriesAndSourcesJSON(t *testing.T) {
	a, c := newTestAgg(Options{})
	_, ok := a.SeriesJSON("not-an-id")
	require.False(t, ok)
	_, ok = a.SeriesJSON("0123456789abcdef")
	require.False(t, ok)
	require.JSONEq(t, `{"sources":[]}`, string(a.SourcesJSON()))

	// Hostile label values and names still make valid frames.
	a.ingest(batch("s\"rc", gauge("m\n", c.ms, 1, "k\x00", "v\xff\"\\")))
	_, ok = a.SeriesJSON(a.st.all[0].id)
	require.False(t, ok, "not published yet")
	a.tick()
	b, ok := a.SeriesJSON(a.st.all[0].id)
	require.True(t, ok)
	require.True(t, json.Valid(b), "%s", b)
	snap := a.SnapshotJSON(true)
	require.True(t, json.Valid(snap), "%s", snap)
	f := decodeSnapshot(t, snap)
	require.Equal(t, "s\"rc", f.Series[0].Source)
	require.Equal(t, "v\ufffd\"\\", f.Series[0].Labels["k\x00"])

	b2 := New(Options{Sources: func() []SourceInfo {
		return []SourceInfo{{Name: "x", State: StateFailed, LastError: "boom \"quoted\""}}
	}})
	got, err := protocol.Decoder{Strict: true}.Sources(b2.SourcesJSON())
	require.NoError(t, err)
	require.Equal(t, []SourceInfo{{Name: "x", State: StateFailed, LastError: "boom \"quoted\""}}, got.Sources)
}
