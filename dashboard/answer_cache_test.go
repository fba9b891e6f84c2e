package dashboard

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// bareServer is a Server with only what the answer bound needs.
func bareServer(maxBytes int64) *Server {
	return &Server{opts: Options{MaxAnswerBytes: maxBytes}, metrics: newMetrics()}
}

// TestAnswerCacheSharesAndCounts: within its age the cache hands out one
// answer, built once; its bytes (plain, and the gzipped copy once made)
// are counted once by capacity while the cache or any holder has it, and
// released by the last one.
func TestAnswerCacheSharesAndCounts(t *testing.T) {
	s := bareServer(1 << 30)
	ac := answerCache{maxAge: time.Second}
	var builds int
	build := func(dst []byte) ([]byte, error) {
		builds++
		return append(dst, strings.Repeat("x", 100_000)...), nil
	}
	t0 := time.Unix(1000, 0)
	a, err := ac.get(s, t0, build)
	require.NoError(t, err)
	held := func() int64 { return s.answerBytes.Load() }
	require.Equal(t, int64(cap(a.plain)), held(), "counted by capacity")
	require.Equal(t, float64(held()), testutil.ToFloat64(s.metrics.answerBytes))

	var holders []*sharedAnswer
	for i := range 10 {
		b, err := ac.get(s, t0.Add(time.Duration(i)*90*time.Millisecond), build)
		require.NoError(t, err)
		require.Same(t, a, b)
		holders = append(holders, b)
	}
	require.Equal(t, 1, builds, "ten requests within the age, one build")
	require.Equal(t, int64(cap(a.plain)), held(), "counted once however many hold it")
	gz := a.gzipped()
	require.Same(t, &gz[0], &a.gzipped()[0], "gzipped once")
	require.Equal(t, int64(cap(a.plain)+cap(gz)), held())

	// A second old: a new build; the old answer stays counted while held.
	b, err := ac.get(s, t0.Add(time.Second), build)
	require.NoError(t, err)
	require.NotSame(t, a, b)
	require.Equal(t, 2, builds)
	require.Equal(t, int64(cap(a.plain)+cap(gz)+cap(b.plain)), held())
	a.release()
	for _, h := range holders {
		h.release()
	}
	require.Equal(t, int64(cap(b.plain)), held(), "the old one released by its last holder")
	b.release()
	ac.drop()
	require.Zero(t, held())
	require.Zero(t, testutil.ToFloat64(s.metrics.answerBytes))
}

// TestAnswerBoundRefusesBeforeBuilding: when the answers held fill the
// bound, a request that would build one is refused before anything is
// built (the cache's build, a range query) and counted nowhere; one
// reservation alone always passes.
func TestAnswerBoundRefusesBeforeBuilding(t *testing.T) {
	s := bareServer(1 << 20)
	ac := answerCache{maxAge: time.Second}
	require.True(t, s.holdAnswerBytes(1<<20), "one alone passes")
	_, err := ac.get(s, time.Unix(1000, 0), func([]byte) ([]byte, error) {
		t.Fatal("built while the bound is full")
		return nil, nil
	})
	require.ErrorIs(t, err, errAnswersFull)
	require.Nil(t, s.reserveAnswer(10))
	require.Equal(t, int64(1<<20), s.answerBytes.Load())
	s.adjustAnswerBytes(-(1 << 20))
	tk := s.reserveAnswer(2 << 20)
	require.NotNil(t, tk, "alone, even past the bound")
	tk.cancel()
	require.Zero(t, s.answerBytes.Load())
}

// TestNonReadingScrapersShareOneExposition (trial 14, round 6, F1): forty
// scrapers that send GET /metrics and never read hold one exposition (or
// two across an age, plus a gzipped copy), not forty, and the bound sees
// what is held. Built per scrape, they held forty expositions.
func TestNonReadingScrapersShareOneExposition(t *testing.T) {
	const n = 40_000
	f := newFixture(t, fixtureOptions{
		agg:  func(o *aggregator.Options) { o.MaxSeries, o.MaxSeriesPerSource = n, n },
		dash: func(o *Options) { o.SendBuffer = 4096; o.RequestRate, o.DearRate = -1, -1 },
	})
	f.push(n, 1)
	f.waitStored(n)
	code, _, body := f.httpDo(http.MethodGet, metricsPath, nil, nil)
	require.Equal(t, http.StatusOK, code)
	size := len(body)
	require.Greater(t, size, 1<<20, "an exposition far larger than the socket buffers")

	const scrapers = 40
	for i := range scrapers {
		conn, err := net.Dial("tcp", strings.TrimPrefix(f.base, "http://"))
		require.NoError(t, err)
		defer conn.Close()
		require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(4096))
		enc := ""
		if i%2 == 1 {
			enc = "Accept-Encoding: gzip\r\n"
		}
		_, err = conn.Write([]byte("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n" + enc + "\r\n"))
		require.NoError(t, err)
		_, err = bufio.NewReader(conn).Peek(1) // its answer is being written; read no further
		require.NoError(t, err)
	}
	held := f.srv.answerBytes.Load()
	t.Logf("%d non-reading scrapers of a %d-byte exposition hold %d bytes", scrapers, size, held)
	require.Equal(t, float64(held), testutil.ToFloat64(f.srv.metrics.answerBytes))
	require.Less(t, held, int64(5*size), "one or two expositions and their gzipped copies, not %d", scrapers)
	require.GreaterOrEqual(t, held, int64(size), "what is held is counted")
}

