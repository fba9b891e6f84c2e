package cluster

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOptionsDefaults(t *testing.T) {
	n, err := New(Options{Cluster: "lab", Embedded: &Embedded{}})
	require.NoError(t, err)
	host, _ := os.Hostname()
	assert.Equal(t, strings.ReplaceAll(host, ".", "-"), n.Name())
	assert.Equal(t, "127.0.0.1:4222", n.opts.Embedded.Listen)
	assert.Equal(t, "127.0.0.1:6222", n.opts.Embedded.ClusterListen)
	assert.Equal(t, time.Second, n.opts.Heartbeat)
	assert.Equal(t, 256, n.opts.PublishQueue)
}

func TestOptionsRefusedWithTheirField(t *testing.T) {
	for name, tc := range map[string]struct {
		opts  Options
		field string
	}{
		"no cluster":       {Options{Node: "a", Embedded: &Embedded{}}, "cluster:"},
		"dotted node":      {Options{Cluster: "lab", Node: "a.b", Embedded: &Embedded{}}, "node:"},
		"wildcard cluster": {Options{Cluster: "l*", Node: "a", Embedded: &Embedded{}}, "cluster:"},
		"neither":          {Options{Cluster: "lab", Node: "a"}, "exactly one"},
		"both":             {Options{Cluster: "lab", Node: "a", Embedded: &Embedded{}, NATS: &NATS{URLs: []string{"nats://h:1"}}}, "exactly one"},
		"no urls":          {Options{Cluster: "lab", Node: "a", NATS: &NATS{}}, "nats.urls:"},
		"bad listen":       {Options{Cluster: "lab", Node: "a", Embedded: &Embedded{Listen: "4222"}}, "embedded.listen:"},
		"bad route":        {Options{Cluster: "lab", Node: "a", Embedded: &Embedded{Routes: []string{"http://x:1"}}}, "embedded.routes[0]:"},
		"max message":      {Options{Cluster: "lab", Node: "a", Embedded: &Embedded{}, MaxMessage: 2 << 20}, "max_message:"},
		"backfill chunk":   {Options{Cluster: "lab", Node: "a", Embedded: &Embedded{}, BackfillChunk: 1 << 20}, "backfill_chunk:"},
		"backoff":          {Options{Cluster: "lab", Node: "a", Embedded: &Embedded{}, ReconnectMin: 2e9, ReconnectMax: 1e9}, "reconnect_max:"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(tc.opts)
			require.ErrorIs(t, err, ErrConfig)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	_, err := New(Options{Cluster: "lab", Node: "a", NATS: &NATS{URLs: []string{"nats://alice:s3cret-pw@[::1", "ftp://tok3n-value@h:1"}}})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret-pw")
	assert.NotContains(t, err.Error(), "tok3n-value")
	assert.NotContains(t, err.Error(), "alice")
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"nats://alice:pw@10.0.0.5:4222":    "nats://***@10.0.0.5:4222",
		"nats://t0ken@10.0.0.5:4222":       "nats://***@10.0.0.5:4222",
		"tls://u:p@[::1]:4222/x?token=abc": "tls://***@[::1]:4222/x",
		"nats://10.0.0.5:4222":             "nats://10.0.0.5:4222",
		"nats://h:4222?token=abc":          "nats://h:4222",
		"nats://alice:pw@[::1":             "***@[::1",
		"no url at all %zz with pw inside": "<unparsable URL>",
	} {
		assert.Equal(t, want, redactURL(in), in)
	}
}

func TestRedactErrKeepsTheSentinel(t *testing.T) {
	n, err := New(Options{Cluster: "lab", Node: "a", NATS: &NATS{URLs: []string{"nats://bob:hunter22@h:1"}, Token: "tok-123"}})
	require.NoError(t, err)
	e := n.redactErr(errors.Join(ErrBusy, errors.New("nats://bob:hunter22@h:1 refused tok-123")))
	assert.ErrorIs(t, e, ErrBusy)
	assert.NotContains(t, e.Error(), "hunter22")
	assert.NotContains(t, e.Error(), "tok-123")
	assert.NotContains(t, e.Error(), "bob")
}

// logBuffer is a slog logger into a buffer safe for concurrent writers.
type logBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newLogBuffer() *logBuffer { return &logBuffer{mu: make(chan struct{}, 1)} }

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu <- struct{}{}
	defer func() { <-l.mu }()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu <- struct{}{}
	defer func() { <-l.mu }()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
