package dashboard

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
)

func TestShutdownClosesEveryClientWith1001(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	const n = 20
	clients := make([]*wsClient, n)
	for i := range clients {
		clients[i] = f.dial("", nil)
		clients[i].readType("hello")
		clients[i].readType("snapshot")
	}
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- c.closeCode()
		}()
	}

	stopWithinBound(t, f)
	wg.Wait()
	close(codes)
	for code := range codes {
		require.Equal(t, websocket.CloseGoingAway, code)
	}
	require.Equal(t, float64(n), testutil.ToFloat64(f.srv.metrics.disconnects.WithLabelValues(disconnectShutdown)))
	require.Equal(t, 0.0, testutil.ToFloat64(f.srv.metrics.clients))
	require.Empty(t, f.srv.Addr())

	_, err := net.Dial("tcp", strings.TrimPrefix(f.base, "http://"))
	require.Error(t, err, "nothing listens any more")
}

// A client that never answers the close handshake does not hold the
// shutdown past its bound.
func TestShutdownBoundedWithUnresponsiveClient(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.ShutdownTimeout = time.Second }})
	f.dial("", nil) // never reads: never answers the close frame
	require.Eventually(t, func() bool { return testutil.ToFloat64(f.srv.metrics.clients) == 1 },
		5*time.Second, time.Millisecond)
	stopWithinBound(t, f)
}

func TestServeAgainAfterStop(t *testing.T) {
	agg := aggregator.New(aggregator.Options{BroadcastInterval: 5 * time.Millisecond})
	srv, err := New(Options{Listen: "127.0.0.1:0", Feed: agg, WebSocket: testWS()})
	require.NoError(t, err)
	require.Empty(t, srv.Addr())
	require.Empty(t, srv.URL())

	for round := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ctx) }()
		<-srv.Listening()
		require.Eventually(t, func() bool { return srv.Addr() != "" }, 5*time.Second, time.Millisecond)

		// A second Serve while one runs is refused.
		require.ErrorIs(t, srv.Serve(ctx), ErrAlreadyServing)

		resp, err := http.Get(srv.URL() + "/healthz")
		require.NoError(t, err, "round %d", round)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)

		cancel()
		require.NoError(t, <-served)
		require.Empty(t, srv.Addr())
	}
}

func TestServeListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	agg := aggregator.New(aggregator.Options{})
	srv, err := New(Options{Listen: ln.Addr().String(), Feed: agg})
	require.NoError(t, err)
	err = srv.Serve(context.Background())
	require.ErrorContains(t, err, "listen")
}

func TestServeCancelledAtOnce(t *testing.T) {
	agg := aggregator.New(aggregator.Options{})
	srv, err := New(Options{Listen: "127.0.0.1:0", Feed: agg})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// A cancelled context may stop Serve before or just after it listens;
	// either way it returns promptly and leaves nothing behind.
	err = srv.Serve(ctx)
	if err != nil {
		require.ErrorIs(t, err, context.Canceled)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	agg := aggregator.New(aggregator.Options{})
	cases := []struct {
		name string
		opts Options
		msg  string
	}{
		{"no feed", Options{}, "feed is required"},
		{"bad listen", Options{Feed: agg, Listen: "nonsense"}, "listen"},
		{"bad origin", Options{Feed: agg, AllowedOrigins: []string{"ops.example.com"}}, "allowed origin"},
		{"origin with path", Options{Feed: agg, AllowedOrigins: []string{"https://ops.example.com/app"}}, "allowed origin"},
		{"same tokens", Options{Feed: agg, ViewerToken: "x", AdminToken: "x"}, "must differ"},
		{"pong before ping", Options{Feed: agg, WebSocket: WebSocketOptions{PingInterval: time.Second, PongWait: time.Second}}, "pong wait"},
		{"limits", Options{Feed: agg, WebSocket: WebSocketOptions{MaxMessageBytes: 10, ReadLimit: 5}}, "read limit"},
		{"range burst", Options{Feed: agg, WebSocket: WebSocketOptions{RangeBurst: maxRangeCost - 1}}, "range burst must hold"},
	}
	for _, c := range cases {
		_, err := New(c.opts)
		require.ErrorIs(t, err, ErrInvalidOptions, c.name)
		require.ErrorContains(t, err, c.msg, c.name)
	}

	srv, err := New(Options{Feed: agg})
	require.NoError(t, err)
	require.Equal(t, DefaultListen, srv.opts.Listen)
	require.Equal(t, DefaultShutdownTimeout, srv.opts.ShutdownTimeout)
	require.Len(t, srv.AdminToken(), 64)

	srv, err = New(Options{Feed: agg, AdminToken: "configured"})
	require.NoError(t, err)
	require.Equal(t, "configured", srv.AdminToken())
}

func TestNewRegistersOnTheGivenRegistry(t *testing.T) {
	agg := aggregator.New(aggregator.Options{})
	f := newFixture(t, fixtureOptions{})
	// The fixture's registry already holds the dashboard's metrics: a
	// second server on it is refused rather than silently half-registered.
	_, err := New(Options{Feed: agg, Registry: f.reg})
	require.ErrorContains(t, err, "register metrics")
}

func TestURL(t *testing.T) {
	agg := aggregator.New(aggregator.Options{})
	srv, err := New(Options{Feed: agg})
	require.NoError(t, err)
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"0.0.0.0:9000":   "http://127.0.0.1:9000",
		"[::]:9000":      "http://[::1]:9000",
		"[::1]:9000":     "http://[::1]:9000",
		"":               "",
	} {
		srv.addr = addr
		require.Equal(t, want, srv.URL(), addr)
	}
}

// TestShutdownWhileClientsLeave: clients that leave as the server stops
// are closed, or gone, but never touched after their handler returned
// (fasthttp then pools the connection: a deadline set on it was a data
// race and a nil dereference). Rounds of clients closing their sockets
// at the moment the server is cancelled, under the race detector in CI.
func TestShutdownWhileClientsLeave(t *testing.T) {
	for range 10 {
		f := newFixture(t, fixtureOptions{})
		const n = 30
		clients := make([]*wsClient, n)
		for i := range clients {
			clients[i] = f.dial("", nil)
			clients[i].readType("hello")
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_ = c.conn.NetConn().Close()
			}()
		}
		close(start)
		stopWithinBound(t, f)
		wg.Wait()
		require.Equal(t, 0.0, testutil.ToFloat64(f.srv.metrics.clients))
	}
}

// stopWithinBound cancels f's server and waits for Serve to return nil,
// failing when it takes longer than its shutdown bound and a second.
func stopWithinBound(t *testing.T, f *fixture) {
	t.Helper()
	f.cancel()
	select {
	case err := <-f.served:
		require.NoError(t, err)
		close(f.served)
	case <-time.After(f.srv.opts.ShutdownTimeout + time.Second):
		t.Fatal("Serve did not return within the shutdown bound")
	}
}
