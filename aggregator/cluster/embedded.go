package cluster

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startEmbedded starts nats-server in this process with its client and
// route listeners and its routes to the other nodes, and waits until it
// accepts clients. The routes are retried by the server itself forever (they
// are explicit), so the cluster re-forms after any node comes back.
func startEmbedded(o Options) (*server.Server, error) {
	e := o.Embedded
	host, port, err := splitHostPort(e.Listen)
	if err != nil {
		return nil, fmt.Errorf("%w: embedded.listen: %v", ErrConfig, err)
	}
	chost, cport, err := splitHostPort(e.ClusterListen)
	if err != nil {
		return nil, fmt.Errorf("%w: embedded.cluster_listen: %v", ErrConfig, err)
	}
	routes := make([]*url.URL, 0, len(e.Routes))
	for _, r := range e.Routes {
		u, err := parseNATSURL(r)
		if err != nil {
			return nil, fmt.Errorf("%w: embedded.routes: %v", ErrConfig, err)
		}
		routes = append(routes, u)
	}
	sopts := &server.Options{
		// Unique per start: nats-server refuses a route from a server of
		// its own name and logs it on every retry. Two nodes of one
		// name are the cluster package's to tell apart (duplicate.go),
		// which needs them routed.
		ServerName: o.Cluster + "-" + o.Node + "-" + strconv.FormatUint(rand.Uint64()>>40, 36),
		Host:       host,
		Port:       port,
		NoSigs:     true,
		Cluster: server.ClusterOpts{
			Name: "pulseboard-" + o.Cluster,
			Host: chost,
			Port: cport,
		},
		Routes: routes,
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("cluster: embedded NATS: %w", err)
	}
	log := &serverLog{l: o.Logger.With("node", o.Node, "component", "nats-server"), fatal: make(chan string, 1), last: map[string]time.Time{}}
	srv.SetLoggerV2(log, false, false, false)
	srv.Start()
	// A listener that cannot bind is reported through Fatalf, and the
	// server then never gets ready: wait in short slices to return that
	// report at once rather than after the whole delay.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if srv.ReadyForConnections(50 * time.Millisecond) {
			return srv, nil
		}
		select {
		case msg := <-log.fatal:
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, fmt.Errorf("cluster: embedded NATS: %s", msg)
		default:
		}
	}
	srv.Shutdown()
	srv.WaitForShutdown()
	return nil, fmt.Errorf("cluster: embedded NATS not ready on %s / %s", e.Listen, e.ClusterListen)
}

// serverLog passes nats-server's reports to slog: notices at debug (a
// route coming and going is routine in a cluster), warnings and errors as
// such — each text once per repeatEvery at most (a route retried twice a
// second would repeat its error as often), the repeats at debug. The
// server calls it from many goroutines.
type serverLog struct {
	l     *slog.Logger
	fatal chan string // the first fatal report, for startEmbedded

	mu   sync.Mutex
	last map[string]time.Time // text → when last logged above debug
}

// repeatEvery is how often one text of the server's is logged above debug.
const repeatEvery = time.Minute

// fresh says whether msg is worth its level now, not a repeat.
func (s *serverLog) fresh(msg string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The same report of another connection differs in its ids and
	// ports only.
	msg = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, msg)
	now := time.Now()
	if t, ok := s.last[msg]; ok && now.Sub(t) < repeatEvery {
		return false
	}
	if len(s.last) >= 256 {
		clear(s.last) // bounded: many texts (ports, ids) are new anyway
	}
	s.last[msg] = now
	return true
}

func (s *serverLog) Noticef(f string, a ...any) { s.l.Debug(fmt.Sprintf(f, a...)) }
func (s *serverLog) Warnf(f string, a ...any) {
	if msg := fmt.Sprintf(f, a...); s.fresh(msg) {
		s.l.Warn(msg)
	} else {
		s.l.Debug(msg)
	}
}
func (s *serverLog) Fatalf(f string, a ...any) {
	msg := fmt.Sprintf(f, a...)
	s.l.Error(msg)
	select {
	case s.fatal <- msg:
	default:
	}
}
func (s *serverLog) Errorf(f string, a ...any) {
	if msg := fmt.Sprintf(f, a...); s.fresh(msg) {
		s.l.Error(msg)
	} else {
		s.l.Debug(msg)
	}
}
func (s *serverLog) Debugf(f string, a ...any) { s.l.Debug(fmt.Sprintf(f, a...)) }
func (s *serverLog) Tracef(f string, a ...any) { s.l.Debug(fmt.Sprintf(f, a...)) }
