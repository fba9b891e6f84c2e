package dashboard

import (
	"encoding/json"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// rangeQueries bounds the range queries running at once over every client
// and the REST route: a query may read the disk and decode thousands of
// blocks, and a thousand dashboards switching to 24 h at once must queue
// behind a few of them rather than take every core from the collectors.
const rangeQueries = 2

// maxRangeAnswerPoints bounds the points of one answer over all its
// series (about 4 MB of JSON): a request for 150 series at 2000 points
// each is cut to fit, each series getting an equal share.
const maxRangeAnswerPoints = 100_000

// errNoRanges answers range requests when the program reads no history.
var errNoRanges = errors.New("range queries are not available")

// queryRange runs one range request under the server's bound on
// concurrent queries, waiting for a turn until done closes. The series'
// point budget is cut so the whole answer stays within
// maxRangeAnswerPoints. Called by a client's reader and by the REST
// handler, on their goroutines.
func (s *Server) queryRange(req protocol.RangeRequest, done <-chan struct{}) (protocol.RangeAnswer, error) {
	if s.opts.Range == nil {
		return protocol.RangeAnswer{}, errNoRanges
	}
	if n := len(req.Series); n > 0 {
		per := maxRangeAnswerPoints / n
		if req.Points <= 0 || req.Points > protocol.MaxRangePoints {
			req.Points = protocol.MaxRangePoints
		}
		req.Points = min(req.Points, max(per, 1))
	}
	select {
	case s.rangeTurns <- struct{}{}:
	case <-done:
		return protocol.RangeAnswer{}, errors.New("cancelled")
	}
	defer func() { <-s.rangeTurns }()
	start := time.Now()
	ans := s.opts.Range(req)
	if ans.Error == "" {
		// A request the store refused (from after to, a zero from) is
		// not a query: counting it would let a loop of 400s pass for
		// range work. Its callers count it as refused.
		s.metrics.rangeSeconds.Observe(time.Since(start).Seconds())
	}
	ans.Type, ans.ID = protocol.TypeRange, req.ID
	return ans, nil
}

// yieldAnswer is runtime.Gosched; tests count the calls.
var yieldAnswer = runtime.Gosched

// answerYieldPoints is how many points appendRangeAnswer writes between
// two yields (about half a millisecond): an answer of 100,000 points is
// 20-30 ms of formatting numbers, which the stream's writers would wait
// behind on a server given one core (see aggregator's yieldRange).
const answerYieldPoints = 2048

// appendRangeAnswer writes ans as the protocol's "range" message without
// reflection: an answer holds up to maxRangeAnswerPoints points. It gives
// the processor away every answerYieldPoints points.
func appendRangeAnswer(b []byte, ans protocol.RangeAnswer) []byte {
	written := 0
	b = append(b, `{"type":"range","id":`...)
	b = strconv.AppendInt(b, ans.ID, 10)
	b = append(b, `,"from":`...)
	b = strconv.AppendInt(b, ans.From, 10)
	b = append(b, `,"to":`...)
	b = strconv.AppendInt(b, ans.To, 10)
	b = append(b, `,"step":`...)
	b = strconv.AppendInt(b, ans.Step, 10)
	b = append(b, `,"tier":`...)
	b = appendJSONString(b, ans.Tier)
	b = append(b, `,"series":[`...)
	for i, sr := range ans.Series {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendJSONString(b, sr.ID)
		b = append(b, `,"points":[`...)
		for j, p := range sr.Points {
			if j > 0 {
				b = append(b, ',')
			}
			b = p.AppendJSON(b)
			if written++; written == answerYieldPoints {
				written = 0
				yieldAnswer()
			}
		}
		b = append(b, ']')
		if sr.Error != "" {
			b = append(b, `,"error":`...)
			b = appendJSONString(b, sr.Error)
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if ans.Error != "" {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, ans.Error)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string (encoding/json's escaping).
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// seriesRange serves GET /api/v1/series/{id}?from=&to=&step=: the series'
// history over the range, from the finest stored tier that covers it (a
// "range" message with one series). 400 for a bad parameter, 404 for an
// unknown series, 501 when the program reads no history.
func (s *Server) seriesRange(c *fiber.Ctx) error {
	req := protocol.RangeRequest{Type: protocol.TypeRange, Series: []string{c.Params("id")}}
	var err error
	if req.From, err = parseRangeTime(c.Query("from")); err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "from: "+err.Error())
	}
	if c.Query("to") == "" {
		req.To = time.Now().UnixMilli()
	} else if req.To, err = parseRangeTime(c.Query("to")); err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "to: "+err.Error())
	}
	if st := c.Query("step"); st != "" {
		if req.Step, err = parseStep(st); err != nil {
			return fiber.NewError(fiber.StatusBadRequest, "step: "+err.Error())
		}
	}
	if p := c.Query("points"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > protocol.MaxRangePoints {
			return fiber.NewError(fiber.StatusBadRequest, "points: want an integer from 1 to "+strconv.Itoa(protocol.MaxRangePoints)+", or 0 for the most")
		}
		req.Points = n
	}
	// Reserved before the query: its answer is built for this request
	// alone and held while a slow client reads it.
	t := s.reserveAnswer(rangeAnswerEstimate(req.Points, 1))
	if t == nil {
		return s.refuseAnswer(c)
	}
	ans, err := s.queryRange(req, c.Context().Done())
	if err != nil || ans.Error != "" || (len(ans.Series) == 1 && ans.Series[0].Error != "") {
		t.cancel()
	}
	switch {
	case errors.Is(err, errNoRanges):
		return fiber.NewError(fiber.StatusNotImplemented, err.Error())
	case err != nil:
		return fiber.NewError(fiber.StatusServiceUnavailable, err.Error())
	case ans.Error != "":
		return fiber.NewError(fiber.StatusBadRequest, ans.Error)
	case len(ans.Series) == 1 && ans.Series[0].Error != "":
		return fiber.NewError(fiber.StatusNotFound, ans.Series[0].Error)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return t.send(c, appendRangeAnswer(make([]byte, 0, rangeAnswerEstimate(answerPoints(ans), 1)), ans))
}

// rangePointsPerUnit is how many points of a WebSocket range request
// cost one more unit of the server's budget for that work, beside the
// route's costRange: a request runs a query per series (reading stored
// blocks), so 150 series × 2,000 points cost far more than a REST query
// of one series (trial 14, round 6: 100 connections asking that each
// second took a third of the core while their size charge alone stayed
// within the budget).
const rangePointsPerUnit = 2000

// wsRangeCost is what a WebSocket range request takes from the server's
// budget before it runs: costRange plus a unit per rangePointsPerUnit of
// the points it may answer (at most 50 more).
func wsRangeCost(req protocol.RangeRequest) int {
	points := req.Points
	if points <= 0 || points > protocol.MaxRangePoints {
		points = protocol.MaxRangePoints
	}
	return costRange + min(points*len(req.Series), maxRangeAnswerPoints)/rangePointsPerUnit
}

// rangeBytesPerPoint is about the most JSON one range point takes
// ({"t":…,"mean":…,"min":…,"max":…} with full-precision floats).
const rangeBytesPerPoint = 96

// rangeAnswerEstimate is the bytes to reserve for a range answer of
// points points per series (0: the most) over series series, before it
// is built.
func rangeAnswerEstimate(points, series int) int64 {
	if points <= 0 || points > protocol.MaxRangePoints {
		points = protocol.MaxRangePoints
	}
	return int64(min(points*series, maxRangeAnswerPoints))*rangeBytesPerPoint + 256
}

// parseRangeTime reads a time as RFC 3339 or Unix milliseconds (an
// integer), as the API documents.
func parseRangeTime(v string) (int64, error) {
	if v == "" {
		return 0, errors.New("missing: want RFC 3339 or Unix milliseconds")
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return ms, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return 0, errors.New("want RFC 3339 (2026-01-02T15:04:05Z) or Unix milliseconds")
	}
	return t.UnixMilli(), nil
}

// parseStep reads a step as a duration ("1m", "30s") or milliseconds.
func parseStep(v string) (int64, error) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
		return ms, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Millisecond || d > 366*24*time.Hour || strings.HasPrefix(v, "-") {
		return 0, errors.New("want a duration like 1m or 30s, or milliseconds")
	}
	return d.Milliseconds(), nil
}

// answerRange answers a client's range request: it runs the query on the
// reader's goroutine (so a client that asks for much waits for its own
// answers, and its further messages wait with it; the broker's publish
// path never runs one), once the request's distinct series are paid for
// from the client's range budget (chargeRange) and from the server's
// budget for WebSocket range work (dear.go: its route cost now, its size
// once built), and the answer's bytes are
// reserved against Options.MaxAnswerBytes (as the REST answers are,
// answers.go: a client that does not read holds its answer until cut),
// and hands the encoded answer to the writer, replacing one the writer
// has not sent yet (the client wants the newest: it drops answers to
// requests it superseded). The answer's bytes stay counted until written,
// replaced, or the client is gone (dropAnswer).
func (c *client) answerRange(req protocol.RangeRequest) {
	var ans protocol.RangeAnswer
	var err error
	var held int64
	req.Series = distinctSeries(req.Series)
	if msg := checkRangeRequest(req); msg != "" {
		c.s.metrics.rangeRefused.WithLabelValues(rangeRefusedInvalid).Inc()
		err = errors.New(msg)
	} else if msg := c.chargeRange(req, time.Now()); msg != "" {
		c.s.metrics.rangeRefused.WithLabelValues(rangeRefusedBudget).Inc()
		err = errors.New(msg)
	} else if b := c.s.dear[wsRangeKind]; b != nil && !b.AllowN(time.Now(), min(wsRangeCost(req), b.Burst())) {
		c.s.metrics.rangeRefused.WithLabelValues(rangeRefusedBusy).Inc()
		err = errors.New("the server is busy with range requests from all clients; retry in a second")
	} else if held = rangeAnswerEstimate(req.Points, len(req.Series)); !c.s.holdAnswerBytes(held) {
		held = 0
		c.s.metrics.rangeRefused.WithLabelValues(rangeRefusedAnswers).Inc()
		err = errors.New("too many large answers are held by the server now; retry in a second")
	} else {
		ans, err = c.s.queryRange(req, c.ctx.Done())
		if err == nil && ans.Error != "" {
			c.s.metrics.rangeRefused.WithLabelValues(rangeRefusedInvalid).Inc()
		}
		c.s.metrics.rangePoints.Add(float64(answerPoints(ans)))
	}
	if err != nil {
		if c.ctx.Err() != nil {
			c.s.adjustAnswerBytes(-held)
			return
		}
		ans = protocol.RangeAnswer{Type: protocol.TypeRange, ID: req.ID, From: req.From, To: req.To,
			Series: []protocol.RangeSeries{}, Error: err.Error()}
	}
	data := appendRangeAnswer(make([]byte, 0, 256+answerPoints(ans)*48), ans)
	chargeUnits(c.s.dear[wsRangeKind], len(data)/answerBytesPerUnit)
	n := int64(cap(data))
	c.s.adjustAnswerBytes(n - held)
	c.mu.Lock()
	replaced := c.answerHeld
	c.answer, c.answerHeld = data, n
	wake := c.wake
	c.mu.Unlock()
	c.s.adjustAnswerBytes(-replaced)
	if wake != nil {
		wake()
	}
}

// takeAnswer returns a range answer waiting to be written, if any, and
// the bytes counted for it, which the caller releases once it is written
// (or will never be).
func (c *client) takeAnswer() ([]byte, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, n := c.answer, c.answerHeld
	c.answer, c.answerHeld = nil, 0
	return a, n
}

// dropAnswer releases an answer never taken; called once the reader and
// the writer are done.
func (c *client) dropAnswer() {
	_, n := c.takeAnswer()
	c.s.adjustAnswerBytes(-n)
}

// checkRangeRequest says what is wrong with a WebSocket range request
// (members of the wrong type arrive with Step -1; series distinct), as the REST route's
// parameter checks do, or "" when nothing is.
func checkRangeRequest(req protocol.RangeRequest) string {
	switch {
	case req.Step < 0 && len(req.Series) == 0 && req.From == 0 && req.To == 0:
		return "malformed range request: want {type, id, series: [ids], from, to, step?, points?} with integers"
	case len(req.Series) == 0 || len(req.Series) > protocol.MaxRangeSeries:
		return "series: want 1 to " + strconv.Itoa(protocol.MaxRangeSeries) + " ids"
	case req.Step < 0:
		return "step: want milliseconds, 0 or more"
	case req.Points < 0 || req.Points > protocol.MaxRangePoints:
		return "points: want 1 to " + strconv.Itoa(protocol.MaxRangePoints) + ", or 0 for the most"
	}
	return ""
}
