package lograte

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newLogger(o Options) (*slog.Logger, *Handler, *bytes.Buffer, *clock) {
	var buf bytes.Buffer
	c := &clock{t: time.Date(2026, 11, 30, 19, 0, 0, 0, time.UTC)}
	o.Now = c.now
	h := New(slog.NewTextHandler(&buf, nil), o)
	return slog.New(h), h, &buf, c
}

func count(s, sub string) int { return strings.Count(s, sub) }

// A storm of one kind of line, its error and count changing at every
// line, is cut to Burst lines an interval and one summary; the counter
// has every dropped line.
func TestStormIsCutToBurstAndSummary(t *testing.T) {
	log, h, buf, c := newLogger(Options{Burst: 3, Interval: time.Minute})
	sup := log.With("component", "supervisor")
	for i := range 1000 {
		sup.Info("supervision", "supervisor", "collectors", "child", "storm1", "event", "exited",
			"restarts", i, "err", errors.New("panic: "+strings.Repeat("x", i%7)))
	}
	require.Equal(t, 3, count(buf.String(), "msg=supervision"), buf.String())
	require.EqualValues(t, 997, h.Suppressed(slog.LevelInfo))
	require.Zero(t, count(buf.String(), "more like this"), "no summary before the interval ends")

	c.add(time.Minute)
	sup.Info("supervision", "supervisor", "collectors", "child", "storm1", "event", "exited", "restarts", 1000)
	out := buf.String()
	require.Equal(t, 1, count(out, `msg="… 997 more like this"`), out)
	require.Contains(t, out, "component=supervisor like=supervision suppressed=997 within=1m0s supervisor=collectors child=storm1 event=exited")
	require.Equal(t, 4, count(out, "msg=supervision"), "a new interval writes again")
}

// Keys: another child, another event, another level or another logger's
// component is another kind of line, unlimited by the storm.
func TestKeysSplitByIdentity(t *testing.T) {
	log, _, buf, _ := newLogger(Options{Burst: 2})
	for range 50 {
		log.Info("supervision", "child", "storm1", "event", "exited")
	}
	log.Info("supervision", "child", "good", "event", "exited")
	log.Info("supervision", "child", "storm1", "event", "restarting")
	log.Warn("supervision", "child", "storm1", "event", "exited")
	log.With("component", "storage").Info("supervision", "child", "storm1", "event", "exited")
	log.WithGroup("g").Info("supervision", "child", "storm1", "event", "exited")
	require.Equal(t, 2+5, count(buf.String(), "supervision"), buf.String())
}

// Keys are bounded: past MaxKeys every new key shares one, so a log of
// unbounded variety still cannot pass MaxKeys × Burst lines an interval.
func TestKeysBounded(t *testing.T) {
	log, h, buf, _ := newLogger(Options{Burst: 1, MaxKeys: 4})
	for i := range 100 {
		log.Error("write failed", "path", strings.Repeat("p", i))
	}
	require.Equal(t, 4+1, count(buf.String(), "write failed"))
	require.EqualValues(t, 95, h.Suppressed(slog.LevelError))
	h.Flush(context.Background())
	require.Contains(t, buf.String(), `msg="… 95 more like this" like=…`)
}

// Flush writes what a storm dropped when the program exits before the
// interval ends, once.
func TestFlush(t *testing.T) {
	log, h, buf, _ := newLogger(Options{Burst: 1})
	for range 5 {
		log.Error("storage: write failed", "component", "storage")
	}
	h.Flush(context.Background())
	h.Flush(context.Background())
	require.Equal(t, 1, count(buf.String(), `msg="… 4 more like this"`), buf.String())
}

// Disabled levels are not counted (slog asks Enabled first).
func TestDisabledLevelNotCounted(t *testing.T) {
	var buf bytes.Buffer
	h := New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}), Options{Burst: 1})
	log := slog.New(h)
	for range 10 {
		log.Info("x")
	}
	require.Zero(t, h.Suppressed(slog.LevelInfo))
	require.Empty(t, buf.String())
}

// Many goroutines logging at once: the burst holds exactly.
func TestConcurrent(t *testing.T) {
	log, h, buf, _ := newLogger(Options{Burst: 5})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				log.Info("supervision", "child", "storm1")
			}
		})
	}
	wg.Wait()
	require.Equal(t, 5, count(buf.String(), "msg=supervision"))
	require.EqualValues(t, 1600-5, h.Suppressed(slog.LevelInfo))
}
