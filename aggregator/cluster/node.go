package cluster

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Node is this pulseboard's member of the cluster. New builds it, Serve
// runs it (again after it returned, as a supervised child); the publish
// methods, Peers, Backfill and Control may be called from any goroutine at
// any time — without Serve running they shed or fail at once.
type Node struct {
	opts    Options
	secrets []string // masked in every error and log line
	peers   *peerTable
	stats   stats

	out    chan outItem  // PublishSamples and Publish → publisher goroutine
	in     chan Inbound  // NATS callbacks → dispatcher goroutine
	resync chan struct{} // a key frame is wanted (cap 1: requests coalesce)
	wake   chan struct{} // a peer changed (cap 1) → liveness goroutine
	sem    chan struct{} // responder slots

	serving atomic.Bool
	link    *connState // the node's standing with NATS
	// started tells this instance from another of the same name
	// (heartbeat.Started); aside is set when one that came first was
	// heard: this one then publishes and answers nothing (duplicate.go).
	started  time.Time
	aside    atomic.Bool
	clash    atomic.Pointer[string] // what Status says of it
	clashLog atomic.Bool            // the clash was logged

	mu        sync.Mutex
	conn      *nats.Conn // nil while not serving
	clientURL string     // the embedded server's, while serving
	routeURL  string
	state     chan struct{} // closed and replaced at every connection change
}

// outItem is one queued publication: samples, or an opaque payload.
type outItem struct {
	kind    Kind
	samples []Sample
	data    []byte
}

// Inbound is a message from another node, given to Options.Handle.
type Inbound struct {
	Node string
	Kind Kind // KindSamples, KindHealth, KindTree or KindEvents
	// Samples of a KindSamples message, decoded; the slice is the
	// handler's to keep.
	Samples []Sample
	// Data of the other kinds, as the peer published it; the handler's
	// to keep.
	Data []byte
	// Undecodable counts the samples of a KindSamples message that could
	// not be read (delta-coded against a key frame this node never saw,
	// after a join or a lost message, or the message corrupt): they are
	// lost to the live stream, and only a backfill can bring them back.
	// Samples may be empty then.
	Undecodable int
}

// Errors of a Node, checked with errors.Is.
var (
	ErrServing      = errors.New("cluster: node already serving")
	ErrNotConnected = errors.New("cluster: not connected to NATS")
	ErrNoResponder  = errors.New("cluster: no such node answering")
	ErrBusy         = errors.New("cluster: peer busy")
)

// New checks opts, fills their defaults and returns a Node that does
// nothing until Serve. Errors wrap ErrConfig and never quote a secret.
func New(opts Options) (*Node, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	n := &Node{
		opts:    o,
		secrets: secretsOf(o),
		peers:   newPeerTable(),
		out:     make(chan outItem, o.PublishQueue),
		in:      make(chan Inbound, o.InboundQueue),
		resync:  make(chan struct{}, 1),
		wake:    make(chan struct{}, 1),
		sem:     make(chan struct{}, o.MaxResponders),
		state:   make(chan struct{}),
	}
	n.started = time.Now()
	n.link = &connState{log: o.Logger.With("node", o.Node), redact: n.redactErr}
	return n, nil
}

// Name is the node's name in subjects and in its peers' eyes.
func (n *Node) Name() string { return n.opts.Node }

// Peers returns every node heard of since New, sorted by name.
func (n *Node) Peers() []Peer { return n.peers.list() }

// EmbeddedURLs returns the client and route URLs of the embedded server
// while Serve runs it (the real ports when 0 was asked), else empty.
func (n *Node) EmbeddedURLs() (client, route string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.clientURL, n.routeURL
}

// Connected reports whether the node's NATS connection is up now.
func (n *Node) Connected() bool {
	c := n.connection()
	return c != nil && c.IsConnected()
}

// Status is the node's standing with NATS now: connected or why not.
func (n *Node) Status() Status {
	s := n.link.status()
	s.Connected = s.Connected && n.Connected()
	if msg := n.clash.Load(); msg != nil && (s.Connected || s.Reason == "") {
		s.Reason, s.Err = ReasonDuplicate, *msg
	}
	return s
}

