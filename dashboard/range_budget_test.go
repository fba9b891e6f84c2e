package dashboard

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// rangeMessage is a WebSocket range request for ids at points a series.
func rangeMessage(t *testing.T, id int, ids []string, points int) string {
	list, err := json.Marshal(ids)
	require.NoError(t, err)
	return fmt.Sprintf(`{"type":"range","id":%d,"series":%s,"from":1,"to":172800000,"points":%d}`, id, list, points)
}

func seriesIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%016x", i+1)
	}
	return ids
}

// TestRangeBudget: a connection's range requests are paid for from its
// budget of points; one it cannot pay for is answered with an error
// saying so, counted and not run, and the connection stays open for
// requests it can pay for. Repeated ids are asked for once.
func TestRangeBudget(t *testing.T) {
	ranges := &fakeRanges{}
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.Range = ranges.query
		o.WebSocket.RangeRate = 1                      // refills nothing that matters during the test
		o.WebSocket.RangeBurst = 2000 + 2*maxRangeCost // the first request, two wide ones and 200 over
	}})
	refused := f.srv.metrics.rangeRefused.WithLabelValues(rangeRefusedBudget)
	c := f.dial("", nil)
	c.readType(protocol.TypeHello)
	c.readType(protocol.TypeSnapshot)

	// One series named 150 times is one series' work.
	same := make([]string, protocol.MaxRangeSeries)
	for i := range same {
		same[i] = "02aa71c4e5b39f10"
	}
	c.send(rangeMessage(t, 1, same, 2000))
	ans := *c.readType(protocol.TypeRange).msg.(*protocol.RangeAnswer)
	require.Empty(t, ans.Error)
	require.Len(t, ans.Series, 1)
	require.Equal(t, []string{"02aa71c4e5b39f10"}, ranges.requests()[0].Series)
	require.Equal(t, 2.0, testutil.ToFloat64(f.srv.metrics.rangePoints), "the points sent are counted")

	// 150 series × 666 points twice fit (with the 2,000 above), the third does not.
	wide := seriesIDs(protocol.MaxRangeSeries)
	require.Equal(t, 99_900, rangeCost(protocol.RangeRequest{Series: wide, Points: 2000}))
	for id := 2; id <= 3; id++ {
		c.send(rangeMessage(t, id, wide, 2000))
		ans = *c.readType(protocol.TypeRange).msg.(*protocol.RangeAnswer)
		require.Empty(t, ans.Error, "request %d", id)
	}
	c.send(rangeMessage(t, 4, wide, 2000))
	ans = *c.readType(protocol.TypeRange).msg.(*protocol.RangeAnswer)
	require.Equal(t, int64(4), ans.ID)
	require.Contains(t, ans.Error, "range budget exceeded: this request costs 99900 points")
	require.Empty(t, ans.Series)
	require.Len(t, ranges.requests(), 3, "a refused request is not run")
	require.Equal(t, 1.0, testutil.ToFloat64(refused))

	// What is left still pays for a small request: the connection goes on.
	c.send(rangeMessage(t, 5, wide[:1], 100))
	ans = *c.readType(protocol.TypeRange).msg.(*protocol.RangeAnswer)
	require.Equal(t, int64(5), ans.ID)
	require.Empty(t, ans.Error)
	require.Len(t, ranges.requests(), 4)
	seq := f.pushAndWait(1, 3)
	c.readUntilSeq(0, seq)
}

// TestRangeBudgetFitsAPage: with the default budget, a page showing 100
// charts of 5 lines (500 series) on a 1920-pixel screen switches span at
// once (static/js/rangeloader.js cuts the ids into requests of 150), and
// the second switch a few seconds later fits too; a client asking at the
// flood limit for 150 series is held to the refill rate.
func TestRangeBudgetFitsAPage(t *testing.T) {
	var o WebSocketOptions
	o.setDefaults()
	b := newRangeBudget(&o)
	now := time.Unix(1_800_000_000, 0)
	ids := seriesIDs(500)
	switchSpan := func() {
		for i := 0; i < len(ids); i += protocol.MaxRangeSeries {
			req := protocol.RangeRequest{Series: ids[i:min(i+protocol.MaxRangeSeries, len(ids))], Points: 1920}
			require.True(t, b.AllowN(now, rangeCost(req)), "request at %d", i)
		}
	}
	switchSpan()
	now = now.Add(5 * time.Second)
	switchSpan()

	wide := protocol.RangeRequest{Series: seriesIDs(protocol.MaxRangeSeries), Points: 2000}
	allowed := 0
	for range 60 * 18 { // 18 a second for a minute
		now = now.Add(time.Second / 18)
		if b.AllowN(now, rangeCost(wide)) {
			allowed++
		}
	}
	most := (o.RangeBurst + 60*int(o.RangeRate)) / rangeCost(wide)
	require.LessOrEqual(t, allowed, most, "the burst, then the refill rate")
	require.Less(t, allowed, 60*18/20, "a small share of what was asked")
}

func TestRangeCost(t *testing.T) {
	for _, tc := range []struct {
		series, points, want int
	}{
		{1, 0, 2000},
		{1, 2000, 2000},
		{1, 1, rangeSeriesFloor},
		{3, 2000, 6000},
		{150, 2000, 99_900},
		{150, 1, 150 * rangeSeriesFloor},
	} {
		got := rangeCost(protocol.RangeRequest{Series: seriesIDs(tc.series), Points: tc.points})
		require.Equal(t, tc.want, got, "%d series × %d points", tc.series, tc.points)
		require.LessOrEqual(t, got, maxRangeCost)
	}
	require.Equal(t, []string{"a", "b", "c"}, distinctSeries(strings.Split("a,b,a,c,b,a", ",")))
}
