package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Reasons the node is not connected to NATS: the reason label of
// pulseboard_cluster_connect_failures_total and Status.Reason.
const (
	ReasonAuth        = "auth"           // the server refused the credentials
	ReasonTLS         = "tls"            // TLS failed (an untrusted certificate, …)
	ReasonUnreachable = "unreachable"    // no server answered
	ReasonClosed      = "closed"         // the client gave the connection up; dialled again
	ReasonEmbedded    = "embedded"       // the embedded server did not start; started again
	ReasonDuplicate   = "duplicate_name" // another node of the cluster has this node's name
	ReasonOther       = "other"
)

var reasons = [...]string{ReasonAuth, ReasonTLS, ReasonUnreachable, ReasonClosed, ReasonEmbedded, ReasonDuplicate, ReasonOther}

// Status is the node's standing with NATS, for /readyz and the nodes API.
type Status struct {
	Connected bool
	// Reason says why the node is not connected or, with Connected, what
	// is wrong all the same (ReasonDuplicate); "" when all is well or the
	// node has not tried yet.
	Reason string
	// Err is the last failure's text, secrets masked.
	Err string
	// Since is when the node entered this state.
	Since time.Time
}

// connState tracks the node's Status and counts failures by reason. A
// failure is logged once per reason between two connections, not per
// attempt, so a NATS that refuses a node for an hour is one line, and two
// URLs failing in turn for different reasons are two. Written
// by Serve's goroutine and the NATS client's callback goroutine; read by
// any.
type connState struct {
	log    *slog.Logger
	redact func(error) error

	failures [len(reasons)]atomic.Uint64

	mu     sync.Mutex
	st     Status
	logged [len(reasons)]bool // reasons logged since the last connection
}

// failed records one failed attempt (or a connection given up) for
// reason, err; it logs when the state changed.
func (c *connState) failed(reason string, err error) {
	msg := ""
	if err != nil {
		msg = c.redact(err).Error()
	}
	i := reasonIndex(reason)
	c.failures[i].Add(1)
	c.mu.Lock()
	if c.st.Connected || c.st.Reason != reason {
		c.st = Status{Reason: reason, Since: time.Now()}
	}
	c.st.Err = msg
	news := !c.logged[i]
	c.logged[i] = true
	c.mu.Unlock()
	if news {
		c.log.Warn("cluster: cannot connect to NATS, retrying with backoff", "reason", reason, "err", msg)
	}
}

// connected records a connection made: the next failure is news again.
// It keeps a ReasonDuplicate, which a connection does not cure.
func (c *connState) connected() {
	c.mu.Lock()
	defer c.mu.Unlock()
	reason, msg := "", ""
	if c.st.Reason == ReasonDuplicate {
		reason, msg = c.st.Reason, c.st.Err
	}
	c.st = Status{Connected: true, Reason: reason, Err: msg, Since: time.Now()}
	c.logged = [len(reasons)]bool{}
}

// disconnected records a connection lost; the client retries by itself.
func (c *connState) disconnected(err error) {
	msg := ""
	if err != nil {
		msg = c.redact(err).Error()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st = Status{Reason: ReasonUnreachable, Err: msg, Since: time.Now()}
}

func (c *connState) status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

// reasonOf classifies a connection failure.
func reasonOf(err error) string {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		record           tls.RecordHeaderError
		opErr            *net.OpError
	)
	switch {
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired),
		errors.Is(err, nats.ErrAuthRevoked), errors.Is(err, nats.ErrAccountAuthExpired):
		return ReasonAuth
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &record), errors.Is(err, nats.ErrSecureConnRequired), errors.Is(err, nats.ErrSecureConnWanted),
		strings.Contains(err.Error(), "tls:"), strings.Contains(err.Error(), "x509:"):
		return ReasonTLS
	case errors.Is(err, nats.ErrNoServers), errors.As(err, &opErr), errors.Is(err, nats.ErrTimeout):
		return ReasonUnreachable
	}
	return ReasonOther
}
