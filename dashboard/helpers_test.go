package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// fixture is a dashboard served on 127.0.0.1:0 over a real aggregator.
type fixture struct {
	t      testing.TB
	srv    *Server
	agg    *aggregator.Aggregator
	reg    *prometheus.Registry
	base   string // http://127.0.0.1:port
	ws     string // ws://127.0.0.1:port/ws
	cancel context.CancelFunc
	served chan error
	clock  int64 // sample time base, ms
	http   *http.Client
}

// fixtureOptions adjusts a test's server and aggregator.
type fixtureOptions struct {
	dash func(*Options)
	agg  func(*aggregator.Options)
}

// testWS are WebSocket settings that keep tests fast.
func testWS() WebSocketOptions {
	return WebSocketOptions{
		// Clients in tests often stop reading (so stop answering pings)
		// for a while; only the dead-peer test wants these short.
		PingInterval: 10 * time.Second,
		PongWait:     60 * time.Second,
		WriteWait:    2 * time.Second,
		ResumeGrace:  50 * time.Millisecond,
		// Clients that stop reading are the broker's to drop in most
		// tests; the stall tests set it.
		StallAfter: -1,
		// Tests dial from loopback; the slow-cut tests are about what
		// an address is charged.
		slowCutLoopback: true,
		// Many tests dial hundreds of connections at once; the session
		// budget's tests set it (sessions_test.go).
		SessionRate: -1,
	}
}

func newFixture(t testing.TB, fo fixtureOptions) *fixture {
	t.Helper()
	ao := aggregator.Options{BroadcastInterval: 5 * time.Millisecond}
	if fo.agg != nil {
		fo.agg(&ao)
	}
	agg := aggregator.New(ao)
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(agg.Collector()))
	o := Options{
		Listen:          "127.0.0.1:0",
		Feed:            agg,
		Registry:        reg,
		Version:         "test",
		ShutdownTimeout: 3 * time.Second,
		WebSocket:       testWS(),
	}
	if fo.dash != nil {
		fo.dash(&o)
	}
	srv, err := New(o)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	aggDone := make(chan error, 1)
	go func() { aggDone <- agg.Serve(ctx) }()
	f := &fixture{t: t, srv: srv, agg: agg, reg: reg, cancel: cancel, served: make(chan error, 1),
		clock: time.Now().UnixMilli(), http: &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}}
	go func() { f.served <- srv.Serve(ctx) }()
	select {
	case <-srv.Listening():
	case err := <-f.served:
		t.Fatalf("serve: %v", err)
	}
	f.base = srv.URL()
	f.ws = "ws://" + strings.TrimPrefix(f.base, "http://") + "/ws"
	t.Cleanup(func() {
		f.http.CloseIdleConnections()
		f.stop()
		require.NoError(t, <-aggDone)
	})
	if ao.Sources != nil || ao.Tree != nil {
		// The aggregator's first publish (the sources and the tree) comes
		// on its own a moment after Serve starts; a test's first push must
		// not race it, or the seq it waits for may be that publish, not
		// its own.
		require.Eventually(t, func() bool { return agg.Seq() >= 1 }, 5*time.Second, time.Millisecond)
	}
	return f
}

// waitStored waits until the store holds at least n series of push's
// source and metric (a large push is ingested over several deltas).
func (f *fixture) waitStored(n int) {
	f.t.Helper()
	sel := &aggregator.Selection{Source: "src", Metric: "load"}
	require.Eventually(f.t, func() bool {
		held := 0
		f.agg.Select(sel, 0, func(aggregator.SeriesView) { held++ })
		return held >= n
	}, time.Minute, 10*time.Millisecond, "the store never held %d series", n)
}

// stop cancels Serve and waits for it; safe to call twice.
func (f *fixture) stop() error {
	f.cancel()
	err, ok := <-f.served
	if ok {
		close(f.served)
	}
	return err
}

// push stores one sample for each of n series of source "src" and returns
// once the aggregator queued it.
func (f *fixture) push(n int, value float64) {
	f.t.Helper()
	f.clock += 10
	b := aggregator.Batch{Source: "src"}
	for i := range n {
		b.Samples = append(b.Samples, aggregator.Sample{
			Metric: "load",
			Labels: aggregator.Labels{{Name: "i", Value: strconv.Itoa(i)}},
			TimeMs: f.clock,
			Value:  value + float64(i),
		})
	}
	require.True(f.t, f.agg.Push(context.Background(), b))
}

// frame is a server message as the tests read it: decoded strictly by the
// protocol's decoder (a member the protocol does not define fails the
// read), with its bytes.
type frame struct {
	Type string
	Seq  uint64 // of a snapshot or a delta
	msg  protocol.Message
	raw  []byte
}

func (fr frame) hello() *protocol.Hello {
	h, _ := fr.msg.(*protocol.Hello)
	return h
}

func (fr frame) snapshot() *protocol.Snapshot {
	s, _ := fr.msg.(*protocol.Snapshot)
	return s
}

// first is the seq of the first delta a frame carries.
func (fr frame) first() uint64 {
	if d, ok := fr.msg.(*protocol.Delta); ok {
		return d.First()
	}
	return fr.Seq
}

