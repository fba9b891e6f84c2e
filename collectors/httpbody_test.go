package collectors

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func zlibbed(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func deflated(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, flate.DefaultCompression)
	require.NoError(t, err)
	_, err = zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestReadBody(t *testing.T) {
	plain := []byte("a 1\nb 2\n")
	for _, tc := range []struct {
		name, encoding string
		body           []byte
	}{
		{"none", "", plain},
		{"identity", "identity", plain},
		{"gzip", "gzip", gzipped(t, plain)},
		{"x-gzip, upper case", "X-Gzip", gzipped(t, plain)},
		{"deflate as zlib", "deflate", zlibbed(t, plain)},
		{"deflate raw", "deflate", deflated(t, plain)},
		{"gzip twice", "gzip, gzip", gzipped(t, gzipped(t, plain))},
		{"identity in a list", "identity, gzip", gzipped(t, plain)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readBody(bytes.NewReader(tc.body), tc.encoding, 1<<10, nil)
			require.NoError(t, err)
			require.Equal(t, plain, got)
		})
	}
	got, err := readBody(http.NoBody, "gzip", 10, nil)
	require.NoError(t, err, "a HEAD answer or a 204 carries the header and no body")
	require.Empty(t, got)
}

func TestReadBodyFailures(t *testing.T) {
	plain := []byte(strings.Repeat("sample 1\n", 100)) // 900 bytes
	gz := gzipped(t, plain)
	corrupt := bytes.Clone(gz)
	corrupt[len(corrupt)-5] ^= 0xff // the CRC-32 of the trailer
	for _, tc := range []struct {
		name, encoding string
		body           []byte
		limit          int64
		is             error
		text           string
	}{
		{"plain over the limit", "", plain, 899, ErrBodyTooLarge, "body exceeds 899 bytes"},
		{"inflated over the limit", "gzip", gz, 899, ErrBodyTooLarge, "body larger than 899 bytes after decompression"},
		{"compressed over the limit", "gzip", gz, 10, ErrBodyTooLarge, "compressed body exceeds 10 bytes"},
		{"not gzip", "gzip", plain, 1 << 20, ErrEncoding, "body is not valid gzip: gzip: invalid header"},
		{"bad checksum", "gzip", corrupt, 1 << 20, ErrEncoding, "body is not valid gzip: gzip: invalid checksum"},
		{"cut short", "gzip", gz[:len(gz)/2], 1 << 20, ErrEncoding, "body is not valid gzip: unexpected EOF"},
		{"garbage after the stream", "gzip", append(bytes.Clone(gz), "junk"...), 1 << 20, ErrEncoding, "body is not valid gzip"},
		{"not deflate", "deflate", plain, 1 << 20, ErrEncoding, "body is not valid deflate"},
		{"unsupported", "br", plain, 1 << 20, ErrEncoding, `"br" is not supported (gzip and deflate are)`},
		{"too many", "gzip, gzip, gzip", gz, 1 << 20, ErrEncoding, "3 codings stacked (at most 2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readBody(bytes.NewReader(tc.body), tc.encoding, tc.limit, nil)
			require.Nil(t, got)
			require.ErrorIs(t, err, tc.is)
			require.ErrorContains(t, err, tc.text)
		})
	}
}

// TestReadBodyBomb: 64 MiB of zeros is a 64 KiB gzip stream; reading it
// stops at the limit, long before the end of the stream.
func TestReadBodyBomb(t *testing.T) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	require.NoError(t, err)
	zeros := make([]byte, 1<<20)
	for range 64 {
		_, err := zw.Write(zeros)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	const limit = 1 << 20
	require.Less(t, buf.Len(), limit, "the compressed stream is within the limit")
	counted := &countingReader{r: bytes.NewReader(buf.Bytes())}
	_, err = readBody(counted, "gzip", limit, nil)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	require.EqualError(t, err, "body larger than 1048576 bytes after decompression (max_body_bytes)")
	require.Less(t, counted.n, int64(buf.Len())/8, "the stream is not read to its end")
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// encodingServer answers body as contentType, encoded the way a real
// server negotiates: gzip if the request accepts it, else deflate if it
// accepts that, else plain. It records the request headers.
type encodingServer struct {
	*httptest.Server
	mu     sync.Mutex
	header http.Header
	used   string
}

func newEncodingServer(t *testing.T, body []byte, contentType string) *encodingServer {
	t.Helper()
	es := &encodingServer{}
	es.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ae := r.Header.Get("Accept-Encoding")
		used, out := "", body
		switch {
		case strings.Contains(ae, "gzip"):
			used, out = "gzip", gzipped(t, body)
		case strings.Contains(ae, "deflate"):
			used, out = "deflate", zlibbed(t, body)
		}
		es.mu.Lock()
		es.header, es.used = r.Header.Clone(), used
		es.mu.Unlock()
		w.Header().Set("Content-Type", contentType)
		if used != "" {
			w.Header().Set("Content-Encoding", used)
		}
		_, _ = w.Write(out)
	}))
	t.Cleanup(es.Close)
	return es
}

func (es *encodingServer) last() (http.Header, string) {
	es.mu.Lock()
	defer es.mu.Unlock()
	return es.header, es.used
}

