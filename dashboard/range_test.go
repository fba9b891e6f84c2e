package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// fakeRanges answers range requests from a table and records what it was
// asked; block, when set, holds every query until it is closed.
type fakeRanges struct {
	mu    sync.Mutex
	asked []protocol.RangeRequest
	block chan struct{}
}

func (f *fakeRanges) query(req protocol.RangeRequest) protocol.RangeAnswer {
	f.mu.Lock()
	f.asked = append(f.asked, req)
	block := f.block
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	ans := protocol.RangeAnswer{From: req.From, To: req.To, Step: 60_000, Tier: "1m"}
	if len(req.Series) > protocol.MaxRangeSeries {
		ans.Error = "too many series"
		return ans
	}
	for _, id := range req.Series {
		if id == "0000000000000000" {
			ans.Series = append(ans.Series, protocol.RangeSeries{ID: id, Points: []protocol.RangePoint{}, Error: "unknown series"})
			continue
		}
		ans.Series = append(ans.Series, protocol.RangeSeries{ID: id, Points: []protocol.RangePoint{
			{T: req.From, Mean: 2, Min: 1, Max: 3}, {T: req.From + 60_000, Mean: 5, Min: 5, Max: 5}}})
	}
	return ans
}

func (f *fakeRanges) requests() []protocol.RangeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]protocol.RangeRequest(nil), f.asked...)
}

func TestRangeREST(t *testing.T) {
	ranges := &fakeRanges{}
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.Range = ranges.query }})
	const id = "02aa71c4e5b39f10"

	code, _, body := f.httpDo(http.MethodGet, "/api/v1/series/"+id+"?from=2026-01-02T00:00:00Z&to=1767398400000&step=1m&points=500", nil, nil)
	require.Equal(t, http.StatusOK, code, string(body))
	var ans protocol.RangeAnswer
	require.NoError(t, json.Unmarshal(body, &ans))
	require.Equal(t, "range", ans.Type)
	require.Equal(t, "1m", ans.Tier)
	require.Len(t, ans.Series, 1)
	require.Equal(t, []protocol.RangePoint{{T: 1767312000000, Mean: 2, Min: 1, Max: 3}, {T: 1767312060000, Mean: 5, Min: 5, Max: 5}}, ans.Series[0].Points)
	got := ranges.requests()[0]
	require.Equal(t, int64(1767312000000), got.From, "RFC 3339")
	require.Equal(t, int64(1767398400000), got.To, "Unix ms")
	require.Equal(t, int64(60_000), got.Step)
	require.Equal(t, 500, got.Points)
	require.Contains(t, string(body), `[1767312000000,2,1,3],[1767312060000,5]`, "a point of one value is [t, v]")

	// points=0 is the most, as an absent points and the WebSocket's 0 are.
	code, _, body = f.httpDo(http.MethodGet, "/api/v1/series/"+id+"?from=1&points=0", nil, nil)
	require.Equal(t, http.StatusOK, code, "%s", body)

	for _, tc := range []struct{ query, want string }{
		{"from=yesterday", "from: want RFC 3339"},
		{"from=1&to=x", "to: want RFC 3339"},
		{"from=1&step=-1m", "step: want a duration"},
		{"from=1&step=0", "step: want a duration"},
		{"from=1&points=-1", "points: want an integer"},
		{"from=1&points=2001", "points: want an integer"},
		{"to=5", "from: missing"},
		{"points=5", "from: missing"},
		{"step=1m", "from: missing"},
		{"from=", "from: missing"},
	} {
		code, h, body := f.httpDo(http.MethodGet, "/api/v1/series/"+id+"?"+tc.query, nil, nil)
		require.Equal(t, http.StatusBadRequest, code, tc.query)
		require.Contains(t, errorBody(t, h, body), tc.want, tc.query)
	}
	code, h, body := f.httpDo(http.MethodGet, "/api/v1/series/0000000000000000?from=1", nil, nil)
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, "unknown series", errorBody(t, h, body))
}

func TestRangeRESTWithoutHistory(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	code, h, body := f.httpDo(http.MethodGet, "/api/v1/series/02aa71c4e5b39f10?from=1", nil, nil)
	require.Equal(t, http.StatusNotImplemented, code)
	require.Contains(t, errorBody(t, h, body), "not available")
}

