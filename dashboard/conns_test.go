package dashboard

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
)

// failingListener fails its first fails Accepts with err, then accepts.
type failingListener struct {
	net.Listener
	mu    sync.Mutex
	fails int
	err   error
}

func (l *failingListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.fails > 0 {
		l.fails--
		l.mu.Unlock()
		return nil, l.err
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

func acceptErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
}

// countingHandler counts the log records at or above Warn.
type countingHandler struct {
	mu    sync.Mutex
	warns []string
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.mu.Lock()
		h.warns = append(h.warns, r.Message)
		h.mu.Unlock()
	}
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// An accept error of any kind, the descriptor limit's first, never stops
// serving: each is counted by errno, retried, and logged once a while.
func TestServeSurvivesAcceptErrors(t *testing.T) {
	for _, tc := range []struct {
		errno  syscall.Errno
		reason string
	}{
		{syscall.EMFILE, acceptEMFILE},
		{syscall.ENFILE, acceptENFILE},
		{syscall.ENOBUFS, acceptENOBUFS},
		{syscall.ENOMEM, acceptENOMEM},
		{syscall.ECONNABORTED, acceptECONNABORTED},
		{syscall.EPERM, acceptOther},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			logs := &countingHandler{}
			f := newFixture(t, fixtureOptions{dash: func(o *Options) {
				o.Listener = &failingListener{Listener: ln, fails: 4, err: acceptErr(tc.errno)}
				o.Logger = slog.New(logs)
			}})
			code, _, _ := f.httpDo(http.MethodGet, healthzPath, nil, nil)
			require.Equal(t, http.StatusOK, code)
			require.Equal(t, 4.0, testutil.ToFloat64(f.srv.metrics.conns.acceptErrors.WithLabelValues(tc.reason)))
			logs.mu.Lock()
			defer logs.mu.Unlock()
			require.Equal(t, []string{"cannot accept connections; retrying"}, logs.warns, "one line for the burst")
		})
	}
}

// The pause between retries doubles from 5 ms to 1 s, starts again after
// an accept, and Close cuts it short.
func TestLimitListenerPauses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	fl := &failingListener{Listener: ln, fails: 10, err: acceptErr(syscall.EMFILE)}
	l := newLimitListener(fl, 10, newConnMetrics(), slog.New(slog.DiscardHandler))
	var pauses []time.Duration
	l.pause = func(d time.Duration, _ <-chan struct{}) bool { pauses = append(pauses, d); return true }
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			_ = c.Close()
		}
	}()
	c, err := l.Accept()
	require.NoError(t, err)
	require.NoError(t, c.Close())
	<-done
	ms := time.Millisecond
	require.Equal(t, []time.Duration{5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 640 * ms, time.Second, time.Second}, pauses)

	fl.mu.Lock()
	fl.fails = 1
	fl.mu.Unlock()
	l.pause = sleepOrDone
	accepted := make(chan error, 1)
	go func() { _, err := l.Accept(); accepted <- err }()
	require.NoError(t, l.Close())
	require.ErrorIs(t, <-accepted, net.ErrClosed)
}

// capFixture serves with a cap of max connections, one of them a
// WebSocket reader that got its hello.
func capFixture(t *testing.T, max int) (*fixture, *wsClient) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.MaxConnections = max
		o.WebSocket.MaxClients = 1
	}})
	require.Equal(t, float64(max), testutil.ToFloat64(f.srv.metrics.conns.max))
	ws := f.dial("", nil)
	ws.readType("hello")
	return f, ws
}

// dialN opens n connections that send prefix (nothing when empty) and
// waits until the server counts them open and, of those, idle ones idle.
func dialN(t *testing.T, f *fixture, n int, prefix string, open, idle float64) []net.Conn {
	var cs []net.Conn
	for range n {
		c, err := net.Dial("tcp", f.srv.Addr())
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		if prefix != "" {
			_, err = io.WriteString(c, prefix)
			require.NoError(t, err)
		}
		cs = append(cs, c)
	}
	m := f.srv.metrics.conns
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(m.open) == open && testutil.ToFloat64(m.idle) == idle
	}, 5*time.Second, time.Millisecond)
	return cs
}

