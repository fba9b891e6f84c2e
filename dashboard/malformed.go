package dashboard

import (
	"errors"
	"net"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Reasons fasthttp refuses a request before any route sees it
// (pulseboard_http_requests_malformed_total).
const (
	malformedRequest    = "malformed"        // a request line or header fasthttp cannot read: 400
	malformedHeaderSize = "header_too_large" // headers beyond the read buffer: 431
	malformedBodySize   = "body_too_large"   // a body beyond BodyLimit: 413
	malformedTimeout    = "timeout"          // the request was not read within ReadTimeout: 408
	malformedReadError  = "read_error"       // the connection failed mid-request
)

// countMalformed counts the requests fasthttp refuses itself: an empty
// Host, two Host headers, "Host: localhost:other", a garbled request line,
// oversized headers. Those never reach the middleware (countRequests,
// checkHost), so without this an attacker's probing would leave no trace.
// It wraps the fasthttp server's ErrorHandler, which Fiber sets to answer
// them through the app's ErrorHandler; the answer is unchanged. Called
// once per app, before it serves.
func (s *Server) countMalformed(app *fiber.App) {
	srv := app.Server()
	answer := srv.ErrorHandler
	srv.ErrorHandler = func(ctx *fasthttp.RequestCtx, err error) {
		s.metrics.malformed.WithLabelValues(malformedReason(err)).Inc()
		answer(ctx, err)
	}
}

// malformedReason classifies a fasthttp request error as Fiber's
// serverErrorHandler does for its status code.
func malformedReason(err error) string {
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.As(err, &small):
		return malformedHeaderSize
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return malformedBodySize
	case errors.As(err, &ne) && ne.Timeout():
		return malformedTimeout
	case errors.As(err, &ne):
		return malformedReadError
	}
	return malformedRequest
}