// WaitConnected blocks until the node is connected to NATS or ctx ends.
func (n *Node) WaitConnected(ctx context.Context) error {
	for {
		n.mu.Lock()
		ch, c := n.state, n.conn
		n.mu.Unlock()
		if c != nil && c.IsConnected() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (n *Node) connection() *nats.Conn {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.conn
}

// changed wakes WaitConnected callers.
func (n *Node) changed() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.state)
	n.state = make(chan struct{})
}

// Serve runs the node until ctx ends: the embedded server if configured,
// the connection to NATS, the subscriptions and the node's goroutines
// (see the package doc). Whatever NATS does — refuse the credentials,
// close the connection for good, stay away, an embedded server that
// cannot bind — Serve keeps trying with the reconnect backoff and reports
// it through Status, the log (once per change of reason) and
// connect_failures_total; it never returns for it, so that a cluster
// child never exhausts its supervisor's restart intensity. It returns nil
// when ctx ended, after every goroutine it started has ended and the
// embedded server has shut down; an error only for options the embedded
// server refuses (ErrConfig). A second concurrent Serve returns
// ErrServing.
func (n *Node) Serve(ctx context.Context) error {
	if !n.serving.CompareAndSwap(false, true) {
		return ErrServing
	}
	defer n.serving.Store(false)
	urls := []string(nil)
	if n.opts.Embedded != nil {
		srv, err := n.startEmbedded(ctx)
		if srv == nil {
			return err
		}
		defer func() {
			srv.Shutdown()
			srv.WaitForShutdown()
			n.mu.Lock()
			n.clientURL, n.routeURL = "", ""
			n.mu.Unlock()
		}()
		n.mu.Lock()
		n.clientURL, n.routeURL = srv.ClientURL(), "nats://"+srv.ClusterAddr().String()
		n.mu.Unlock()
		urls = []string{srv.ClientURL()}
	} else {
		urls = n.opts.NATS.URLs
	}
	log := n.opts.Logger.With("node", n.opts.Node)
	for failures := 0; ctx.Err() == nil; {
		closed := make(chan struct{})
		nc, err := n.connect(urls, closed)
		if err != nil {
			n.link.failed(reasonOf(err), err)
			failures++
			n.pause(ctx, failures)
			continue
		}
		failures = 0
		n.link.connected()
		log.Info("cluster: connected", "url", redactURL(nc.ConnectedUrl()))
		if err := n.run(ctx, nc, closed); err != nil {
			reason := ReasonClosed
			if r := reasonOf(err); r == ReasonAuth || r == ReasonTLS {
				reason = r
			}
			n.link.failed(reason, err)
			failures++
			n.pause(ctx, failures)
		}
	}
	return nil
}

// startEmbedded starts the embedded server, again with backoff while it
// fails (a port another program took since the start). It returns nil
// and nil when ctx ended first, nil and the error for options the server
// refuses.
func (n *Node) startEmbedded(ctx context.Context) (*server.Server, error) {
	for failures := 1; ; failures++ {
		srv, err := startEmbedded(n.opts)
		if err == nil {
			return srv, nil
		}
		if errors.Is(err, ErrConfig) {
			return nil, err
		}
		n.link.failed(ReasonEmbedded, err)
		if !n.pause(ctx, failures) {
			return nil, nil
		}
	}
}

