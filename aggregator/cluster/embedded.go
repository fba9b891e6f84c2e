package cluster

import (
	"fmt"
	"log/slog"
	"net/url"
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
		ServerName: o.Cluster + "-" + o.Node,
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
	log := serverLog{o.Logger.With("node", o.Node, "component", "nats-server"), make(chan string, 1)}
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
// such.
type serverLog struct {
	l     *slog.Logger
	fatal chan string // the first fatal report, for startEmbedded
}

func (s serverLog) Noticef(f string, a ...any) { s.l.Debug(fmt.Sprintf(f, a...)) }
func (s serverLog) Warnf(f string, a ...any)   { s.l.Warn(fmt.Sprintf(f, a...)) }
func (s serverLog) Fatalf(f string, a ...any) {
	msg := fmt.Sprintf(f, a...)
	s.l.Error(msg)
	select {
	case s.fatal <- msg:
	default:
	}
}
func (s serverLog) Errorf(f string, a ...any) { s.l.Error(fmt.Sprintf(f, a...)) }
func (s serverLog) Debugf(f string, a ...any) { s.l.Debug(fmt.Sprintf(f, a...)) }
func (s serverLog) Tracef(f string, a ...any) { s.l.Debug(fmt.Sprintf(f, a...)) }