type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
}

// dial opens a WebSocket; query is appended to the URL ("" for none).
func (f *fixture) dial(query string, header http.Header) *wsClient {
	f.t.Helper()
	c, err := f.tryDial(query, header)
	require.NoError(f.t, err)
	return c
}

func (f *fixture) tryDial(query string, header http.Header) (*wsClient, error) {
	return f.tryDialWith(websocket.Dialer{HandshakeTimeout: 5 * time.Second}, query, header)
}

// dialCompressed is dial with permessage-deflate offered.
func (f *fixture) dialCompressed(query string) *wsClient {
	f.t.Helper()
	c, err := f.tryDialWith(websocket.Dialer{HandshakeTimeout: 5 * time.Second, EnableCompression: true}, query, nil)
	require.NoError(f.t, err)
	return c
}

func (f *fixture) tryDialWith(d websocket.Dialer, query string, header http.Header) (*wsClient, error) {
	u := f.ws
	if query != "" {
		u += "?" + query
	}
	conn, resp, err := d.Dial(u, header)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w: status %d", err, resp.StatusCode)
		}
		return nil, err
	}
	c := &wsClient{t: f.t, conn: conn}
	f.t.Cleanup(func() { conn.Close() })
	return c, nil
}

// read returns the next server message, failing the test after 5s.
func (c *wsClient) read() frame {
	c.t.Helper()
	fr, err := c.tryRead(5 * time.Second)
	require.NoError(c.t, err)
	return fr
}

func (c *wsClient) tryRead(timeout time.Duration) (frame, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	mt, data, err := c.conn.ReadMessage()
	if err != nil {
		return frame{}, err
	}
	if mt != websocket.TextMessage {
		return frame{}, fmt.Errorf("message type %d", mt)
	}
	msg, err := protocol.DecodeStrict(data)
	if err != nil {
		return frame{}, fmt.Errorf("decode %q: %w", data, err)
	}
	fr := frame{Type: msg.MessageType(), msg: msg, raw: data}
	switch m := msg.(type) {
	case *protocol.Snapshot:
		fr.Seq = m.Seq
	case *protocol.Delta:
		fr.Seq = m.Seq
	}
	return fr, nil
}

// readType reads one message and checks its type.
func (c *wsClient) readType(typ string) frame {
	c.t.Helper()
	fr := c.read()
	require.Equal(c.t, typ, fr.Type, "message %s", fr.raw)
	return fr
}

// readUntilSeq reads deltas until one reaches seq, checking they follow
// each other without a gap; it returns them.
func (c *wsClient) readUntilSeq(last, seq uint64) []frame {
	c.t.Helper()
	var got []frame
	for last < seq {
		fr := c.readType("delta")
		require.Equal(c.t, last+1, fr.first(), "gap after seq %d", last)
		last = fr.Seq
		got = append(got, fr)
	}
	return got
}

// closeCode reads until the connection ends and returns the close code
// (websocket.CloseAbnormalClosure when it ended without a close frame).
func (c *wsClient) closeCode() int {
	c.t.Helper()
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _, err := c.conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if ok := asCloseError(err, &ce); ok {
			return ce.Code
		}
		c.t.Logf("connection ended without a close frame: %v", err)
		return websocket.CloseAbnormalClosure
	}
}

func asCloseError(err error, target **websocket.CloseError) bool {
	ce, ok := err.(*websocket.CloseError)
	if ok {
		*target = ce
	}
	return ok
}

func (c *wsClient) send(s string) {
	c.t.Helper()
	require.NoError(c.t, c.conn.WriteMessage(websocket.TextMessage, []byte(s)))
}

// waitSeq waits until the aggregator has published seq >= want.
func (f *fixture) waitSeq(want uint64) {
	f.t.Helper()
	require.Eventually(f.t, func() bool { return f.agg.Seq() >= want }, 5*time.Second, time.Millisecond)
}

// pushAndWait pushes once and waits for the delta it causes.
func (f *fixture) pushAndWait(n int, value float64) uint64 {
	f.t.Helper()
	before := f.agg.Seq()
	f.push(n, value)
	f.waitSeq(before + 1)
	return f.agg.Seq()
}

// httpDo sends a request and returns status, headers and body.
func (f *fixture) httpDo(method, path string, body io.Reader, header http.Header) (int, http.Header, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.base+path, body)
	require.NoError(f.t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := f.http.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return resp.StatusCode, resp.Header, b
}

func bearerHeader(token string) http.Header {
	if token == "" {
		return nil
	}
	return http.Header{"Authorization": {"Bearer " + token}}
}

// errorBody decodes a {"error":"…"} body, failing if it is not one.
func errorBody(t *testing.T, h http.Header, b []byte) string {
	t.Helper()
	require.Equal(t, "application/json", h.Get("Content-Type"), "body %s", b)
	var e struct {
		Error string `json:"error"`
	}
	require.NoError(t, json.Unmarshal(b, &e), "body %s", b)
	require.NotEmpty(t, e.Error, "body %s", b)
	return e.Error
}
