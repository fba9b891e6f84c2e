package cluster

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"
)

func authOptions(port int, password string) *server.Options {
	return &server.Options{Host: "127.0.0.1", Port: port, NoSigs: true, NoLog: true,
		Username: "pbuser", Password: password}
}

// A NATS that refuses the node's credentials, at the start or after a
// password rotation, never ends Serve: the node keeps trying with
// backoff, says why once, counts every refusal, and connects by itself
// once the server takes its password.
func TestRefusedCredentialsNeverEndServe(t *testing.T) {
	srv := startServer(t, authOptions(server.RANDOM_PORT, "Hunter2-NatsPass"))
	port := srv.Addr().(*net.TCPAddr).Port
	logs := newLogBuffer()
	n, err := New(Options{
		Cluster: "lab", Node: "a",
		NATS:         &NATS{URLs: []string{"nats://pbuser:WrongPass@127.0.0.1:" + strconv.Itoa(port)}},
		ReconnectMin: 2 * time.Millisecond, ReconnectMax: 10 * time.Millisecond,
		Logger: logs.logger(),
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()

	auth := &n.link.failures[0]
	require.Equal(t, ReasonAuth, reasons[0])
	// Far more refusals than a supervisor's restart intensity (5) allows
	// restarts: before the fix, the second one closed the connection and
	// Serve returned.
	require.Eventually(t, func() bool { return auth.Load() >= 20 }, 10*time.Second, time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v while NATS refused the credentials", err)
	default:
	}
	st := n.Status()
	require.False(t, st.Connected)
	require.Equal(t, ReasonAuth, st.Reason)
	require.Contains(t, st.Err, "nats://***@127.0.0.1:"+strconv.Itoa(port))
	require.Equal(t, 1, strings.Count(logs.String(), "cannot connect to NATS"), "one line for one reason:\n%s", logs)
	require.Contains(t, logs.String(), "reason=auth")

	// The server now takes the node's password: it joins by itself.
	require.NoError(t, srv.ReloadOptions(authOptions(port, "WrongPass")))
	wait, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	require.NoError(t, n.WaitConnected(wait))
	require.Contains(t, logs.String(), "url=nats://***@127.0.0.1:"+strconv.Itoa(port), "user info masked as ***, not %2A")

	// Rotated under a running node: the server drops it, refuses it,
	// and the node waits for the password to come right again.
	before := auth.Load()
	require.NoError(t, srv.ReloadOptions(authOptions(port, "Rotated-0ther")))
	require.Eventually(t, func() bool { return auth.Load() >= before+10 }, 10*time.Second, time.Millisecond)
	require.False(t, n.Connected())
	require.NoError(t, srv.ReloadOptions(authOptions(port, "WrongPass")))
	require.NoError(t, n.WaitConnected(wait))
	for _, secret := range []string{"WrongPass", "Hunter2", "Rotated-0ther"} {
		require.NotContains(t, logs.String(), secret)
	}
}
