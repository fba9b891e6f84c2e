package dashboard

import (
	"bytes"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// sendAnswer sends body, built for this request alone (a range answer,
// a /metrics exposition), as a 200 whose bytes are counted against
// Options.MaxAnswerBytes from now until fasthttp has written them or
// given up (a write timeout, a closed connection). An answer that would
// take the total past the bound is not sent: 503 with Retry-After: 1,
// counted by route in pulseboard_http_answers_refused_total. One answer
// alone is always sent, whatever its size, so that no route becomes
// unservable. Called on the request's goroutine; contentType set by the
// caller stays.
//
// Why: fasthttp writes a response after its handler returned, and holds
// the body until the client has taken it; a client that reads slowly
// holds it up to the write timeout, and reconnects. Unbounded, a few
// hundred slow readers of large answers held gigabytes (trial 14, round 5:
// 400 slow snapshot readers, 89 MB to 1.34 GB of heap). Snapshots need no
// such bound: every reader shares the one cached buffer (snapshotCache).
func (s *Server) sendAnswer(c *fiber.Ctx, body []byte) error {
	n := int64(len(body))
	if total := s.answerBytes.Add(n); total > s.opts.MaxAnswerBytes && total != n {
		s.answerBytes.Add(-n)
		route, _ := c.Locals(routeLocal).(string)
		s.metrics.answersRefused.WithLabelValues(route).Inc()
		c.Set(fiber.HeaderRetryAfter, "1")
		return fiber.NewError(fiber.StatusServiceUnavailable,
			"too many large answers are being written to clients now; retry in a second")
	}
	s.metrics.answerBytes.Add(float64(n))
	c.Status(fiber.StatusOK)
	c.Response().SetBodyStream(&heldAnswer{Reader: bytes.NewReader(body), release: func() {
		s.answerBytes.Add(-n)
		s.metrics.answerBytes.Sub(float64(n))
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