// TestRangeWebSocket: a range request is answered on the stream with its
// id, between deltas; a request for too many series gets an error answer;
// a malformed one is ignored and counted; the budget of points is shared
// out so that a wide request cannot ask for an unbounded answer.
func TestRangeWebSocket(t *testing.T) {
	ranges := &fakeRanges{}
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.Range = ranges.query }})
	c := f.dial("", nil)
	c.readType(protocol.TypeHello)
	c.readType(protocol.TypeSnapshot)

	c.send(`{"type":"range","id":7,"series":["02aa71c4e5b39f10","0000000000000000"],"from":1000,"to":4000000}`)
	ans := *c.readType(protocol.TypeRange).msg.(*protocol.RangeAnswer)
	require.Equal(t, int64(7), ans.ID)
	require.Len(t, ans.Series, 2)
	require.Len(t, ans.Series[0].Points, 2)
	require.Equal(t, "unknown series", ans.Series[1].Error)
	require.Equal(t, protocol.MaxRangePoints, ranges.requests()[0].Points, "no budget asked: the most")

	ids := make([]string, protocol.MaxRangeSeries+1)
	for i := range ids {
		ids[i] = fmt.Sprintf("%016x", i+1)
	}
	list, _ := json.Marshal(ids)
	c.send(`{"type":"range","id":8,"series":` + string(list) + `,"from":1,"to":2}`)
	ans = *c.readType(protocol.TypeRange).msg.(*protocol.RangeAnswer)
	require.Equal(t, int64(8), ans.ID)
	require.Equal(t, "series: want 1 to 150 ids", ans.Error)
	require.Len(t, ranges.requests(), 1, "too many series: not run")
	list, _ = json.Marshal(ids[:protocol.MaxRangeSeries])
	c.send(`{"type":"range","id":8,"series":` + string(list) + `,"from":1,"to":2}`)
	ans = *c.readType(protocol.TypeRange).msg.(*protocol.RangeAnswer)
	require.Len(t, ans.Series, protocol.MaxRangeSeries)
	require.Equal(t, maxRangeAnswerPoints/protocol.MaxRangeSeries, ranges.requests()[1].Points, "the answer's points are shared out")

	// A range request that is wrong is answered with its error, as REST
	// answers 400; one whose id cannot be read is ignored and counted.
	malformed := f.srv.metrics.ignored.WithLabelValues(ignoredMalformed)
	before := testutil.ToFloat64(malformed)
	for id, tc := range map[int]struct{ msg, want string }{
		9:  {`{"type":"range","id":9,"series":[],"from":1,"to":2}`, "series: want 1 to 150 ids"},
		10: {`{"type":"range","id":10,"series":"x"}`, "malformed range request"},
		11: {`{"type":"range","id":11,"series":["02aa71c4e5b39f10"],"from":1.5,"to":2}`, "malformed range request"},
		12: {`{"type":"range","id":12,"series":["02aa71c4e5b39f10"],"from":1,"to":2,"points":5000}`, "points: want 1 to 2000"},
		13: {`{"type":"range","id":13,"series":["02aa71c4e5b39f10"],"from":1,"to":2,"step":-1}`, "step: want milliseconds"},
	} {
		c.send(tc.msg)
		ans = *c.readType(protocol.TypeRange).msg.(*protocol.RangeAnswer)
		require.Equal(t, int64(id), ans.ID, tc.msg)
		require.Contains(t, ans.Error, tc.want, tc.msg)
		require.Empty(t, ans.Series)
	}
	c.send(`{"type":"range","id":"x","series":["02aa71c4e5b39f10"]}`)
	c.send(`{"type":"range","id":14,"series":["02aa71c4e5b39f10"],"from":1,"to":2}`)
	require.Equal(t, int64(14), c.readType(protocol.TypeRange).msg.(*protocol.RangeAnswer).ID, "no answer to an id that cannot be read")
	require.Equal(t, before+1, testutil.ToFloat64(malformed))

	// The stream goes on around the answers.
	seq := f.pushAndWait(1, 3)
	c.readUntilSeq(0, seq)
}

// TestRangeQueriesAreBounded: with every turn taken, a further request
// waits (its client's messages with it) and the others' streams go on;
// a client that leaves while waiting gives up its place.
func TestRangeQueriesAreBounded(t *testing.T) {
	ranges := &fakeRanges{block: make(chan struct{})}
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.Range = ranges.query }})
	var clients []*wsClient
	for i := range rangeQueries + 1 {
		c := f.dial("", nil)
		c.readType(protocol.TypeHello)
		c.readType(protocol.TypeSnapshot)
		c.send(fmt.Sprintf(`{"type":"range","id":%d,"series":["02aa71c4e5b39f10"],"from":1,"to":2}`, i))
		clients = append(clients, c)
	}
	require.Eventually(t, func() bool { return len(ranges.requests()) == rangeQueries }, 5*time.Second, time.Millisecond)
	require.Len(t, f.srv.rangeTurns, rangeQueries)
	// Another client is not held up.
	other := f.dial("", nil)
	other.readType(protocol.TypeHello)
	other.readType(protocol.TypeSnapshot)
	seq := f.pushAndWait(1, 1)
	other.readUntilSeq(0, seq)

	close(ranges.block)
	for i, c := range clients {
		var ans *protocol.RangeAnswer
		for ans == nil {
			ans, _ = c.read().msg.(*protocol.RangeAnswer)
		}
		require.Equal(t, int64(i), ans.ID)
	}
	require.Len(t, ranges.requests(), rangeQueries+1)
}

// An answer gives the processor away every answerYieldPoints points it
// writes, so that on one core the stream's writers do not wait behind
// 100,000 points of number formatting (yieldAnswer), and is the same JSON
// encoding/json reads back.
func TestRangeAnswerYieldsAsItWrites(t *testing.T) {
	defer func(old func()) { yieldAnswer = old }(yieldAnswer)
	yields := 0
	yieldAnswer = func() { yields++ }
	ans := protocol.RangeAnswer{Type: protocol.TypeRange, ID: 7, From: 1, To: 2, Tier: "raw"}
	for s := range 3 {
		rs := protocol.RangeSeries{ID: fmt.Sprintf("%016x", s)}
		for i := range 2*answerYieldPoints - 1 {
			rs.Points = append(rs.Points, protocol.RangePoint{T: int64(i), Mean: float64(i) / 3, Min: -1, Max: float64(i)})
		}
		ans.Series = append(ans.Series, rs)
	}
	b := appendRangeAnswer(nil, ans)
	require.Equal(t, 3*(2*answerYieldPoints-1)/answerYieldPoints, yields, "every answerYieldPoints points over the whole answer")
	var back protocol.RangeAnswer
	require.NoError(t, json.Unmarshal(b, &back))
	require.Len(t, back.Series, 3)
	require.Equal(t, ans.Series[2].Points[answerYieldPoints], back.Series[2].Points[answerYieldPoints])
}
