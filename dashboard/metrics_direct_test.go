package dashboard

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
)

// A scraper that stops reading a 100k-series /metrics (7 MB, far more than
// the socket buffers take) holds nothing: while its response sits unread,
// ingest and publish go on (twenty deltas, each waited for), and once it
// reads, within the server's write timeout, it gets the whole body.
func TestSlowScraperHoldsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("100k series")
	}
	const n = 100_000
	f := newFixture(t, fixtureOptions{agg: func(o *aggregator.Options) {
		o.MaxSeries, o.MaxSeriesPerSource = n, n
	}})
	start := time.Now()
	f.push(n, 1)
	// Storing 100k new series takes a while on a busy machine.
	f.waitStored(n)
	t.Logf("100k series in %v", time.Since(start))

	conn, err := net.Dial("tcp", strings.TrimPrefix(f.base, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	_, err = br.Peek(1) // the response has started; read no further
	require.NoError(t, err)

	start = time.Now()
	for i := range 20 {
		f.pushAndWait(10, float64(i)) // fails after 5 s of no delta
	}
	t.Logf("20 deltas in %v", time.Since(start))

	require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), `load{i="99999",source="src"} 100000`+"\n")
	require.Contains(t, string(body), "# TYPE pulseboard_ws_clients gauge")
}

// /metrics is gzipped when the scraper accepts it, and says so; the
// store's series and the program's own metrics are both in it.
func TestMetricsGzipHasBothParts(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.pushAndWait(3, 1)
	code, h, body := f.httpDo("GET", "/metrics", nil, http.Header{"Accept-Encoding": {"gzip"}})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "gzip", h.Get("Content-Encoding"))
	require.True(t, strings.HasPrefix(h.Get("Content-Type"), "text/plain; version=0.0.4"), h.Get("Content-Type"))
	zr, err := gzip.NewReader(bytes.NewReader(body))
	require.NoError(t, err)
	text, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.Contains(t, string(text), `load{i="2",source="src"} 3`+"\n")
	require.Contains(t, string(text), "# TYPE pulseboard_ws_clients gauge")

	code, h, body = f.httpDo("GET", "/metrics", nil, http.Header{"Accept-Encoding": {"gzip;q=0, identity"}})
	require.Equal(t, http.StatusOK, code)
	require.Empty(t, h.Get("Content-Encoding"))
	require.Contains(t, string(body), `load{i="2",source="src"} 3`+"\n")
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                     false,
		"gzip":                 true,
		"deflate, GZIP;q=0.5":  true,
		"gzip;q=0":             false,
		"gzip; q=0.000, br":    false,
		"identity":             false,
		"x-gzip-nope, deflate": false,
	} {
		require.Equal(t, want, acceptsGzip(header), "%q", header)
	}
}
