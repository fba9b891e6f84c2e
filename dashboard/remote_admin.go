package dashboard

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
)

// StatusError is an error a SourceControl returns to have the crash route
// answer Code with Message (as {"error": Message}), when the answer was
// decided elsewhere: another node of the cluster answered a forwarded
// request with that code. Message is sent as it is: it must hold no secret.
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Message) }

// relayedError is the answer a route gives for err when err carries a
// code decided elsewhere (a *StatusError): that code and message, a 401
// with the challenge a local one carries; nil when it carries none.
func relayedError(c *fiber.Ctx, err error) error {
	var relayed *StatusError
	if errors.As(err, &relayed) {
		if relayed.Code == fiber.StatusUnauthorized {
			challenge(c, true) // as the node's own 401 says it: a token was presented here
		}
		return fiber.NewError(relayed.Code, relayed.Message)
	}
	return nil
}

// AdminStatus is what an admin route of this server answers a request
// that presents token as its bearer token, before the route's own work:
// 0 when the token grants admin, 403 for the viewer token, 401 for
// anything else (none included). Another node calls it through the
// cluster, to check a forwarded request's token as a local request's
// would be. Safe from any goroutine.
func (s *Server) AdminStatus(token string) int {
	switch s.tokens.grant(token) {
	case accessAdmin:
		return 0
	case accessViewer:
		return fiber.StatusForbidden
	}
	return fiber.StatusUnauthorized
}

// AuthMessage is the text this server's routes answer a refused request
// with, for AdminStatus's codes (401, 403); "" for any other. A node
// answering a forwarded request words its refusal with it, so that the
// body is the same whether the source is local or remote.
func AuthMessage(code int) string {
	switch code {
	case fiber.StatusUnauthorized:
		return errUnauthorized.Message
	case fiber.StatusForbidden:
		return errForbidden.Message
	}
	return ""
}