// TestMetricsCacheKeepsAuth: with a viewer token, a warm exposition is
// still not served to a scraper without the token, nor with a wrong one.
func TestMetricsCacheKeepsAuth(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.ViewerToken = "viewer-secret-0123456789" }})
	f.pushAndWait(3, 1)
	code, _, body := f.httpDo(http.MethodGet, metricsPath, nil, bearerHeader("viewer-secret-0123456789"))
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(body), `load{i="2",source="src"} 3`)
	for _, h := range []http.Header{nil, bearerHeader("wrong-token-0123456789")} {
		code, _, body = f.httpDo(http.MethodGet, metricsPath, nil, h)
		require.Equal(t, http.StatusUnauthorized, code)
		require.NotContains(t, string(body), "load{")
	}
}

// countingFeed counts the snapshots without points built.
type countingFeed struct {
	Feed
	lite atomic.Int64
}

func (c *countingFeed) SnapshotJSON(points bool) []byte {
	if !points {
		c.lite.Add(1)
	}
	return c.Feed.SnapshotJSON(points)
}

// TestSnapshotWithoutPointsIsShared (F4): a loop of snapshots without
// points is built about once a second, not per request.
func TestSnapshotWithoutPointsIsShared(t *testing.T) {
	var cf *countingFeed
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		cf = &countingFeed{Feed: o.Feed}
		o.Feed, o.RequestRate = cf, -1
	}})
	f.pushAndWait(50, 1)
	start := time.Now()
	for range 30 {
		code, h, body := f.httpDo(http.MethodGet, snapshotPath+"?points=0", nil, nil)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "application/json", h.Get("Content-Type"))
		require.Contains(t, string(body), `"type":"snapshot"`)
	}
	// One build per started second of the loop.
	require.LessOrEqual(t, cf.lite.Load(), int64(time.Since(start)/time.Second)+1)
}

// TestRangeRefusedBeforeQuery: with the bound full, a REST or WebSocket
// range request is refused before its query runs (nothing built for it),
// and counted.
func TestRangeRefusedBeforeQuery(t *testing.T) {
	var queries atomic.Int64
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.MaxAnswerBytes = 1 << 20
		o.Range = func(req protocol.RangeRequest) protocol.RangeAnswer {
			queries.Add(1)
			return manyPoints(req)
		}
	}})
	f.pushAndWait(3, 1)
	require.True(t, f.srv.holdAnswerBytes(1<<20)) // as slow readers would
	code, h, _ := f.httpDo(http.MethodGet, "/api/v1/series/02aa71c4e5b39f10?from=1", nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "1", h.Get("Retry-After"))
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.answersRefused.WithLabelValues(seriesPath)))

	c := f.dial("", nil)
	defer c.conn.Close()
	c.readType("hello")
	c.readType("snapshot")
	c.send(`{"type":"range","id":7,"series":["02aa71c4e5b39f10"],"from":1,"to":2000000}`)
	fr := c.readType("range")
	require.Contains(t, string(fr.raw), "too many large answers")
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.rangeRefused.WithLabelValues(rangeRefusedAnswers)))
	require.Zero(t, queries.Load(), "no query ran for a refused request")

	f.srv.adjustAnswerBytes(-(1 << 20))
	c.send(`{"type":"range","id":8,"series":["02aa71c4e5b39f10"],"from":1,"to":2000000}`)
	fr = c.readType("range")
	require.NotContains(t, string(fr.raw), "error")
	require.Equal(t, int64(1), queries.Load())
	require.Eventually(t, func() bool { return f.srv.answerBytes.Load() == 0 }, 5*time.Second, time.Millisecond,
		"a written WebSocket answer is released")
}

// TestAnswerCacheInFlightOnly: an in-flight-only cache (/metrics) hands
// an answer to the requests that come while a response holds it, and
// builds afresh for one that comes after: a scrape after a reload shows
// the reload (two CI runs read a removed source on /metrics), while
// scrapers that never read still share one.
func TestAnswerCacheInFlightOnly(t *testing.T) {
	s := bareServer(1 << 30)
	ac := answerCache{maxAge: time.Second, inFlightOnly: true}
	var builds int
	build := func(dst []byte) ([]byte, error) {
		builds++
		return append(dst, "state "+strconv.Itoa(builds)...), nil
	}
	t0 := time.Unix(1000, 0)
	a, err := ac.get(s, t0, build)
	require.NoError(t, err)
	b, err := ac.get(s, t0.Add(time.Millisecond), build)
	require.NoError(t, err)
	require.Same(t, a, b, "held by a response: shared")
	a.release()
	b.release()
	c, err := ac.get(s, t0.Add(2*time.Millisecond), build)
	require.NoError(t, err)
	require.NotSame(t, a, c, "written to all who asked: built afresh")
	require.Equal(t, "state 2", string(c.plain))
	c.release()
	require.Zero(t, s.answerBytes.Load(), "no response holds it: let go, not kept counted")
	require.Nil(t, ac.cur)
	ac.drop()
	require.Zero(t, s.answerBytes.Load())

	// A shared (not inFlightOnly) cache keeps its answer for its age.
	lite := answerCache{maxAge: time.Second}
	d, err := lite.get(s, t0, build)
	require.NoError(t, err)
	d.release()
	require.NotZero(t, s.answerBytes.Load())
	e, err := lite.get(s, t0.Add(time.Millisecond), build)
	require.NoError(t, err)
	require.Same(t, d, e)
	e.release()
	lite.drop()
	require.Zero(t, s.answerBytes.Load())
}
