package dashboard

import (
	"io/fs"
	"mime"
	"path"

	"github.com/gofiber/fiber/v2"

	"github.com/pulseboard/pulseboard/static"
)

// staticRoutes registers one GET route per embedded file, and "/" for
// index.html. Registering files one by one (rather than a catch-all) keeps
// unknown paths a plain 404 and the route label bounded.
func (s *Server) staticRoutes(app *fiber.App, guard fiber.Handler) {
	_ = fs.WalkDir(static.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) == ".go" {
			return err
		}
		body, err := fs.ReadFile(static.Files, p)
		if err != nil {
			return err
		}
		handler := serveFile(p, body)
		s.get(app, "/"+p, guard, handler)
		if p == "index.html" {
			s.get(app, "/", guard, handler)
		}
		return nil
	})
}

func serveFile(name string, body []byte) fiber.Handler {
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = fiber.MIMEOctetStream
	}
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, ctype)
		// Revalidate every time: the files change with the binary, and a
		// stale script against a new protocol is worse than a request.
		c.Set(fiber.HeaderCacheControl, "no-cache")
		return c.Send(body)
	}
}
