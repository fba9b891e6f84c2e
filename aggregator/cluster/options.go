package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Options configure a [Node]. Zero values take the defaults documented on
// each field. Exactly one of Embedded and NATS is set.
type Options struct {
	// Cluster names the cluster: subjects live under pulseboard.<Cluster>.
	// Required; a subject token (no '.', '*', '>' or white space).
	Cluster string
	// Node names this node (a subject token). Default: the host name, its
	// dots replaced by '-'.
	Node string
	// Embedded runs a NATS server in this process, with routes to the
	// other nodes' servers, and connects to it.
	Embedded *Embedded
	// NATS joins an existing NATS deployment.
	NATS *NATS

	// Heartbeat is the interval of this node's heartbeats (default 1 s).
	// A peer is Down when silent for two of its own intervals.
	Heartbeat time.Duration
	// ReconnectMin and ReconnectMax bound the reconnect backoff to NATS
	// (defaults 100 ms and 5 s; doubled each attempt, with jitter, forever).
	ReconnectMin, ReconnectMax time.Duration
	// PublishQueue bounds the outbound queue, in calls of PublishSamples
	// and Publish (default 256). A call that finds it full is shed.
	PublishQueue int
	// InboundQueue bounds the queue of decoded remote messages waiting for
	// Handle (default 256). A message that finds it full is shed.
	InboundQueue int
	// MaxMessage bounds one sample message in bytes (default 512 KiB,
	// under NATS's default 1 MiB payload limit); a larger batch is split.
	MaxMessage int
	// MaxResponders bounds the backfill and control requests answered at
	// once (default 4); one more is answered busy.
	MaxResponders int
	// RequestTimeout bounds one request/reply exchange (default 5 s).
	RequestTimeout time.Duration
	// BackfillChunk bounds one backfill reply in bytes (default 256 KiB)
	// and BackfillTotal one whole backfill from one peer (default 64 MiB).
	BackfillChunk int
	BackfillTotal int64

	// Handle receives every message from the other nodes: sample batches
	// and health, tree and event payloads. It is called on the node's one
	// dispatcher goroutine, one message at a time; while it runs, further
	// messages wait in the bounded inbound queue and are shed when it is
	// full. Nil: inbound messages are counted and dropped.
	Handle func(Inbound)
	// PeerChanged is told every change of a peer's state, in order, on the
	// node's liveness goroutine; it must return quickly (it delays the
	// heartbeats). Nil: nobody is told; Peers still answers.
	PeerChanged func(PeerChange)
	// Backfill answers a peer's request for history (see [BackfillRequest]);
	// nil answers "not served". Called on a responder goroutine.
	Backfill func(context.Context, BackfillRequest) (BackfillReply, error)
	// Control answers a peer's control request (crash, reload); nil
	// answers 501. Called on a responder goroutine.
	Control func(context.Context, ControlRequest) ControlReply

	// Logger receives connection and shed reports (default slog.Default).
	// URLs are logged with their user info masked; tokens never.
	Logger *slog.Logger
}

// Embedded runs nats-server in-process.
type Embedded struct {
	// Listen is the client address host:port (default 127.0.0.1:4222;
	// port 0 picks a free port when the server starts).
	Listen string
	// ClusterListen is the route address (default 127.0.0.1:6222; port 0
	// as above).
	ClusterListen string
	// Routes are the other nodes' route URLs, nats://host:port.
	Routes []string
}

// NATS joins an existing NATS deployment.
type NATS struct {
	URLs     []string
	User     string
	Password string
	Token    string
	// TLS, when set, requires TLS of the server (tls.go).
	TLS *TLS
}

// maxPayload is NATS's default limit on one message's payload.
const maxPayload = 1 << 20

// ErrConfig reports invalid Options; the message names the field.
var ErrConfig = errors.New("cluster: invalid options")

