package dashboard

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator/protocol"
)

// manyPoints answers every range request with 2,000 points (about 70 KB).
func manyPoints(req protocol.RangeRequest) protocol.RangeAnswer {
	pts := make([]protocol.RangePoint, 2000)
	for i := range pts {
		pts[i] = protocol.RangePoint{T: req.From + int64(i)*1000, Mean: 1.234567, Min: 0.5, Max: 2.5}
	}
	return protocol.RangeAnswer{From: req.From, To: req.To, Step: 1000, Tier: "raw",
		Series: []protocol.RangeSeries{{ID: req.Series[0], Points: pts}}}
}

// TestAnswersHeldWhileWrittenAreBounded: a range answer a client does not
// read is counted until written; while it holds the bound, a further
// answer is refused with 503 and Retry-After and counted; once the slow
// client is gone, its bytes are released and answers flow again.
func TestAnswersHeldWhileWrittenAreBounded(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.Range = manyPoints
		o.MaxAnswerBytes = 1 // any second answer in flight passes it
		o.SendBuffer = 4096
	}})
	const path = "/api/v1/series/02aa71c4e5b39f10?from=1"
	inFlight := func() float64 { return testutil.ToFloat64(f.srv.metrics.answerBytes) }

	// A client that asks and never reads.
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.base, "http://"))
	require.NoError(t, err)
	require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(4096))
	_, err = conn.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return inFlight() > 50_000 }, 5*time.Second, 5*time.Millisecond,
		"the unread answer is counted while fasthttp holds it")

	code, h, body := f.httpDo(http.MethodGet, path, nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "1", h.Get("Retry-After"))
	require.Contains(t, errorBody(t, h, body), "too many large answers")
	require.Equal(t, 1.0, testutil.ToFloat64(f.srv.metrics.answersRefused.WithLabelValues(seriesPath)))

	require.NoError(t, conn.Close())
	require.Eventually(t, func() bool { return inFlight() == 0 }, 15*time.Second, 5*time.Millisecond,
		"released when the write fails")
	code, _, body = f.httpDo(http.MethodGet, path, nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Greater(t, len(body), 50_000)
	// fasthttp closes the body stream after its last write: the client
	// may have read it all a moment before.
	require.Eventually(t, func() bool { return inFlight() == 0 }, 5*time.Second, time.Millisecond,
		"released once written")

	// /metrics (the aggregator's direct exposition) is counted too, and
	// once written to the only scrape that asked, nothing is kept: the
	// next scrape builds afresh.
	code, _, _ = f.httpDo(http.MethodGet, "/metrics", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool { return inFlight() == 0 }, 5*time.Second, time.Millisecond,
		"released once written")
}
