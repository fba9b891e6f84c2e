package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

func natsAuthOptions(port int, password string) *server.Options {
	return &server.Options{Host: "127.0.0.1", Port: port, NoSigs: true, NoLog: true,
		Username: "pbuser", Password: password}
}

// A node whose NATS refuses its credentials keeps collecting and serving
// its dashboard — with a root that tolerates no restart at all, so that a
// cluster child ending even once would stop the program — says why on
// /readyz, and joins by itself when the server takes its password.
func TestClusterNATSRefusingCredentialsLeavesTheNodeRunning(t *testing.T) {
	besideOthers(t)
	srv, err := server.NewServer(natsAuthOptions(-1, "Hunter2-NatsPass"))
	require.NoError(t, err)
	srv.Start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	require.True(t, srv.ReadyForConnections(10*time.Second))
	port := srv.Addr().(*net.TCPAddr).Port

	cfg := clusterConfig("a", nil)
	at, end := strings.Index(cfg, "  embedded:"), strings.Index(cfg, "sources:")
	cfg = "supervisor: {max_restarts: 0, period: 1h}\n" + cfg[:at] + fmt.Sprintf(`  nats:
    urls: ["nats://127.0.0.1:%d"]
    user: pbuser
    password: WrongPass
`, port) + cfg[end:]
	c, err := configs.Parse("a.yaml", []byte(cfg))
	require.NoError(t, err)
	logs := &lockedBuffer{}
	p, err := newProgram(c, reloadSetup{noWatch: true}, slog.New(slog.NewTextHandler(logs, nil)))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-served)
	}()
	<-p.dashboard.Listening()
	n := &clusterNode{name: "a", base: p.dashboard.URL(), p: p}

	refusals := func() float64 {
		return metricValueOr0(n, "pulseboard_cluster_connect_failures_total", map[string]string{"reason": "auth"})
	}
	// Two refusals closed the connection for good, which ended the
	// cluster child and, with no restart allowed, the program.
	require.Eventually(t, func() bool { return refusals() >= 4 }, waitLong, 20*time.Millisecond, "%s", logs)
	polls := p.localSources()[0].Polls
	require.Eventually(t, func() bool { return p.localSources()[0].Polls > polls+2 }, waitLong, 20*time.Millisecond, "collection goes on")
	select {
	case err := <-served:
		t.Fatalf("the program stopped: %v\n%s", err, logs)
	default:
	}
	var ready string
	require.NoError(t, n.get("/readyz", &ready))
	require.Contains(t, ready, "not connected to NATS (auth)")
	require.Len(t, n.nodes(), 1, "the dashboard serves this node alone")
	require.Equal(t, 1, strings.Count(logs.String(), "cannot connect to NATS"), "one line for one reason:\n%s", logs)
	require.NotContains(t, logs.String(), "WrongPass")

	require.NoError(t, srv.ReloadOptions(natsAuthOptions(port, "WrongPass")))
	wait, stop := context.WithTimeout(ctx, waitLong)
	defer stop()
	require.NoError(t, p.cluster.node.WaitConnected(wait))
	require.NoError(t, n.get("/readyz", &ready))
	require.NotContains(t, ready, "cluster")
}
