package dashboard

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// snapshotOf writes a snapshot message of series whose points are given
// as their JSON text, the way the feed writes one (no whitespace), with
// strings that look like points members in places that are not.
func snapshotOf(points ...string) []byte {
	var sb strings.Builder
	sb.WriteString(`{"type":"snapshot","seq":7,"ts":1700000009000,"sources":[{"name":"a \"points\":[[1,2]]","type":"simulated","state":"running","up":true,"restarts":0,"polls":1,"failures":0,"last_error":"\\\"}","last_error_at":0,"last_warning":"","last_warning_at":0,"last_success":0,"poll_ms":0.5}],"series":[`)
	for i, p := range points {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":"%016x","source":"a","metric":"m","labels":{"points":"[[1,2]]","x":"}]"},"kind":"gauge","last":null,"windows":{"1m":{"count":0,"min":null,"max":null,"mean":null,"last":null,"rate":null,"p50":null,"p90":null,"p99":null}},"points":%s}`, i+1, p)
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}

// samePoints compares points, NaN equal to NaN.
func samePoints(t *testing.T, want, got []protocol.Point) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].T, got[i].T, "point %d", i)
		if math.IsNaN(want[i].V) {
			require.True(t, math.IsNaN(got[i].V), "point %d: %v", i, got[i].V)
		} else {
			require.Equal(t, want[i].V, got[i].V, "point %d", i)
		}
	}
}

func TestColumnsCarryTheSamePoints(t *testing.T) {
	cases := map[string]string{
		"none":      `[]`,
		"one":       `[[1700000000000,1.5]]`,
		"regular":   `[[1700000000000,1],[1700000001000,2],[1700000002000,3],[1700000003000,4]]`,
		"jittered":  `[[1700000000000,1],[1700000001003,2],[1700000001999,3],[1700000003000,4]]`,
		"runs":      `[[0,1],[10,2],[20,3],[30,4],[45,5],[60,6],[75,7],[76,8],[80,9]]`,
		"same time": `[[5,1],[5,2],[5,3],[6,4]]`,
		"nulls":     `[[1000,null],[2000,-2.5e-7],[3000,null],[4000,1E+21]]`,
		"spaced":    `[ [1000 , 1] , [2000 ,-0.5 ] ]`,
	}
	var all []string
	for _, p := range cases {
		all = append(all, p)
	}
	rows := snapshotOf(all...)
	cols, err := toColumns(rows)
	require.NoError(t, err)
	require.NotContains(t, string(cols), `}],"points":[`)

	want, err := protocol.DecodeStrict(rows)
	require.NoError(t, err)
	got, err := protocol.DecodeStrict(cols)
	require.NoError(t, err, "%s", cols)
	ws, gs := want.(*protocol.Snapshot), got.(*protocol.Snapshot)
	require.Len(t, gs.Series, len(ws.Series))
	for i := range ws.Series {
		pts, err := gs.Series[i].ColumnPoints()
		require.NoError(t, err, "series %d", i)
		require.Nil(t, gs.Series[i].Points)
		samePoints(t, ws.Series[i].Points, pts)
		// Everything else as it was.
		w, g := ws.Series[i], gs.Series[i]
		w.Points, g.Times, g.Values = nil, nil, nil
		require.Equal(t, w, g)
	}
	ws.Series, gs.Series = nil, nil
	require.Equal(t, ws, gs)
}

func TestColumnsTimesAreRuns(t *testing.T) {
	cols, err := toColumns(snapshotOf(`[[0,1],[10,2],[20,3],[30,4],[45,5],[60,6],[75,7],[76,8],[80,9],[80,10]]`))
	require.NoError(t, err)
	require.Contains(t, string(cols), `"times":[0,10,-2,15,-2,1,4,0],"values":[1,2,3,4,5,6,7,8,9,10]}`)

	// A regular quarter of an hour is a few bytes of times.
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range 900 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "[%d,%d.25]", 1700000000000+int64(i)*1000, i%100)
	}
	sb.WriteByte(']')
	cols, err = toColumns(snapshotOf(sb.String()))
	require.NoError(t, err)
	require.Contains(t, string(cols), `"times":[1700000000000,1000,-898],"values":[0.25,1.25,`)
}

