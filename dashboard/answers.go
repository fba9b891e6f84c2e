package dashboard

import (
	"bytes"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// Answers held while written.
//
// fasthttp writes a response after its handler returned, and holds the
// body until the client has taken it; a client that reads slowly holds it
// up to the write timeout, and reconnects. Unbounded, a few hundred slow
// readers of large answers held gigabytes (trial 14, round 5: 400 slow
// snapshot readers, 89 MB to 1.34 GB; round 6: 400 slow /metrics readers,
// 130 MB to 1.39 GB, while the bound, which counted len(body) after the
// body was built, saw 212 MB).
//
// So every answer built for the clients of a route is counted in
// Server.answerBytes (Options.MaxAnswerBytes) by the capacity of its
// buffers, from before it is built until the last response holding it
// has been written or given up:
//   - answers shared by the requests of a short age (/metrics, the
//     snapshot without points: answerCache) are counted once, however
//     many responses hold them;
//   - answers built per request (a range answer, one series with its
//     history) reserve an estimate before they are built (reserveAnswer),
//     settled to the real capacity once built.
//
// A request whose reservation would take the total past the bound is
// answered 503 with Retry-After: 1 before anything large is allocated for
// it, and counted by route in pulseboard_http_answers_refused_total. One
// reservation alone always passes, so that no route becomes unservable.

// holdAnswerBytes counts n more bytes of answers held, unless the total
// would pass Options.MaxAnswerBytes while other answers are held: then
// nothing is counted and it returns false. Safe from any goroutine.
func (s *Server) holdAnswerBytes(n int64) bool {
	if total := s.answerBytes.Add(n); total > s.opts.MaxAnswerBytes && total != n {
		s.answerBytes.Add(-n)
		return false
	}
	s.metrics.answerBytes.Add(float64(n))
	return true
}

// adjustAnswerBytes changes the bytes counted by d, which may be negative
// (a release, or an estimate settled to the real size), without a check:
// what is built is held whether or not the estimate was right.
func (s *Server) adjustAnswerBytes(d int64) {
	if d == 0 {
		return
	}
	s.answerBytes.Add(d)
	s.metrics.answerBytes.Add(float64(d))
}

// refuseAnswer answers 503 with Retry-After: 1, counted by route.
func (s *Server) refuseAnswer(c *fiber.Ctx) error {
	route, _ := c.Locals(routeLocal).(string)
	s.metrics.answersRefused.WithLabelValues(route).Inc()
	c.Set(fiber.HeaderRetryAfter, "1")
	return fiber.NewError(fiber.StatusServiceUnavailable,
		"too many large answers are being written to clients now; retry in a second")
}

// answerTicket is the bytes reserved for one answer built per request.
type answerTicket struct {
	s    *Server
	held int64
}

// reserveAnswer reserves estimate bytes (at least 1) for an answer about
// to be built for this request alone. Nil when the bound is reached: the
// caller returns refuseAnswer(c) and builds nothing. The caller then
// either sends the answer (send) or gives the reservation back (cancel).
// Called on the request's goroutine.
func (s *Server) reserveAnswer(estimate int64) *answerTicket {
	estimate = max(estimate, 1)
	if !s.holdAnswerBytes(estimate) {
		return nil
	}
	return &answerTicket{s: s, held: estimate}
}

// cancel gives the reservation back: nothing was built, or the answer is
// an error.
func (t *answerTicket) cancel() {
	t.s.adjustAnswerBytes(-t.held)
	t.held = 0
}

// send sends body as a 200, counted by its capacity (the reservation is
// settled to it) until fasthttp has written it or given up. The caller's
// Content-Type stays.
func (t *answerTicket) send(c *fiber.Ctx, body []byte) error {
	n := int64(cap(body))
	t.s.adjustAnswerBytes(n - t.held)
	t.held = 0
	s := t.s
	c.Status(fiber.StatusOK)
	c.Response().SetBodyStream(&heldAnswer{Reader: bytes.NewReader(body), release: func() {
		s.adjustAnswerBytes(-n)
	}}, len(body))
	return nil
}

// heldAnswer is a response body counted while fasthttp holds it: fasthttp
// closes a body stream once it is written, or when the response is reset
// unwritten.
type heldAnswer struct {
	*bytes.Reader
	once    sync.Once
	release func()
}

// Close releases the answer's bytes, once.
func (h *heldAnswer) Close() error {
	h.once.Do(h.release)
	return nil
}
