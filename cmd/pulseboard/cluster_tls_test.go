package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
	"github.com/pulseboard/pulseboard/configs"
)

// The credentials the TLS test's NATS asks for: they must never reach a
// log line, even when the handshake fails.
const (
	tlsNATSUser     = "natsuser"
	tlsNATSPassword = "s3cretpw"
)

// startTLSNATS runs nats-server in this process on a free loopback port,
// requiring TLS with p's server certificate, client certificates of p's
// CA, and a user and password. It returns the client URL (nats://, as a
// user would write it: TLS is the config's, not the scheme's) and is shut
// down when the test ends.
func startTLSNATS(t *testing.T, p testtool.PKI) string {
	t.Helper()
	srv, err := server.NewServer(&server.Options{
		Host:       "127.0.0.1",
		Port:       -1,
		NoSigs:     true,
		NoLog:      true,
		Username:   tlsNATSUser,
		Password:   tlsNATSPassword,
		TLS:        true,
		TLSVerify:  true,
		TLSConfig:  p.ServerTLS(t),
		TLSTimeout: 2,
	})
	require.NoError(t, err)
	srv.Start()
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	require.True(t, srv.ReadyForConnections(10*time.Second), "TLS NATS not ready")
	return fmt.Sprintf("nats://%s", srv.Addr().String())
}

// tlsNodeConfig is clusterConfig's node joining the NATS at url with the
// TLS files of p (its CA, its client certificate).
func tlsNodeConfig(name, url string, p testtool.PKI) string {
	cfg := clusterConfig(name, nil)
	at := strings.Index(cfg, "  embedded:")
	end := strings.Index(cfg, "sources:")
	return cfg[:at] + fmt.Sprintf(`  nats:
    urls: [%q]
    user: %s
    password: %s
    tls: {ca_file: %q, cert_file: %q, key_file: %q}
`, url, tlsNATSUser, tlsNATSPassword, p.CAFile, p.ClientCert, p.ClientKey) + cfg[end:]
}

// TestClusterOverTLS joins two nodes to a NATS that requires TLS and
// client certificates: they see each other and each other's series. A
// third node that trusts another CA is refused: it logs why, plainly and
// without the credentials, keeps serving its own dashboard, and the
// others never hear of it.
func TestClusterOverTLS(t *testing.T) {
	besideOthers(t)
	pki := testtool.NewPKI(t)
	url := startTLSNATS(t, pki)
	a := startClusterNodeFrom(t, "a", tlsNodeConfig("a", url, pki))
	b := startClusterNodeFrom(t, "b", tlsNodeConfig("b", url, pki))
	require.Eventually(t, func() bool {
		na, nb := a.nodes(), b.nodes()
		return na["b"].Up && nb["a"].Up && len(a.remoteSeries("b")) == 2 && len(b.remoteSeries("a")) == 2
	}, waitLong, 20*time.Millisecond, "a and b see each other over TLS")

	// Node c trusts another CA (and shows that CA's client certificate).
	cfg, err := configs.Parse("c.yaml", []byte(tlsNodeConfig("c", url, testtool.NewPKI(t))))
	require.NoError(t, err)
	logs := &lockedBuffer{}
	p, err := newProgram(cfg, reloadSetup{noWatch: true}, slog.New(slog.NewTextHandler(logs, nil)))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-served)
	}()
	require.Eventually(t, func() bool {
		return strings.Contains(logs.String(), "cluster: cannot connect to NATS")
	}, waitLong, 20*time.Millisecond, "c says why it cannot join")
	line := ""
	for l := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(l, "cannot connect to NATS") {
			line = l
		}
	}
	require.Contains(t, line, "x509: certificate signed by unknown authority", "the reason, as TLS gives it")
	require.Contains(t, line, "127.0.0.1", "the server it could not verify")
	for _, secret := range []string{tlsNATSUser, tlsNATSPassword} {
		require.NotContains(t, logs.String(), secret)
	}
	require.False(t, p.cluster.node.Connected())

	<-p.dashboard.Listening()
	c := &clusterNode{name: "c", base: p.dashboard.URL()}
	require.Len(t, c.nodes(), 1, "c serves its own dashboard, alone")
	require.NotContains(t, a.nodes(), "c")
	require.Equal(t, 1, strings.Count(logs.String(), "cannot connect to NATS"), "one line for one reason, however many attempts")
}