func TestColumnsRefuseWhatIsNotASnapshotOfPoints(t *testing.T) {
	for name, data := range map[string]string{
		"not an object":      `[1,2]`,
		"truncated":          `{"type":"snapshot","series":[{"id":"1","points":[[1,2]`,
		"trailing bytes":     `{"type":"snapshot","series":[]} x`,
		"series not array":   `{"type":"snapshot","series":{}}`,
		"series of numbers":  `{"type":"snapshot","series":[1]}`,
		"points not array":   `{"type":"snapshot","series":[{"points":{}}]}`,
		"point not pair":     `{"type":"snapshot","series":[{"points":[[1]]}]}`,
		"point of three":     `{"type":"snapshot","series":[{"points":[[1,2,3]]}]}`,
		"time not integer":   `{"type":"snapshot","series":[{"points":[[1.5,2]]}]}`,
		"time a string":      `{"type":"snapshot","series":[{"points":[["1",2]]}]}`,
		"value a string":     `{"type":"snapshot","series":[{"points":[[1,"2"]]}]}`,
		"value not a number": `{"type":"snapshot","series":[{"points":[[1,1.2.3]]}]}`,
		"value with zeros":   `{"type":"snapshot","series":[{"points":[[1,007]]}]}`,
		"times out of order": `{"type":"snapshot","series":[{"points":[[2,1],[1,1]]}]}`,
		"missing comma":      `{"type":"snapshot","series":[{"points":[[1,1][2,1]]}]}`,
		"unterminated name":  `{"type":"snapshot","series":[{"points`,
		"no colon":           `{"type":"snapshot","series":[{"points"[]}]}`,
		"unterminated value": `{"type":"snapshot","labels":{"a":"b"`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := toColumns([]byte(data))
			require.ErrorIs(t, err, errColumns)
		})
	}
}

func TestColumnsCache(t *testing.T) {
	var cc columnsCache
	snap := snapshotOf(`[[1,1],[2,2]]`)
	cols := cc.get(snap)
	require.Contains(t, string(cols), `"times":[1,1]`)
	again := cc.get(snap)
	require.Same(t, &cols[0], &again[0], "one rewrite for every client of one snapshot")
	equal := append([]byte(nil), snap...)
	other := cc.get(equal)
	require.NotSame(t, &cols[0], &other[0], "found by identity, not by content")
	require.Equal(t, string(cols), string(other))

	delta := []byte(`{"type":"delta","seq":8,"points":{"a":[[1,2]]}}`)
	require.Same(t, &delta[0], &cc.get(delta)[0], "not a snapshot: as it is")
	broken := []byte(`{"type":"snapshot","series":[{"points":[[2,1],[1,1]]}]}`)
	require.Same(t, &broken[0], &cc.get(broken)[0], "not rewritable: the points as they are")
}

func TestParsePointsQuery(t *testing.T) {
	for q, want := range map[string]bool{"": false, "rows": false, "columns": true} {
		got, err := parsePointsQuery(q)
		require.NoError(t, err)
		require.Equal(t, want, got, q)
	}
	_, err := parsePointsQuery("Columns")
	require.Error(t, err)
}

// A client that asks for columns gets every snapshot in columns, the
// shared one and a broker's after a resume it no longer holds, and the
// deltas as they are; a client that does not gets points.
func TestStreamColumns(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.pushAndWait(2, 1)
	f.pushAndWait(2, 2)
	rows := f.dial("", nil)
	rows.readType("hello")
	want := rows.readType("snapshot").snapshot()
	require.Len(t, want.Series[0].Points, 2)

	check := func(t *testing.T, fr frame) {
		t.Helper()
		require.NotContains(t, string(fr.raw), `"points"`)
		for _, s := range fr.snapshot().Series {
			pts, err := s.ColumnPoints()
			require.NoError(t, err)
			require.Len(t, pts, 2)
		}
	}
	t.Run("shared snapshot", func(t *testing.T) {
		c := f.dial("points=columns", nil)
		c.t = t
		c.readType("hello")
		snap := c.readType("snapshot")
		check(t, snap)
		for i, s := range snap.snapshot().Series {
			pts, _ := s.ColumnPoints()
			samePoints(t, want.Series[i].Points, pts)
		}
		last := f.pushAndWait(2, 3)
		for _, d := range c.readUntilSeq(snap.Seq, last) {
			require.Contains(t, string(d.raw), `"points"`, "deltas as they are")
		}
	})
	t.Run("the broker's snapshot", func(t *testing.T) {
		c := f.dial("points=columns&resume=1000000", nil)
		c.t = t
		c.readType("hello")
		fr := c.readType("snapshot")
		require.NotContains(t, string(fr.raw), `"points"`)
		for _, s := range fr.snapshot().Series {
			_, err := s.ColumnPoints()
			require.NoError(t, err)
			require.NotEmpty(t, s.Times)
		}
	})
	t.Run("rows", func(t *testing.T) {
		c := f.dial("points=rows", nil)
		c.t = t
		c.readType("hello")
		require.Contains(t, string(c.readType("snapshot").raw), `"points"`)
	})
	t.Run("bad query", func(t *testing.T) {
		_, err := f.tryDial("points=csv", nil)
		require.ErrorContains(t, err, "status 400")
	})
}

// FuzzToColumns: whatever the input, the rewrite either fails or writes
// JSON, in time linear in the input.
func FuzzToColumns(f *testing.F) {
	f.Add(snapshotOf(`[[1,1],[2,null],[4,3e5]]`, `[]`))
	f.Add([]byte(`{"type":"snapshot","series":[{"points":[[2,1],[1,1]]}]}`))
	f.Add([]byte(`{"series":[{"a":"\"}","points":[]}],"x":[{"y":"]"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := toColumns(data)
		if err != nil {
			return
		}
		if json.Valid(data) {
			require.True(t, json.Valid(out), "%s\n→ %s", data, out)
		}
	})
}
