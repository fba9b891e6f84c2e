package storage

import (
	"bytes"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// logBuf collects a DB's log lines (text handler) for assertions.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) lines(level string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.Lines(l.buf.String()) {
		if strings.Contains(line, "level="+level) {
			out = append(out, line)
		}
	}
	return out
}

func (l *logBuf) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// clock is an injectable Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// open opens a DB in dir, closed at the end of the test.
func open(t testing.TB, o Options) *DB {
	t.Helper()
	db, err := Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// block builds a block whose data names it, so a read can be checked.
func block(t Tier, series uint64, start, end int64, points int) Block {
	return Block{Tier: t, Series: series, Start: start, End: end, Points: points,
		Data: fmt.Appendf(nil, "%s/%d/%d", t, series, start)}
}

// read collects the blocks Blocks yields, with Data copied.
func read(t testing.TB, db *DB, tier Tier, series uint64, from, to int64) []Block {
	t.Helper()
	var out []Block
	err := db.Blocks(tier, series, from, to, func(b Block) bool {
		b.Data = bytes.Clone(b.Data)
		out = append(out, b)
		return true
	})
	if err != nil {
		t.Fatalf("Blocks: %v", err)
	}
	return out
}

func starts(bs []Block) []int64 {
	out := make([]int64, len(bs))
	for i, b := range bs {
		out[i] = b.Start
	}
	return out
}

const (
	minute = int64(60 * 1000)
	hour   = 60 * minute
	day    = 24 * hour
)

func timeAt(ms int64) time.Time { return time.UnixMilli(ms) }

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// countHistogram is the sample count of pulseboard_storage_flush_seconds.
func countHistogram(t *testing.T, db *DB) int {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(db.Collector())
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "pulseboard_storage_flush_seconds" {
			return int(mf.GetMetric()[0].GetHistogram().GetSampleCount())
		}
	}
	t.Fatal("no pulseboard_storage_flush_seconds")
	return 0
}
