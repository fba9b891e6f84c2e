package dashboard

import (
	"errors"
	"net/netip"
	"os"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// hostPolicy decides which Host headers the server answers: the defence
// against DNS rebinding. A page on evil.example whose name an attacker
// re-points at 127.0.0.1 is same-origin with the dashboard as far as the
// browser can tell, so its scripts could read every route (and its
// WebSocket's Origin is "its own"). The browser still sends Host:
// evil.example, and that is what is checked, on every route, as Jupyter,
// Vite and webpack-dev-server do.
//
// Always allowed: IP literals (a rebinding needs a name the attacker owns;
// a page reached by address has that address as its origin), "localhost"
// and names under ".localhost" (RFC 6761: they never leave the machine),
// and the listen address's host when it is a name. When listening on every
// interface (0.0.0.0, ::, or no host) the machine's own host name is
// allowed too: an attacker cannot make a victim's browser send it for a
// page of theirs. Any other name must be listed in server.allowed_hosts:
// "name" exactly, "*.domain" for the names under domain, or "*" for any
// (only behind a proxy that checks Host itself).
type hostPolicy struct {
	any      bool
	exact    map[string]bool
	suffixes []string // ".domain"
}

var errBadHost = errors.New(`not a host name, "*.domain" or "*"`)

// newHostPolicy builds the policy for a server listening on listenHost
// with the operator's extra entries. hostname gives the machine's name
// (os.Hostname; a test fake); its error only leaves the name out.
func newHostPolicy(listenHost string, extra []string, hostname func() (string, error)) (hostPolicy, error) {
	p := hostPolicy{exact: map[string]bool{"localhost": true}, suffixes: []string{".localhost"}}
	if _, err := netip.ParseAddr(listenHost); err != nil && listenHost != "" {
		p.exact[normalHost(listenHost)] = true
	}
	if ip, err := netip.ParseAddr(listenHost); listenHost == "" || err == nil && ip.IsUnspecified() {
		if name, err := hostname(); err == nil && name != "" {
			p.exact[normalHost(name)] = true
		}
	}
	var errs []error
	for _, h := range extra {
		if err := p.add(h); err != nil {
			errs = append(errs, err)
		}
	}
	return p, errors.Join(errs...)
}

func (p *hostPolicy) add(entry string) error {
	e := normalHost(entry)
	switch {
	case strings.TrimSpace(entry) == "*":
		p.any = true
		return nil
	case strings.HasPrefix(e, "*.") && validName(e[2:]):
		p.suffixes = append(p.suffixes, e[1:])
		return nil
	case validName(e):
		p.exact[e] = true
		return nil
	}
	return errBadHost
}

// validName accepts letters, digits, '-', '_' and dots between labels: no
// port, no scheme, no path, no wildcard in the middle.
func validName(s string) bool {
	if s == "" || len(s) > 253 || strings.HasPrefix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// normalHost lowercases a name and drops a final dot ("localhost." is
// "localhost" to a resolver, and must be to the check too).
func normalHost(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

// allow reports whether a request's Host header (host[:port], may be an
// [IPv6]:port) is one this server answers.
func (p *hostPolicy) allow(hostHeader string) bool {
	if p.any {
		return true
	}
	host, ok := splitHostHeader(hostHeader)
	if !ok {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	host = normalHost(host)
	if p.exact[host] {
		return true
	}
	for _, suf := range p.suffixes {
		if strings.HasSuffix(host, suf) && validName(host) {
			return true
		}
	}
	return false
}

// splitHostHeader drops the port of a Host header; false when the header is
// empty or malformed (a bracket without its match, a port that is not a
// number, an IPv6 address without brackets, or a host holding a character
// no host name has: "evil.example@127.0.0.1" is user info before a host to
// some parsers and a host to others, so it is refused rather than guessed).
func splitHostHeader(h string) (string, bool) {
	if h == "" {
		return "", false
	}
	if h[0] == '[' {
		end := strings.IndexByte(h, ']')
		if end < 0 || !validPort(h[end+1:], true) {
			return "", false
		}
		host := h[1:end]
		ip, err := netip.ParseAddr(host)
		return host, err == nil && ip.Is6()
	}
	host, port, found := strings.Cut(h, ":")
	if found && !validPort(":"+port, false) {
		return "", false // also a bare IPv6 address: its colons
	}
	return host, validName(normalHost(host))
}

// validPort accepts "" (when optional) or ":digits" naming a TCP port
// (at most 65535: "127.0.0.1:99999" is no address this server listens on).
func validPort(s string, optional bool) bool {
	if s == "" {
		return optional
	}
	if s[0] != ':' || len(s) == 1 || len(s) > 6 {
		return false
	}
	n := 0
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
		n = n*10 + int(r-'0')
	}
	return n <= 65535
}

// checkHost refuses, with 421 Misdirected Request and a count, a request
// whose Host this server does not answer. It runs before every route. It
// reads the header as sent: Request().Host() goes through fasthttp's URI
// parser, which drops "evil.example@" as user info. A request line in
// absolute form ("GET http://evil.example/ HTTP/1.1") names its host
// itself, and RFC 9112 3.2.2 says that authority, not the Host header, is
// the one the request is for: it must be allowed too.
func (s *Server) checkHost(c *fiber.Ctx) error {
	h := &c.Request().Header
	authority, absolute := requestAuthority(string(h.RequestURI()))
	if s.hosts.allow(string(h.Host())) && (!absolute || s.hosts.allow(authority)) {
		return c.Next()
	}
	s.metrics.hostRefused.Inc()
	return fiber.NewError(fiber.StatusMisdirectedRequest, "host not allowed: add it to server.allowed_hosts")
}

// requestAuthority returns the authority (host[:port], user info
// included: allow refuses it) of a request target in absolute form,
// "scheme://authority/path?query"; absolute is false for the origin form
// ("/path") and the asterisk form ("*"). A target in neither form with no
// "//" after its scheme has an empty authority, which allow refuses.
func requestAuthority(target string) (authority string, absolute bool) {
	if target == "" || target[0] == '/' || target == "*" {
		return "", false
	}
	scheme, rest, ok := strings.Cut(target, "://")
	if !ok || !validScheme(scheme) {
		return "", true
	}
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		rest = rest[:end]
	}
	return rest, true
}

// validScheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 3.1),
// so that a "://" in a query is not taken for the end of a scheme.
func validScheme(s string) bool {
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return s != ""
}

// osHostname is the machine's name for the default policy.
var osHostname = os.Hostname
