package dashboard

import (
	"net/http"
	"net/http/pprof"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
)

// pprofPath is the prefix of the runtime's profiles (net/http/pprof), as
// Prometheus and Netdata serve them.
const pprofPath = "/debug/pprof/"

// pprofRoutes registers /debug/pprof/ behind the admin token, and only when
// that token was configured (Options.AdminToken): a server that made its own
// token has no profiles to serve, so the routes are a plain 404 there. A
// profile tells a reader the program's inner workings (stacks, sizes,
// command line), which is an operator's business, not a viewer's.
//
// The index, cmdline, profile, symbol and trace are net/http/pprof's own
// handlers; every other name (heap, allocs, goroutine, block, mutex,
// threadcreate) is answered by the index handler, which looks the profile
// up by its path. A CPU profile or trace longer than the server's write
// timeout (10 s) is cut by it: ask for ?seconds= under that.
func (s *Server) pprofRoutes(app *fiber.App) {
	if !s.pprofOn {
		return
	}
	named := map[string]http.HandlerFunc{
		"cmdline": pprof.Cmdline,
		"profile": pprof.Profile,
		"symbol":  pprof.Symbol,
		"trace":   pprof.Trace,
	}
	index := adaptor.HTTPHandlerFunc(pprof.Index)
	s.get(app, pprofPath, s.requireAdmin, index)
	for name, h := range named {
		s.get(app, pprofPath+name, s.requireAdmin, adaptor.HTTPHandlerFunc(h))
	}
	s.get(app, pprofPath+":name", s.requireAdmin, index)
}
