package dashboard

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
)

// TestServeGivenListenerThenRelisten: the first Serve serves the listener
// the caller bound (Listen ":0" notwithstanding), closes it when it
// returns, and a restart listens again on the same port.
func TestServeGivenListenerThenRelisten(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	agg := aggregator.New(aggregator.Options{BroadcastInterval: 5 * time.Millisecond})
	srv, err := New(Options{Listen: "127.0.0.1:0", Listener: ln, Feed: agg, WebSocket: testWS()})
	require.NoError(t, err)

	for round := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ctx) }()
		require.Eventually(t, func() bool { return srv.Addr() != "" }, 5*time.Second, time.Millisecond)
		require.Equal(t, addr, srv.Addr(), "round %d: the same address", round)
		resp, err := http.Get("http://" + addr + "/healthz")
		require.NoError(t, err, "round %d", round)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		cancel()
		require.NoError(t, <-served)
		_, err = net.Dial("tcp", addr)
		require.Error(t, err, "round %d: closed when Serve returned", round)
	}
}