// TestCompressedBodies polls a prometheus and a json source against a
// server that compresses, with Accept-Encoding left to pulseboard and
// set in the config (as copied from curl --compressed): the values are
// read either way.
func TestCompressedBodies(t *testing.T) {
	targets := []struct {
		typ, contentType, body string
		want                   map[string]float64
	}{
		{configs.TypePrometheus, ctClassic, "# TYPE queue_depth gauge\nqueue_depth 17\n", map[string]float64{"queue_depth{}": 17}},
		{configs.TypeJSON, "application/json", `{"a": 17}`, map[string]float64{"m{}": 17}},
	}
	headers := []struct {
		name, acceptEncoding, wantSent, wantUsed string
	}{
		{"not set", "", "gzip", "gzip"},
		{"gzip set", "gzip", "gzip", "gzip"},
		{"curl's list", "deflate, gzip, br, zstd", "deflate, gzip, br, zstd", "gzip"},
		{"deflate set", "deflate", "deflate", "deflate"},
		{"identity set", "identity", "identity", ""},
	}
	for _, target := range targets {
		srv := newEncodingServer(t, []byte(target.body), target.contentType)
		for _, h := range headers {
			t.Run(target.typ+"/"+h.name, func(t *testing.T) {
				cfg := urlSource(target.typ, srv.URL)
				if h.acceptEncoding != "" {
					client(cfg).Headers = map[string]string{"Accept-Encoding": h.acceptEncoding}
				}
				samples, err := pollWith(t, cfg, testEnv(nil), 5*time.Second)
				require.NoError(t, err)
				got := map[string]float64{}
				for k, s := range byMetric(samples) {
					got[k] = s.Value
				}
				require.Equal(t, target.want, got)
				sent, used := srv.last()
				require.Equal(t, h.wantSent, sent.Get("Accept-Encoding"))
				require.Equal(t, h.wantUsed, used)
			})
		}
	}
}

// TestCompressedBodyFailures: one server per failure mode, each source
// type that reads a document.
func TestCompressedBodyFailures(t *testing.T) {
	bomb := gzipped(t, make([]byte, 8<<20))
	notGzip := []byte("# TYPE a gauge\na 1\n")
	for _, tc := range []struct {
		name     string
		body     []byte
		encoding string
		is       error
		text     string
	}{
		{"bomb", bomb, "gzip", ErrBodyTooLarge, "body larger than 65536 bytes after decompression"},
		{"corrupt", notGzip, "gzip", ErrEncoding, "body is not valid gzip"},
		{"unsupported", notGzip, "br", ErrEncoding, `"br" is not supported`},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", tc.encoding)
			_, _ = w.Write(tc.body)
		}))
		t.Cleanup(srv.Close)
		for _, typ := range []string{configs.TypePrometheus, configs.TypeJSON, configs.TypeHTTP} {
			t.Run(tc.name+"/"+typ, func(t *testing.T) {
				cfg := urlSource(typ, srv.URL+"/x?token=t0ken")
				client(cfg).MaxBodyBytes = 64 << 10
				client(cfg).Headers = map[string]string{"Accept-Encoding": "gzip"}
				_, err := pollWith(t, cfg, testEnv(nil), 5*time.Second)
				require.ErrorIs(t, err, tc.is)
				require.ErrorContains(t, err, "GET "+srv.URL+"/x?token=xxxxx: ")
				require.ErrorContains(t, err, tc.text)
			})
		}
	}
}

// TestAcceptNegotiation: the prometheus source asks for what Prometheus
// asks for, the json source for JSON, a configured Accept wins, and a
// target that answers OpenMetrics is read as OpenMetrics.
func TestAcceptNegotiation(t *testing.T) {
	var mu sync.Mutex
	var accept string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		accept = r.Header.Get("Accept")
		mu.Unlock()
		if strings.Contains(r.Header.Get("Accept"), "application/openmetrics-text") {
			w.Header().Set("Content-Type", ctOM)
			_, _ = io.WriteString(w, "# TYPE shop_orders counter\nshop_orders_total 17\nshop_orders_created 1.7e9\n# EOF\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"a": 3}`)
	}))
	t.Cleanup(srv.Close)
	lastAccept := func() string {
		mu.Lock()
		defer mu.Unlock()
		return accept
	}

	samples, err := pollWith(t, urlSource(configs.TypePrometheus, srv.URL), testEnv(nil), 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, ScrapeAccept, lastAccept())
	require.Len(t, samples, 1, "_created is not a series")
	require.Equal(t, "shop_orders_total", samples[0].Metric)
	require.Equal(t, aggregator.KindCounter, samples[0].Kind)
	require.Equal(t, 17.0, samples[0].Value)

	_, err = pollWith(t, urlSource(configs.TypeJSON, srv.URL), testEnv(nil), 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, "application/json", lastAccept())

	cfg := urlSource(configs.TypePrometheus, srv.URL)
	client(cfg).Headers = map[string]string{"accept": "text/plain;version=0.0.4"}
	_, err = pollWith(t, cfg, testEnv(nil), 5*time.Second)
	require.Error(t, err, "the JSON answer to a classic-only Accept does not parse")
	require.Equal(t, "text/plain;version=0.0.4", lastAccept(), "a configured Accept wins")
}