func (o *Options) withDefaults() (Options, error) {
	c := *o
	if c.Node == "" {
		h, err := os.Hostname()
		if err != nil {
			return c, fmt.Errorf("%w: node: no host name: %v", ErrConfig, err)
		}
		c.Node = strings.ReplaceAll(h, ".", "-")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Heartbeat, time.Second)
	def(&c.ReconnectMin, 100*time.Millisecond)
	def(&c.ReconnectMax, 5*time.Second)
	def(&c.RequestTimeout, 5*time.Second)
	defInt(&c.PublishQueue, 256)
	defInt(&c.InboundQueue, 256)
	defInt(&c.MaxMessage, 512<<10)
	defInt(&c.MaxResponders, 4)
	defInt(&c.BackfillChunk, 256<<10)
	if c.BackfillTotal <= 0 {
		c.BackfillTotal = 64 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Embedded != nil {
		e := *c.Embedded
		if e.Listen == "" {
			e.Listen = "127.0.0.1:4222"
		}
		if e.ClusterListen == "" {
			e.ClusterListen = "127.0.0.1:6222"
		}
		c.Embedded = &e
	}
	return c, c.validate()
}

func (o *Options) validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrConfig, field, fmt.Sprintf(format, a...)))
	}
	for field, v := range map[string]string{"cluster": o.Cluster, "node": o.Node} {
		if !validToken(v) {
			bad(field, "%q is not a subject token (letters, digits, '-', '_')", v)
		}
	}
	switch {
	case (o.Embedded == nil) == (o.NATS == nil):
		bad("cluster", "set exactly one of embedded and nats")
	case o.Embedded != nil:
		for field, a := range map[string]string{"embedded.listen": o.Embedded.Listen, "embedded.cluster_listen": o.Embedded.ClusterListen} {
			if _, _, err := splitHostPort(a); err != nil {
				bad(field, "%v", err)
			}
		}
		for i, r := range o.Embedded.Routes {
			if _, err := parseNATSURL(r); err != nil {
				bad(fmt.Sprintf("embedded.routes[%d]", i), "%v", err)
			}
		}
	default:
		if len(o.NATS.URLs) == 0 {
			bad("nats.urls", "at least one URL")
		}
		for i, r := range o.NATS.URLs {
			if _, err := parseNATSURL(r); err != nil {
				bad(fmt.Sprintf("nats.urls[%d]", i), "%v", err)
			}
		}
		if msg := o.NATS.TLS.validate(); msg != "" {
			bad("nats.tls", "%s", msg)
		}
	}
	// One NATS message is at most 1 MiB by default: a batch or a backfill
	// reply (with its header and cursor) must fit.
	if o.MaxMessage > maxPayload {
		bad("max_message", "%d bytes: at most %d", o.MaxMessage, maxPayload)
	}
	if o.BackfillChunk > maxPayload-maxCursor-16 {
		bad("backfill_chunk", "%d bytes: at most %d", o.BackfillChunk, maxPayload-maxCursor-16)
	}
	if o.ReconnectMax < o.ReconnectMin {
		bad("reconnect_max", "below reconnect_min")
	}
	return errors.Join(errs...)
}

func validToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		ok := r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok {
			return false
		}
	}
	return true
}

// splitHostPort parses host:port; port 0 becomes nats-server's "any free
// port" (-1), chosen by the kernel when the server binds, so two servers
// never race for a port picked in advance.
func splitHostPort(a string) (string, int, error) {
	h, p, err := net.SplitHostPort(a)
	if err != nil {
		return "", 0, fmt.Errorf("address %q: want host:port", a)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("address %q: bad port", a)
	}
	if port == 0 {
		port = -1
	}
	return h, port, nil
}

// parseNATSURL parses a NATS URL; its error never quotes the URL, which
// may carry a password or a token.
func parseNATSURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("not a URL (nats://host:port): %s", redactURL(s))
	}
	switch u.Scheme {
	case "nats", "tls", "ws", "wss":
	default:
		return nil, fmt.Errorf("scheme %q: want nats, tls, ws or wss", u.Scheme)
	}
	return u, nil
}

// redactURL masks a URL's user info (user, password or token) for errors
// and logs as "***" (written out, not percent-encoded as url.URL would);
// an unparsable URL is masked whole, as it may still hold one.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		if i := strings.LastIndex(s, "@"); i >= 0 {
			return "***@" + s[i+1:]
		}
		if strings.Contains(s, "://") {
			return s
		}
		return "<unparsable URL>"
	}
	masked := u.User != nil
	u.User = nil
	u.RawQuery = ""
	out := u.String()
	if masked {
		out = strings.Replace(out, "://", "://***@", 1)
	}
	return out
}
