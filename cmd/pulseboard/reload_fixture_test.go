package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/collectors"
	"github.com/pulseboard/pulseboard/configs"
)

// These tests run a real program in-process, on 127.0.0.1:0, on a config
// file of their own, and change that file as a person would.

const (
	adminToken = "reload-test-admin"
	waitLong   = 15 * time.Second
)

type reloadFixture struct {
	t       *testing.T
	p       *program
	path    string
	base    string // http://127.0.0.1:port
	hangups chan os.Signal
	events  chan reloadEvent
	logs    *lockedBuffer
}

// startReload runs a program on a copy of testdata/file (or, for "", on the
// embedded config) and waits until it listens and, unless noWatch, watches
// the file.
func startReload(t *testing.T, file string, noWatch bool) *reloadFixture {
	t.Helper()
	if file == "" {
		return startReloadData(t, nil, noWatch)
	}
	data, err := os.ReadFile(filepath.Join("testdata", file))
	require.NoError(t, err)
	return startReloadData(t, data, noWatch)
}

// startReloadData is startReload on a config file holding data (nil: the
// embedded config), for configs made by the test.
func startReloadData(t *testing.T, data []byte, noWatch bool) *reloadFixture {
	t.Helper()
	f := &reloadFixture{t: t, hangups: make(chan os.Signal, 1), events: make(chan reloadEvent, 64), logs: &lockedBuffer{}}
	var cfg *configs.Config
	var err error
	if data == nil {
		cfg, err = configs.LoadDefault()
		require.NoError(t, err)
		cfg.Server.Listen = "127.0.0.1:0"
	} else {
		f.path = filepath.Join(t.TempDir(), "pulseboard.yaml")
		f.write(data)
		cfg, err = configs.Load(f.path)
		require.NoError(t, err)
	}
	// The test's own stored history, as -storage.path gives it: programs
	// of this process must not restore one another's series.
	storagePath := t.TempDir()
	cfg.Storage.Path = storagePath
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	f.p, err = newProgram(cfg, reloadSetup{path: f.path, hangups: f.hangups, noWatch: noWatch, storagePath: &storagePath}, log)
	require.NoError(t, err)
	r := f.p.reloader
	r.deps.announcer = recordingAnnouncer{next: r.deps.announcer, events: f.events}

	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- f.p.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			require.ErrorIs(t, err, context.Canceled)
		}
	})
	select {
	case <-f.p.dashboard.Listening():
	case <-time.After(waitLong):
		t.Fatal("the dashboard never listened")
	}
	f.base = f.p.dashboard.URL()
	if w := r.watching(); w != nil {
		select {
		case <-w:
		case <-time.After(waitLong):
			t.Fatal("the config file was never watched")
		}
	}
	return f
}

// replace puts testdata/file in place of the config file the way editors
// save: written beside it, then renamed over it.
func (f *reloadFixture) replace(file string) {
	f.t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	require.NoError(f.t, err)
	f.write(data) // see reload_budget_test.go
}

// event waits for the next reload event.
func (f *reloadFixture) event() reloadEvent {
	f.t.Helper()
	select {
	case e := <-f.events:
		return e
	case <-time.After(waitLong):
		f.t.Fatalf("no reload event; log:\n%s", f.logs)
		return reloadEvent{}
	}
}

func (f *reloadFixture) noEvent() {
	f.t.Helper()
	select {
	case e := <-f.events:
		f.t.Fatalf("unexpected reload event %+v", e)
	default:
	}
}

func (f *reloadFixture) do(method, path, token string) (int, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.base+path, nil)
	require.NoError(f.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return resp.StatusCode, body
}

// sourceNames lists the sources /api/v1/sources reports, in order.
func (f *reloadFixture) sourceNames() []string {
	f.t.Helper()
	code, body := f.do("GET", "/api/v1/sources", "")
	require.Equal(f.t, http.StatusOK, code, "%s", body)
	got, err := protocol.Decoder{}.Sources(body)
	require.NoError(f.t, err)
	var names []string
	for _, s := range got.Sources {
		names = append(names, s.Name)
	}
	return names
}

