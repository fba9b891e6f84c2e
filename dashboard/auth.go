package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// How credentials travel.
//
//   - Authorization: Bearer <token> on any route. Admin routes accept only
//     this form: a browser never adds it on its own, so a cross-site page
//     cannot forge an admin request (no CSRF).
//   - ?token=<viewer> (or ?admin=<admin>) on the page (GET /, not its other
//     files) and on the WebSocket handshake, because a browser can set no
//     header on either.
//     A page request authorised that way also gets an HttpOnly, SameSite=Strict
//     cookie holding the viewer token, so that the page's own scripts,
//     fetches and WebSocket are authorised without the token in their URLs.
//   - that cookie, for viewer access only.
//
// The admin token also grants viewer access. Tokens are compared in
// constant time (on their SHA-256, so the length does not leak either) and
// never logged.
const (
	viewerCookie = "pulseboard_viewer"
	queryToken   = "token"
	queryAdmin   = "admin"
)

// access is what a request's credentials grant.
type access int

const (
	accessNone access = iota
	accessViewer
	accessAdmin
)

// tokens checks credentials. A zero digest means "no token configured".
type tokens struct {
	viewer, admin       [sha256.Size]byte
	hasViewer           bool
	viewerPlain, adminP string // kept only to hand out (cookie, AdminToken); never logged
}

func newTokens(viewer, admin string) tokens {
	t := tokens{viewerPlain: viewer, adminP: admin, hasViewer: viewer != ""}
	t.viewer = sha256.Sum256([]byte(viewer))
	t.admin = sha256.Sum256([]byte(admin))
	return t
}

// generateToken makes a random admin token: 32 bytes from crypto/rand, hex.
func generateToken() (string, error) {
	t, err := randomHex(tokenBytes)
	if err != nil {
		return "", fmt.Errorf("generate admin token: %w", err)
	}
	return t, nil
}

// randomHex returns n bytes from crypto/rand, hex-encoded.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// grant says what one presented token is worth.
func (t *tokens) grant(token string) access {
	if token == "" {
		return accessNone
	}
	sum := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(sum[:], t.admin[:]) == 1 {
		return accessAdmin
	}
	if t.hasViewer && subtle.ConstantTimeCompare(sum[:], t.viewer[:]) == 1 {
		return accessViewer
	}
	return accessNone
}

// bearer returns the token of an "Authorization: Bearer" header, or "".
func bearer(c *fiber.Ctx) string {
	h := c.Get(fiber.HeaderAuthorization)
	const prefix = "bearer "
	if len(h) > len(prefix) && strings.EqualFold(h[:len(prefix)], prefix) {
		return strings.TrimSpace(h[len(prefix):])
	}
	return ""
}

// viewerAccess reports whether the request may read. queryAllowed is true
// for the page and the WebSocket handshake only.
func (t *tokens) viewerAccess(c *fiber.Ctx, queryAllowed bool) (ok, fromQuery bool, presented bool) {
	if b := bearer(c); b != "" {
		return t.grant(b) >= accessViewer, false, true
	}
	if queryAllowed {
		for _, key := range []string{queryToken, queryAdmin} {
			if q := c.Query(key); q != "" {
				return t.grant(q) >= accessViewer, true, true
			}
		}
	}
	if ck := c.Cookies(viewerCookie); ck != "" {
		return t.grant(ck) >= accessViewer, false, true
	}
	return false, false, false
}

// errUnauthorized and errForbidden are answered as 401 and 403.
var (
	errUnauthorized = fiber.NewError(fiber.StatusUnauthorized, "missing or invalid token")
	errForbidden    = fiber.NewError(fiber.StatusForbidden, "admin token required")
)