// pause waits the backoff after the failures-th failure in a row; false
// when ctx ended first.
func (n *Node) pause(ctx context.Context, failures int) bool {
	t := time.NewTimer(backoff(failures-1, n.opts.ReconnectMin, n.opts.ReconnectMax))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// run serves one connection until ctx ends (nil) or the NATS client
// closes it for good (an error saying why, masked).
func (n *Node) run(ctx context.Context, nc *nats.Conn, closedForGood chan struct{}) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	resp := &responders{}
	err := n.subscribe(runCtx, nc, resp)
	if err == nil {
		// Connected means subscribed too: a request that WaitConnected
		// let through finds its responder.
		if nc.IsConnected() {
			_ = nc.FlushTimeout(n.opts.RequestTimeout)
		}
		n.mu.Lock()
		n.conn = nc
		n.mu.Unlock()
		n.changed()
		wg.Go(func() { n.publishLoop(runCtx, nc) })
		wg.Go(func() { n.dispatchLoop(runCtx) })
		wg.Go(func() { n.livenessLoop(runCtx, nc) })
		select {
		case <-ctx.Done():
		case <-closedForGood:
			err = errors.New("cluster: NATS connection closed")
			if last := nc.LastError(); last != nil {
				err = fmt.Errorf("cluster: NATS connection closed: %w", last)
			}
		}
	}
	cancel()
	wg.Wait() // the liveness goroutine said goodbye on its way out
	n.closeConn(nc, closedForGood)
	resp.close() // after the connection: no callback starts a responder any more
	n.peers.allDown(time.Now())
	n.deliverPeerChanges()
	return n.redactErr(err)
}

// closeConn drains the connection (pending messages delivered, then
// closed) when it is up, and waits for its goroutines' end signal.
func (n *Node) closeConn(nc *nats.Conn, closed <-chan struct{}) {
	n.mu.Lock()
	n.conn = nil
	n.mu.Unlock()
	n.changed()
	if nc.IsConnected() && nc.Drain() == nil {
		select {
		case <-closed:
		case <-time.After(n.opts.RequestTimeout):
			nc.Close()
		}
	} else {
		nc.Close()
	}
	<-closed
}

// connect dials NATS once (every URL); on success the client reconnects
// by itself, with backoff, after a loss. closed is closed when the
// connection is closed for good (the client gave up: the credentials
// refused twice in a row after a server restart, …), and Serve dials
// again.
func (n *Node) connect(urls []string, closed chan struct{}) (*nats.Conn, error) {
	log := n.opts.Logger.With("node", n.opts.Node)
	o := []nats.Option{
		nats.Name("pulseboard " + n.opts.Cluster + "/" + n.opts.Node),
		nats.NoEcho(),
		nats.MaxReconnects(-1),
		nats.ReconnectBufSize(-1), // a publication while disconnected is shed, not buffered
		nats.CustomReconnectDelay(func(attempts int) time.Duration {
			return backoff(attempts, n.opts.ReconnectMin, n.opts.ReconnectMax)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			n.link.connected()
			n.stats.reconnects.Add(1)
			log.Info("cluster: reconnected", "url", redactURL(c.ConnectedUrl()))
			n.askKeyFrame() // peers may have missed batches
			n.changed()
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			n.link.disconnected(err)
			if err != nil { // nil: this node closed the connection (a stop)
				log.Warn("cluster: disconnected", "err", n.redactErr(err))
			}
			n.changed()
		}),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				n.link.failed(reasonOf(err), err)
			}
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
		nats.ErrorHandler(func(_ *nats.Conn, s *nats.Subscription, err error) {
			switch {
			case errors.Is(err, nats.ErrSlowConsumer):
				n.stats.slowConsumer.Add(1)
			case reasonOf(err) == ReasonAuth:
				n.link.failed(ReasonAuth, err) // a reconnection refused
			default:
				log.Warn("cluster: NATS error", "err", n.redactErr(err))
			}
		}),
	}
	if c := n.opts.NATS; c != nil {
		if c.User != "" {
			o = append(o, nats.UserInfo(c.User, c.Password))
		}
		if c.Token != "" {
			o = append(o, nats.Token(c.Token))
		}
		o = append(o, c.TLS.options()...)
	}
	nc, err := nats.Connect(joinURLs(urls), o...)
	if err != nil {
		return nil, &redactedError{msg: fmt.Sprintf("cluster: connect to %s: %s", redactURLs(urls), n.redactErr(err)), orig: err}
	}
	return nc, nil
}

// backoff is the delay before reconnect attempt number attempts: doubling
// from lo to hi, with up to a quarter of jitter so that nodes do not
// reconnect in step.
func backoff(attempts int, lo, hi time.Duration) time.Duration {
	d := hi
	if attempts < 30 {
		d = min(lo<<attempts, hi)
	}
	return d - time.Duration(rand.Int64N(int64(d/4)+1))
}