func (f *reloadFixture) stats(name string) collectors.Stats {
	f.t.Helper()
	st, err := f.p.collectors.Stats(name)
	require.NoError(f.t, err)
	return st
}

// started counts the starts of a source's collector, from the supervision
// events on /metrics.
func (f *reloadFixture) started(name string) float64 {
	f.t.Helper()
	return metricValue(f.t, f.p.registry, "pulseboard_supervisor_events_total",
		map[string]string{"supervisor": "collectors", "child": name, "event": "started"})
}

func (f *reloadFixture) reloads(result string) float64 {
	f.t.Helper()
	return metricValue(f.t, f.p.registry, "pulseboard_config_reloads_total", map[string]string{"result": result})
}

// metricValue returns the value of the series of name with labels, 0 when
// there is none.
func metricValue(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	v, err := gatheredValue(g, name, labels)
	require.NoError(t, err)
	return v
}

// gatheredValue is metricValue's lookup, for callers that may not fail the
// test (a condition polled by require.Eventually).
func gatheredValue(g prometheus.Gatherer, name string, labels map[string]string) (float64, error) {
	families, err := g.Gather()
	if err != nil {
		return 0, err
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue metrics
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue(), nil
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue(), nil
			}
		}
	}
	return 0, nil
}

type recordingAnnouncer struct {
	next   announcer
	events chan<- reloadEvent
}

func (a recordingAnnouncer) announce(e reloadEvent) error {
	var err error
	if a.next != nil {
		err = a.next.announce(e)
	}
	a.events <- e
	return err
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// streamWatch is a dashboard's WebSocket, read on a goroutine of its own:
// it counts deltas and keeps the reload events they carry.
type streamWatch struct {
	conn *websocket.Conn
	done chan struct{}

	mu      sync.Mutex
	deltas  int
	events  []protocol.Event
	err     error
	updated chan struct{}
}

func (f *reloadFixture) watchStream() *streamWatch {
	f.t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial("ws"+strings.TrimPrefix(f.base, "http")+"/ws", nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	require.NoError(f.t, err)
	s := &streamWatch{conn: conn, done: make(chan struct{}), updated: make(chan struct{}, 1)}
	go s.read()
	f.t.Cleanup(func() {
		conn.Close()
		<-s.done
	})
	return s
}

func (s *streamWatch) read() {
	defer close(s.done)
	for {
		_, data, err := s.conn.ReadMessage()
		var msg protocol.Message
		if err == nil {
			msg, err = protocol.Decode(data)
		}
		s.mu.Lock()
		if err != nil {
			s.err = err
		} else if d, ok := msg.(*protocol.Delta); ok {
			s.deltas++
			s.events = append(s.events, d.Events...)
		}
		s.mu.Unlock()
		select {
		case s.updated <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// waitFor waits until cond holds of the stream, failing if it ends first.
func (s *streamWatch) waitFor(t *testing.T, what string, cond func(deltas int, events []protocol.Event) bool) {
	t.Helper()
	timeout := time.After(waitLong)
	for {
		s.mu.Lock()
		ok, err := cond(s.deltas, s.events), s.err
		s.mu.Unlock()
		if ok {
			return
		}
		require.NoError(t, err, "the stream ended while waiting for %s", what)
		select {
		case <-s.updated:
		case <-timeout:
			t.Fatalf("the stream never showed %s", what)
		}
	}
}

// reloadIn reads a reload event's payload, strictly: false for another
// kind, or a payload that is not a reloadEvent.
func reloadIn(ev protocol.Event) (reloadEvent, bool) {
	if ev.Kind != reloadKind {
		return reloadEvent{}, false
	}
	dec := json.NewDecoder(bytes.NewReader(ev.Payload))
	dec.DisallowUnknownFields()
	var r reloadEvent
	if err := dec.Decode(&r); err != nil {
		return reloadEvent{}, false
	}
	r.TimeMs = ev.TS
	return r, true
}

func (s *streamWatch) deltaCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deltas
}
