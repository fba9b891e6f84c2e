package dashboard

import (
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// Reasons a WebSocket range request is answered with an error instead of
// being run (pulseboard_ws_range_refused_total).
const (
	rangeRefusedBudget  = "budget"  // the connection's range budget is spent
	rangeRefusedInvalid = "invalid" // the request is malformed or out of bounds
	rangeRefusedAnswers = "answers" // the answers held fill max_answer_bytes
	rangeRefusedBusy    = "busy"    // the server's budget for WebSocket range work is spent
)

// rangeSeriesFloor is the least a series is charged, in points, whatever
// the points asked: finding it and reading the blocks around the range's
// ends cost about as much as a hundred points do, so a request for one
// point of 150 series is not nearly free.
const rangeSeriesFloor = 100

// maxRangeCost is the most one valid request can cost: with at most
// MaxRangeSeries distinct ids, the points are shared out within
// maxRangeAnswerPoints, and MaxRangeSeries × rangeSeriesFloor is less.
const maxRangeCost = maxRangeAnswerPoints

// rangeCost is the work a range request asks for, in points: its distinct
// series times the points each may get (as queryRange cuts them), at least
// rangeSeriesFloor a series. The aggregator picks a tier holding at most
// 8× the points asked, so what a query reads and writes grows with this.
// req must be deduplicated and checked (checkRangeRequest).
func rangeCost(req protocol.RangeRequest) int {
	n := len(req.Series)
	points := req.Points
	if points <= 0 || points > protocol.MaxRangePoints {
		points = protocol.MaxRangePoints
	}
	points = min(points, max(maxRangeAnswerPoints/n, 1))
	return n * max(points, rangeSeriesFloor)
}

// distinctSeries drops repeated ids, keeping the first of each in order:
// a request naming one series 150 times asks for one series' work.
func distinctSeries(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if _, ok := seen[id]; !ok {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}

// newRangeBudget is one connection's range budget (see
// WebSocketOptions.RangeRate). Only the connection's reader uses it.
func newRangeBudget(o *WebSocketOptions) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(o.RangeRate), o.RangeBurst)
}

// chargeRange takes the request's cost from the client's range budget at
// now; it returns the error the client is answered with when the budget
// cannot pay (nothing is taken then), or "".
//
// Why an answer and not a close: a page that asked too much in a burst
// (a wide screen of charts switched to a long span) shows the error on
// the charts concerned and asks again at its next span change or refresh,
// when the budget has refilled; closed with 1008 it would reconnect, be
// sent a snapshot and ask for every chart again, only to be closed again.
// An error answer is a few bytes, and the message flood limit bounds how
// many a client can make the server write.
func (c *client) chargeRange(req protocol.RangeRequest, now time.Time) string {
	cost := rangeCost(req)
	if c.rangeBudget.AllowN(now, cost) {
		return ""
	}
	o := &c.s.opts.WebSocket
	return fmt.Sprintf("range budget exceeded: this request costs %d points (series × points), a connection may ask for %d at once and %.0f a second; ask again later or for fewer points",
		cost, o.RangeBurst, o.RangeRate)
}

// answerPoints counts the points of an answer, for the range points counter.
func answerPoints(ans protocol.RangeAnswer) int {
	n := 0
	for _, s := range ans.Series {
		n += len(s.Points)
	}
	return n
}
