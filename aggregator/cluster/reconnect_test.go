package cluster

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refusingServer accepts TCP connections and closes them at once, and
// counts them: a NATS client sees a server that never completes a connect.
func refusingServer(t *testing.T) (addr string, accepts <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ch := make(chan struct{}, 1000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return ln.Addr().String(), ch
}

func TestUnreachableNATSKeepsRetryingShedsAndNeverLeaksTheCredentials(t *testing.T) {
	addr, accepts := refusingServer(t)
	logs := newLogBuffer()
	n, err := New(Options{
		Cluster: "lab", Node: "a",
		NATS:         &NATS{URLs: []string{"nats://alice:s3cret-pw@" + addr}, Token: "t0ken-xyz"},
		ReconnectMin: 5 * time.Millisecond, ReconnectMax: 20 * time.Millisecond,
		PublishQueue: 4,
		Logger:       logs.logger(),
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx) }()
	for range 3 {
		<-accepts // Serve keeps trying
	}
	start := time.Now()
	published := 0
	for i := range 1000 {
		if n.PublishSamples(scrape(10, int64(i), func(int) float64 { return 1 })) {
			published++
		}
	}
	assert.Less(t, time.Since(start), time.Second, "publishing never blocks")
	assert.False(t, n.Connected())
	cancel()
	require.NoError(t, <-done)

	assert.Equal(t, uint64(1000-published), n.stats.outShed[KindSamples][shedQueueFull].Load(), "every refused call is counted")
	assert.Positive(t, n.stats.outShed[KindSamples][shedQueueFull].Load())
	assert.Zero(t, n.stats.outMsgs[KindSamples].Load())
	for _, secret := range []string{"s3cret-pw", "t0ken-xyz", "alice"} {
		assert.NotContains(t, logs.String(), secret)
	}
}

// TestReconnectAfterNATSComesBack joins a standalone NATS server, loses it,
// and gets it back on the same port: the node reconnects by itself, sheds
// while it is away, and sends a key frame after (the dictionary again).
func TestReconnectAfterNATSComesBack(t *testing.T) {
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true}
	srv := startServer(t, opts)
	port := srv.Addr().(*net.TCPAddr).Port
	url := "nats://127.0.0.1:" + strconv.Itoa(port)

	na, ra := clientNode(t, "a", url, nil)
	a := serve(t, na, ra)
	nb, rb := clientNode(t, "b", url, nil)
	b := serve(t, nb, rb)
	b.rec.waitChange(t, "a", true, 5*time.Second)
	ts := int64(0)
	publishUntil := func(cond func() bool) {
		require.Eventually(t, func() bool {
			ts += 1000
			a.PublishSamples(scrape(5, ts, func(i int) float64 { return float64(i) }))
			return cond()
		}, 10*time.Second, 20*time.Millisecond)
	}
	publishUntil(func() bool { return b.rec.sampleCount("a") > 0 })

	srv.Shutdown()
	srv.WaitForShutdown()
	b.rec.waitChange(t, "a", false, 2*time.Second)
	require.Eventually(t, func() bool { return !a.Connected() }, 5*time.Second, tick)
	publishUntil(func() bool { return a.stats.outShed[KindSamples][shedDisconnected].Load() > 0 })

	opts2 := &server.Options{Host: "127.0.0.1", Port: port, NoSigs: true, NoLog: true}
	startServer(t, opts2)
	ch, _ := b.rec.waitChange(t, "a", true, 10*time.Second)
	assert.False(t, ch.MissedSince.IsZero())
	before := b.rec.sampleCount("a")
	publishUntil(func() bool { return b.rec.sampleCount("a") > before })
	assert.Positive(t, a.stats.reconnects.Load())
	assert.Zero(t, b.stats.decodeErrors.Load())
}

func startServer(t *testing.T, o *server.Options) *server.Server {
	t.Helper()
	srv, err := server.NewServer(o)
	require.NoError(t, err)
	srv.Start()
	require.True(t, srv.ReadyForConnections(10*time.Second))
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv
}