// requireViewer guards a read-only route. With no viewer token configured
// everyone may read.
func (s *Server) requireViewer(queryAllowed bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !s.tokens.hasViewer {
			return c.Next()
		}
		ok, fromQuery, presented := s.tokens.viewerAccess(c, queryAllowed)
		if !ok {
			challenge(c, presented)
			return errUnauthorized
		}
		if fromQuery && !isWebSocketPath(c) {
			c.Cookie(&fiber.Cookie{
				Name:     viewerCookie,
				Value:    s.tokens.viewerPlain,
				Path:     "/",
				HTTPOnly: true,
				SameSite: fiber.CookieSameSiteStrictMode,
			})
		}
		return c.Next()
	}
}

// requireViewerQueryOn is requireViewer for a group of routes of which
// only the request path pagePath may carry the token in its query.
func (s *Server) requireViewerQueryOn(pagePath string) fiber.Handler {
	withQuery, without := s.requireViewer(true), s.requireViewer(false)
	return func(c *fiber.Ctx) error {
		if c.Path() == pagePath {
			return withQuery(c)
		}
		return without(c)
	}
}

// requireAdmin guards a state-changing route: only the bearer header counts.
func (s *Server) requireAdmin(c *fiber.Ctx) error {
	b := bearer(c)
	switch s.tokens.grant(b) {
	case accessAdmin:
		return c.Next()
	case accessViewer:
		return errForbidden
	}
	if b == "" && s.tokens.hasViewer {
		// A viewer cookie is not enough for an admin route, but it tells
		// a logged-in viewer from a stranger.
		if ok, _, _ := s.tokens.viewerAccess(c, false); ok {
			return errForbidden
		}
	}
	challenge(c, b != "")
	return errUnauthorized
}

// adminAccepted answers GET /api/v1/auth/admin once requireAdmin has let
// the request through: 204, no body. The page asks it when it is given a
// token, so that a token the server refuses is found before any button
// shows; a refusal is requireAdmin's 401 or 403, counted as any other.
func adminAccepted(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendStatus(fiber.StatusNoContent)
}

func challenge(c *fiber.Ctx, presented bool) {
	v := `Bearer realm="pulseboard"`
	if presented {
		v += `, error="invalid_token"`
	}
	c.Set(fiber.HeaderWWWAuthenticate, v)
}

func isWebSocketPath(c *fiber.Ctx) bool { return c.Path() == wsPath }

// origins decides which pages may open the WebSocket.
//
// A browser always sends Origin on a WebSocket handshake, so the check stops
// other sites' pages from riding on a user's access (cross-site WebSocket
// hijacking): the Origin must be the page's own (its host equals the
// request's Host) or one of server.allowed_origins. A handshake without
// Origin comes from a non-browser client (pulseload, curl, a script); such a
// client could forge any Origin anyway, so refusing it would protect nothing:
// it is allowed, and the viewer token, when set, still applies. Origin
// "null" (sandboxed frames, file: pages) is refused.
type origins struct {
	allowed map[string]bool
}

func newOrigins(allowed []string) origins {
	o := origins{allowed: make(map[string]bool, len(allowed))}
	for _, a := range allowed {
		if u, err := parseOrigin(a); err == nil {
			o.allowed[u.Scheme+"://"+strings.ToLower(u.Host)] = true
		}
	}
	return o
}

var errBadOrigin = errors.New("not a scheme://host[:port] origin")

func parseOrigin(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return nil, errBadOrigin
	}
	return u, nil
}

// allow reports whether a handshake with this Origin header (may be "") to
// this Host header is allowed.
func (o origins) allow(origin, host string) bool {
	if origin == "" {
		return true
	}
	u, err := parseOrigin(origin)
	if err != nil {
		return false
	}
	if o.allowed[u.Scheme+"://"+strings.ToLower(u.Host)] {
		return true
	}
	return host != "" && strings.EqualFold(withoutDefaultPort(u.Host, u.Scheme), withoutDefaultPort(host, u.Scheme))
}

// withoutDefaultPort drops :80 for http and :443 for https, as browsers do
// in Origin but clients may not in Host.
func withoutDefaultPort(hostport, scheme string) string {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	if (scheme == "http" && p == "80") || (scheme == "https" && p == "443") {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return hostport
}
