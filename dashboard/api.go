package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
)

// The REST API returns the shapes the WebSocket carries (docs/protocol.md); the
// Feed encodes them, the handlers only pick status codes.

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz answers 200 while Options.Ready says so (or when it is nil), else 503.
func (s *Server) readyz(c *fiber.Ctx) error {
	body := fiber.Map{"status": "ready"}
	if s.opts.Warnings != nil {
		if w := s.opts.Warnings(); len(w) > 0 {
			body["warnings"] = w
		}
	}
	if s.opts.Ready != nil && !s.opts.Ready() {
		body["status"], body["error"] = "not ready", "not ready"
		return c.Status(fiber.StatusServiceUnavailable).JSON(body)
	}
	return c.JSON(body)
}

func sendJSON(c *fiber.Ctx, status int, body []byte) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(body)
}

func (s *Server) sources(c *fiber.Ctx) error {
	return sendJSON(c, fiber.StatusOK, s.opts.Feed.SourcesJSON())
}

// alerts serves the active alerts in Prometheus' /api/v1/alerts shape.
func (s *Server) alerts(c *fiber.Ctx) error {
	return sendJSON(c, fiber.StatusOK, s.opts.Feed.AlertsJSON())
}

// snapshot serves the full state; ?points=0 (or false) leaves history out
// (shared for snapshotMaxAge among requests, see answerCache).
//
// With points, it serves the snapshot the WebSocket clients are sent
// (h.snap, at most snapshotMaxAge old): the response holds that shared,
// immutable buffer while it is written, not a copy, and a loop of requests
// costs one build a second. Why: a snapshot is megabytes with its history;
// built per request, 400 slow readers held 1.3 GB and one keep-alive loop
// took most of a core. The answer carries its seq and ts, so a client
// sees how old it is.
func (s *Server) snapshot(h *hub) fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Query("points") {
		case "", "1", "true":
		case "0", "false":
			// Shared as /metrics is (answerCache): built per request, a
			// keep-alive loop of these took a fifth of a core with 800
			// series (trial 14, round 6, F4).
			a, err := s.liteSnapshot.get(s, time.Now(), func([]byte) ([]byte, error) {
				return s.opts.Feed.SnapshotJSON(false), nil
			})
			if err != nil {
				return s.refuseAnswer(c)
			}
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
			c.Set(fiber.HeaderCacheControl, "no-store")
			return a.send(c, false)
		default:
			return fiber.NewError(fiber.StatusBadRequest, "points must be 1, true, 0 or false")
		}
		feed := s.opts.Feed
		data, _, ok := h.snap.get(func() []byte { return feed.SnapshotJSON(true) }, time.Now())
		if !ok { // nothing published yet: the feed's own, built for this request
			data = feed.SnapshotJSON(true)
		}
		return sendJSON(c, fiber.StatusOK, data)
	}
}

// series serves one series with its history.
func (s *Server) series(c *fiber.Ctx) error {
	// Any range parameter, even empty, asks for a range: a typo in one
	// must be a 400, not the plain series.
	args := c.Context().QueryArgs()
	for _, k := range []string{"from", "to", "step", "points"} {
		if args.Has(k) {
			return s.seriesRange(c)
		}
	}
	// One series with its history, built per request: reserved against
	// the bound before it is built, at the size of the last one.
	t := s.reserveAnswer(s.seriesSize.Load() + 512)
	if t == nil {
		return s.refuseAnswer(c)
	}
	body, ok := s.opts.Feed.SeriesJSON(c.Params("id"))
	if !ok {
		t.cancel()
		return fiber.NewError(fiber.StatusNotFound, "unknown series")
	}
	s.seriesSize.Store(int64(len(body)))
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return t.send(c, body)
}

// emptyOrJSONBody guards the POST routes, which take no parameters: the
// body must be empty or a JSON object (its fields are ignored). Anything
// else is a client error, not something to guess about.
func emptyOrJSONBody(c *fiber.Ctx) error {
	body := c.Body()
	if len(body) == 0 {
		return c.Next()
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return fiber.NewError(fiber.StatusBadRequest, "body must be empty or a JSON object")
	}
	return c.Next()
}

// crash makes a source's collector panic now (failure injection): 202
// because the crash and the restart happen after the answer.
// CrashStatus is the code and message the crash route answers a failed
// SourceControl.Crash with: 404 for ErrUnknownSource, 409 for
// ErrNotRunning, 500 for anything else (its text is not shown). A cluster
// node answering a peer's forwarded crash gives the same. Safe from any
// goroutine.
func CrashStatus(err error) (int, string) {
	switch {
	case errors.Is(err, ErrUnknownSource):
		return fiber.StatusNotFound, "unknown source"
	case errors.Is(err, ErrNotRunning):
		return fiber.StatusConflict, "source is not running (backing off, failed or stopped); try again when it runs"
	}
	return fiber.StatusInternalServerError, "crash injection failed"
}

func (s *Server) crash(c *fiber.Ctx) error {
	if s.opts.Sources == nil {
		return fiber.NewError(fiber.StatusNotImplemented, "failure injection is not available")
	}
	name := c.Params("name")
	if node := c.Params("node"); node != "" {
		name = node + "/" + name // a source of another node of the cluster
	}
	if err := s.opts.Sources.Crash(name); err != nil {
		if relayed := relayedError(c, err); relayed != nil {
			return relayed
		}
		code, msg := CrashStatus(err)
		if code == fiber.StatusInternalServerError {
			s.opts.Logger.Error("crash injection failed", "source", name, "err", err)
		}
		return fiber.NewError(code, msg)
	}
	s.opts.Logger.Info("crash injected", "source", name)
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "accepted", "source": name})
}

// nodeReload re-reads the configuration of one node of the cluster: this
// one's, or a peer's on that peer (its answer relayed).
func (s *Server) nodeReload(serveCtx context.Context) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.opts.NodeReload == nil {
			return fiber.NewError(fiber.StatusNotImplemented, "reload is not available")
		}
		node := c.Params("node")
		ctx, cancel := context.WithTimeout(serveCtx, reloadTimeout)
		defer cancel()
		if err := s.opts.NodeReload(ctx, node); err != nil {
			if relayed := relayedError(c, err); relayed != nil {
				return relayed
			}
			if errors.Is(err, ErrUnknownSource) {
				return fiber.NewError(fiber.StatusNotFound, "unknown node")
			}
			s.opts.Logger.Warn("reload rejected", "node", node, "err", err)
			return fiber.NewError(fiber.StatusUnprocessableEntity, err.Error())
		}
		s.opts.Logger.Info("reloaded", "node", node)
		return c.JSON(fiber.Map{"status": "reloaded", "node": node})
	}
}

// reload re-reads the configuration. A rejected configuration answers 422
// with the reason, which is the operator's own file and safe to show.
func (s *Server) reload(serveCtx context.Context) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.opts.Reload == nil {
			return fiber.NewError(fiber.StatusNotImplemented, "reload is not available")
		}
		ctx, cancel := context.WithTimeout(serveCtx, reloadTimeout)
		defer cancel()
		if err := s.opts.Reload(ctx); err != nil {
			s.opts.Logger.Warn("reload rejected", "err", err)
			return fiber.NewError(fiber.StatusUnprocessableEntity, err.Error())
		}
		s.opts.Logger.Info("reloaded")
		return c.JSON(fiber.Map{"status": "reloaded"})
	}
}
