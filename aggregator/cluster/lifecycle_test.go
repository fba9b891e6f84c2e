package cluster

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeWithEndedContextReturnsAtOnce(t *testing.T) {
	n, _ := embeddedNode(t, "a", 50*time.Millisecond, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, n.Serve(ctx))
	require.NoError(t, n.Serve(ctx), "twice in a row")
	c, r := n.EmbeddedURLs()
	assert.Empty(t, c+r, "no server left behind")
}

func TestSecondConcurrentServeIsRefused(t *testing.T) {
	n, rec := embeddedNode(t, "a", 50*time.Millisecond, nil)
	serve(t, n, rec)
	assert.ErrorIs(t, n.Serve(context.Background()), ErrServing)
}

func TestStartStopStart(t *testing.T) {
	n, rec := embeddedNode(t, "a", 50*time.Millisecond, nil)
	r := serve(t, n, rec)
	require.NoError(t, r.stop(t))
	require.NoError(t, r.stop(t), "stopping twice is harmless")
	assert.False(t, n.Connected())
	r2 := serve(t, n, rec)
	assert.True(t, r2.Connected())
}

// An embedded server that cannot bind is retried with backoff inside
// Serve, reported, and never ends it: its supervisor's restart intensity
// is not spent on it.
func TestEmbeddedPortInUseIsRetried(t *testing.T) {
	a, rec := embeddedNode(t, "a", 50*time.Millisecond, nil)
	serve(t, a, rec)
	client, _ := a.EmbeddedURLs()
	b, _ := embeddedNode(t, "b", 50*time.Millisecond, func(o *Options) {
		o.Embedded.Listen = strings.TrimPrefix(client, "nats://")
		o.ReconnectMin, o.ReconnectMax = time.Millisecond, 5*time.Millisecond
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx) }()
	embedded := &b.link.failures[4]
	require.Equal(t, ReasonEmbedded, reasons[4])
	require.Eventually(t, func() bool { return embedded.Load() >= 3 }, 10*time.Second, time.Millisecond)
	st := b.Status()
	assert.Equal(t, ReasonEmbedded, st.Reason)
	assert.Contains(t, st.Err, "address already in use")
	cancel()
	require.NoError(t, <-done)
}

func TestPublishWithoutServeShedsAndCounts(t *testing.T) {
	n, _ := embeddedNode(t, "a", time.Second, func(o *Options) { o.PublishQueue = 2 })
	for range 5 {
		n.PublishSamples([]Sample{{Series: "x", Time: 1, Value: 1}})
	}
	assert.False(t, n.Publish(KindHeartbeat, nil), "only health, tree and events are opaque payloads")
	assert.False(t, n.Publish(KindHealth, nil), "the queue is full")
	_, err := n.Backfill(context.Background(), "b", time.Time{}, func([]byte) error { return nil })
	require.ErrorIs(t, err, ErrNotConnected)
	_, err = n.Control(context.Background(), "b", ControlRequest{})
	require.ErrorIs(t, err, ErrNotConnected)

	want := `
# HELP pulseboard_cluster_samples_total Samples by direction (published, received) and fate (sent, decoded, shed, undecodable, overlong).
# TYPE pulseboard_cluster_samples_total counter
pulseboard_cluster_samples_total{direction="published",fate="overlong"} 0
pulseboard_cluster_samples_total{direction="published",fate="sent"} 0
pulseboard_cluster_samples_total{direction="published",fate="shed"} 3
pulseboard_cluster_samples_total{direction="received",fate="decoded"} 0
pulseboard_cluster_samples_total{direction="received",fate="shed"} 0
pulseboard_cluster_samples_total{direction="received",fate="undecodable"} 0
# HELP pulseboard_cluster_connected 1 while the node is connected to NATS.
# TYPE pulseboard_cluster_connected gauge
pulseboard_cluster_connected 0
`
	require.NoError(t, testutil.CollectAndCompare(n.Collector(), strings.NewReader(want),
		"pulseboard_cluster_samples_total", "pulseboard_cluster_connected"))
	require.NoError(t, testutil.CollectAndCompare(n.Collector(), strings.NewReader(`
# HELP pulseboard_cluster_publications_shed_total Publications shed before NATS, by kind and reason (queue_full, disconnected, duplicate_name).
# TYPE pulseboard_cluster_publications_shed_total counter
`+shedLines(map[string]int{"samples/queue_full": 3, "health/queue_full": 1})), "pulseboard_cluster_publications_shed_total"))
	problems, err := testutil.CollectAndLint(n.Collector())
	require.NoError(t, err)
	assert.Empty(t, problems)
}

// shedLines renders pulseboard_cluster_publications_shed_total for every
// kind and reason, with the given values and 0 elsewhere.
func shedLines(vals map[string]int) string {
	var b strings.Builder
	for k := range numKinds {
		for _, r := range shedReasons {
			b.WriteString("pulseboard_cluster_publications_shed_total{kind=\"" + k.String() + "\",reason=\"" + r + "\"} ")
			b.WriteString(strconv.Itoa(vals[k.String()+"/"+r]) + "\n")
		}
	}
	return b.String()
}
