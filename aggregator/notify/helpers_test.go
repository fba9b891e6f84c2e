package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// request is what a fake target received.
type request struct {
	at     time.Time
	url    string
	header http.Header
	body   []byte
}

// fakeTransport answers in memory, so that tests run inside a synctest
// bubble: answer decides each response (nil means 200), and every request
// is recorded.
type fakeTransport struct {
	answer func(req *http.Request, n int) (*http.Response, error)
	mu     sync.Mutex
	reqs   []request
}

func (f *fakeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, request{at: time.Now(), url: req.URL.String(), header: req.Header.Clone(), body: body})
	n := len(f.reqs)
	f.mu.Unlock()
	if f.answer != nil {
		return f.answer(req, n)
	}
	return respond(http.StatusOK, ""), nil
}

func (f *fakeTransport) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

func respond(code int, body string) *http.Response {
	return &http.Response{
		StatusCode: code,
		Status:     fmt.Sprintf("%d %s", code, http.StatusText(code)),
		Header:     http.Header{},
		Body:       io.NopCloser(strings.NewReader(body)),
	}
}

// hang is an answer that waits for the request's context to end.
func hang(req *http.Request, _ int) (*http.Response, error) {
	<-req.Context().Done()
	return nil, req.Context().Err()
}

// serve runs n.Serve until the test ends and waits for it to return.
func serve(t *testing.T, n *Notifier) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(stop)
	return stop
}

// alert is a firing alert named name, started at the bubble's start.
func alert(name string, labels ...string) Alert {
	l := map[string]string{"alertname": name}
	for i := 0; i+1 < len(labels); i += 2 {
		l[labels[i]] = labels[i+1]
	}
	return Alert{Labels: l, Annotations: map[string]string{"summary": name + " fires"}, StartsAt: time.Now(), GeneratorURL: "http://127.0.0.1:8080/#" + name}
}

// wireAlert is an alert as a target decodes it.
type wireAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     *time.Time        `json:"startsAt"`
	EndsAt       *time.Time        `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

func decodeAM(t *testing.T, body []byte) []wireAlert {
	t.Helper()
	var out []wireAlert
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&out), "%s", body)
	return out
}

type webhookPayload struct {
	Version string      `json:"version"`
	Status  string      `json:"status"`
	Alerts  []wireAlert `json:"alerts"`
}

func decodeHook(t *testing.T, body []byte) webhookPayload {
	t.Helper()
	var p webhookPayload
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&p), "%s", body)
	return p
}

// logSink is a slog handler into a buffer that also passes each record's
// message on a channel, so a test can wait for a log line.
type logSink struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func newLogSink() *logSink { return &logSink{lines: make(chan string, 100)} }

func (s *logSink) logger() *slog.Logger { return slog.New(&sinkHandler{s: s}) }

func (s *logSink) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// wait returns the first line whose message contains msg.
func (s *logSink) wait(t *testing.T, msg string) string {
	t.Helper()
	deadline := time.After(time.Minute) // a guard against hanging, not a wait
	for {
		select {
		case line := <-s.lines:
			if strings.Contains(line, msg) {
				return line
			}
		case <-deadline:
			t.Fatalf("no log line with %q; the log:\n%s", msg, s.text())
			return ""
		}
	}
}

type sinkHandler struct {
	s     *logSink
	attrs []slog.Attr
}

func (h *sinkHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *sinkHandler) WithGroup(string) slog.Handler            { return h }
func (h *sinkHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &sinkHandler{s: h.s, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}
func (h *sinkHandler) Handle(_ context.Context, r slog.Record) error {
	var line bytes.Buffer
	th := slog.NewTextHandler(&line, nil).WithAttrs(h.attrs)
	if err := th.Handle(context.Background(), r); err != nil {
		return err
	}
	h.s.mu.Lock()
	h.s.buf.Write(line.Bytes())
	h.s.mu.Unlock()
	select {
	case h.s.lines <- line.String():
	default:
	}
	return nil
}