// freshGet sends GET path on a new connection and returns the answer.
func freshGet(t *testing.T, f *fixture, path string) (*http.Response, []byte) {
	c, err := net.Dial("tcp", f.srv.Addr())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

// At MaxConnections a new connection takes the place of the one idle
// longest (the trial's attack: thousands of connections that never send a
// byte), so /healthz is served through the flood; the WebSocket reader
// already connected is never taken and goes on.
func TestMaxConnectionsEvictsIdleFirst(t *testing.T) {
	f, ws := capFixture(t, 4)
	idle := dialN(t, f, 3, "", 4, 3)
	m := f.srv.metrics.conns
	for i := range 3 {
		resp, _ := freshGet(t, f, healthzPath)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, float64(i+1), testutil.ToFloat64(m.evicted))
		require.NoError(t, idle[i].SetReadDeadline(time.Now().Add(5*time.Second)))
		_, err := idle[i].Read(make([]byte, 1))
		require.ErrorIs(t, err, io.EOF, "the longest idle went first")
		// Back to the cap once the answered one is gone, the newest idle
		// last in line.
		require.Eventually(t, func() bool { return testutil.ToFloat64(m.open) == 3 }, 5*time.Second, time.Millisecond)
		idle = append(idle, dialN(t, f, 1, "", 4, 3)...)
	}
	require.Zero(t, testutil.ToFloat64(m.refused.WithLabelValues(refusedMaxConnections)))

	seq := f.pushAndWait(1, 7)
	for fr := ws.read(); fr.Seq < seq; fr = ws.read() { // the reader already connected is still served
	}
}

// When every connection at the cap is busy (a request in progress, a
// WebSocket), a new one is answered 503 at once and counted; a slot freed
// serves again.
func TestMaxConnectionsRefusesWhenNoneIdle(t *testing.T) {
	f, ws := capFixture(t, 3)
	busy := dialN(t, f, 2, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", 3, 0)
	m := f.srv.metrics.conns
	for i := 1; i <= 3; i++ {
		resp, body := freshGet(t, f, healthzPath)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		require.Equal(t, "1", resp.Header.Get("Retry-After"))
		require.True(t, bytes.HasPrefix(body, []byte("too many connections")))
		require.Equal(t, float64(i), testutil.ToFloat64(m.refused.WithLabelValues(refusedMaxConnections)))
	}
	require.Zero(t, testutil.ToFloat64(m.evicted))

	seq := f.pushAndWait(1, 7)
	for fr := ws.read(); fr.Seq < seq; fr = ws.read() {
	}
	require.NoError(t, busy[0].Close())
	require.Eventually(t, func() bool { return testutil.ToFloat64(m.open) == 2 }, 5*time.Second, time.Millisecond)
	resp, _ := freshGet(t, f, healthzPath)
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestMaxClientsMustFitUnderMaxConnections(t *testing.T) {
	o := Options{Feed: aggregator.New(aggregator.Options{}), MaxConnections: 100, WebSocket: WebSocketOptions{MaxClients: 100}}
	_, err := New(o)
	require.ErrorIs(t, err, ErrInvalidOptions)
	require.ErrorContains(t, err, "max clients (100) must be below max connections (100)")

	o = Options{Feed: aggregator.New(aggregator.Options{}), MaxConnections: 100}
	s, err := New(o)
	require.NoError(t, err)
	require.Equal(t, 84, s.opts.WebSocket.MaxClients, "the default fits, 16 left for HTTP")
}

// Out of descriptors, the connection idle longest is closed to free one
// and the accept retried at once, without a pause.
func TestAcceptEMFILEEvictsIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	fl := &failingListener{Listener: ln}
	m := newConnMetrics()
	l := newLimitListener(fl, 10, m, slog.New(slog.DiscardHandler))
	defer l.Close()
	l.pause = func(time.Duration, <-chan struct{}) bool {
		t.Error("paused with an idle connection to close")
		return true
	}

	dialed := make(chan net.Conn, 2)
	dial := func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		dialed <- c
	}
	dial()
	idle, err := l.Accept()
	require.NoError(t, err)
	peer := <-dialed
	defer peer.Close()

	fl.mu.Lock()
	fl.fails, fl.err = 1, acceptErr(syscall.EMFILE)
	fl.mu.Unlock()
	dial()
	c, err := l.Accept()
	require.NoError(t, err)
	defer c.Close()
	(<-dialed).Close()
	require.Equal(t, 1.0, testutil.ToFloat64(m.evicted))
	require.Equal(t, 1.0, testutil.ToFloat64(m.acceptErrors.WithLabelValues(acceptEMFILE)))
	require.NoError(t, peer.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = peer.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "the idle connection was closed")
	_ = idle.Close() // again: its slot is not given back twice
	require.Equal(t, 1.0, testutil.ToFloat64(m.open))
}
