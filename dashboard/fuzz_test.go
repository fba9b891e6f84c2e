package dashboard

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// Per-input bounds the fuzzers hold every input to. Generous for a shared
// machine under -race; the inputs are at most a few KiB, so a parser that
// blows up (quadratic work, an expansion) is far above them.
const (
	fuzzMaxTime = 200 * time.Millisecond
	// fuzzAllocSlack is what one input may allocate beyond fuzzAllocPerByte
	// for each of its bytes. 1 MiB, as the collectors' fuzzers allow: the
	// allocation counter testtool.CostOf reads (runtime/metrics, which does
	// not stop the world) counts a span when a P's cache takes it, so one
	// small allocation can count for a few hundred KiB; a blow-up is MiBs.
	fuzzAllocSlack   = 1 << 20
	fuzzAllocPerByte = 64
)

// bounded runs f once and fails if it took longer than fuzzMaxTime or
// allocated more than the slack plus perByte for each of n input bytes,
// plus state: what an answer may cost because of what the server holds
// rather than what the client sent (a snapshot is as large as the store).
func bounded(t *testing.T, n, state int, f func()) {
	t.Helper()
	c := testtool.CostOf(f) // CPU time: a loaded machine's scheduling is not the parser's
	if c.CPU > fuzzMaxTime {
		t.Fatalf("took %v of CPU for %d input bytes", c.CPU, n)
	}
	if c.Bytes > uint64(fuzzAllocSlack+fuzzAllocPerByte*n+state) {
		t.Fatalf("allocated %d bytes for %d input bytes (%d allowed for the state)", c.Bytes, n, state)
	}
}

// chunkReader returns data in reads of at most size bytes, as frames of
// any fragmentation would reach readText.
type chunkReader struct {
	data []byte
	size int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.size)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// FuzzClientMessage feeds what a client may send, cut into reads of any
// size, through the reader's path: the UTF-8 check must agree with
// utf8.Valid, a message is kept only up to the limit, and a kept one
// parses to a resume or an ignore reason.
func FuzzClientMessage(f *testing.F) {
	for _, seed := range []string{
		`{"type":"resume","seq":42}`, `{"type":"resume","seq":0}`, `{"type":"resume"}`,
		`{"type":"subscribe","topic":"x"}`, `not json`, `{"type":"resume","seq":-1}`,
		`{"type":"resume","seq":18446744073709551616}`, `{"type":"resume","seq":1e3}`,
		`{"type":"resume","seq":0,"note":"é€😀"}`, "{\"type\":\"resume\",\"seq\":\xff}",
		"ab\xc3\xa9cd\x80", "ab\xe2\x82", "\xed\xa0\x80", `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`{"type":"resume","seq":1,"type":"resume","seq":2}`, `null`, `""`, `{"seq":{"a":[1,2,{"b":null}]}}`,
	} {
		f.Add([]byte(seed), uint8(7))
	}
	const max = 4 << 10
	buf := make([]byte, 512)
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		bounded(t, len(data), 0, func() {
			got, oversized, valid, err := readText(&chunkReader{data: data, size: int(cut%64) + 1}, max, 1<<30, buf)
			require.NoError(t, err)
			require.Equal(t, utf8.Valid(data), valid)
			if !valid {
				return
			}
			require.Equal(t, len(data) > max, oversized)
			if oversized {
				require.Nil(t, got)
				return
			}
			require.Equal(t, string(data), string(got))
			_, ignored := parseClientMessage(got)
			switch ignored {
			case "":
				// Only a well-formed resume gets here; its seq is what a
				// strict reading finds.
				require.True(t, strings.Contains(string(got), "resume") || strings.Contains(string(got), "range"), "%s", got)
			case ignoredMalformed, ignoredUnknown:
			default:
				t.Fatalf("unknown ignore reason %q", ignored)
			}
		})
	})
}

// restFixture is an app with a few series, driven without a network: one
// fasthttp handler call per request.
type restFixture struct {
	handler fasthttp.RequestHandler
	ids     []string
	snapLen int
}

func newRESTFixture(t testing.TB) *restFixture {
	agg := aggregator.New(aggregator.Options{})
	now := time.Now().UnixMilli()
	b := aggregator.Batch{Source: "src"}
	for i := range 5 {
		for j := range 20 {
			b.Samples = append(b.Samples, aggregator.Sample{Metric: "m", TimeMs: now - int64(20-j)*1000, Value: float64(i * j),
				Labels: aggregator.Labels{{Name: "i", Value: strconv.Itoa(i)}}})
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agg.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	require.True(t, agg.Push(ctx, b))
	require.Eventually(t, func() bool { return agg.Seq() > 0 }, 5*time.Second, time.Millisecond)

	// No dear budgets nor session budget: the fuzzer's requests come back
	// to back, and what it checks is the parameters' handling, not the
	// budgets (dear_test.go, sessions_test.go); with the session budget,
	// its upgrades were held for seconds once its burst was spent.
	srv, err := New(Options{Listen: "127.0.0.1:0", Feed: agg, DearRate: -1, WebSocket: WebSocketOptions{SessionRate: -1}})
	require.NoError(t, err)
	app := srv.newApp(ctx, newHub(srv, 10))
	snap := agg.SnapshotJSON(true)
	var ids []string
	for i := 0; ; {
		j := bytes.Index(snap[i:], []byte(`"id":"`))
		if j < 0 {
			break
		}
		i += j + 6
		ids = append(ids, string(snap[i:i+16]))
	}
	require.Len(t, ids, 5)
	return &restFixture{handler: app.Handler(), ids: ids, snapLen: len(snap)}
}

// get serves one GET for the raw request URI and returns status and body
// length.
func (r *restFixture) get(uri string, upgrade bool) (int, int) {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(fiber.MethodGet)
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetHost("127.0.0.1")
	if upgrade {
		ctx.Request.Header.Set("Connection", "Upgrade")
		ctx.Request.Header.Set("Upgrade", "websocket")
		ctx.Request.Header.Set("Sec-WebSocket-Version", "13")
		ctx.Request.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	}
	r.handler(&ctx)
	return ctx.Response.StatusCode(), len(ctx.Response.Body())
}

// FuzzRESTQuery sends the REST routes' and the handshake's parameters as a
// client may write them (?points=, ?resume=, series ids, anything else in
// the query): every answer is one of the route's documented codes, never a
// 5xx, bounded in size by the state it shows, and in time and memory.
func FuzzRESTQuery(f *testing.F) {
	for _, seed := range []struct {
		route uint8
		param string
	}{
		{0, "points=0"}, {0, "points=1"}, {0, "points=false"}, {0, "points=yes"}, {0, "points=0&points=1"},
		{0, "points=%00"}, {0, "points"}, {0, "&&&=&"},
		{1, "0000000000000000"}, {1, "ZZZZ"}, {1, "%2e%2e%2fmetrics"}, {1, "0123456789abcdef0"}, {1, ""},
		{2, "resume=0"}, {2, "resume=42"}, {2, "resume=abc"}, {2, "resume=-1"}, {2, "resume=18446744073709551616"},
		{2, "resume=+1"}, {2, "resume=0x10"}, {2, "resume=%20"}, {3, "token=x"}, {4, "a=b"},
	} {
		f.Add(seed.route, seed.param, uint8(0))
	}
	r := newRESTFixture(f)
	f.Fuzz(func(t *testing.T, route uint8, param string, pick uint8) {
		var uri string
		var upgrade bool
		var allowed []int
		switch route % 5 {
		case 0:
			uri, allowed = snapshotPath+"?"+param, []int{200, 400}
		case 1: // a series id, raw or one of the real ones with the fuzz after it
			id := url.PathEscape(param)
			if pick%2 == 0 {
				id = r.ids[int(pick/2)%len(r.ids)] + id
			}
			if id == "" {
				id = "x"
			}
			uri, allowed = "/api/v1/series/"+id, []int{200, 404}
		case 2:
			uri, upgrade, allowed = wsPath+"?"+param, true, []int{101, 400}
		case 3:
			uri, allowed = sourcesPath+"?"+param, []int{200}
		case 4:
			uri, allowed = "/?"+param, []int{200}
		}
		if !printable(param) {
			// fasthttp cannot parse such a request URI: it loses its path
			// (404) or, without the Host header, is refused like a foreign
			// one. (A real request line with these bytes never reaches a
			// handler.)
			allowed = append(allowed, fiber.StatusNotFound, fiber.StatusMisdirectedRequest)
		}
		// An answer may carry the whole snapshot: encoding it, and
		// fasthttp's copies of it, cost a few times its size.
		bounded(t, len(param), 8*r.snapLen, func() {
			code, n := r.get(uri, upgrade)
			require.Contains(t, allowed, code, "GET %q", uri)
			require.LessOrEqual(t, n, 2*r.snapLen+64<<10, "GET %q", uri)
		})
	})
}

func printable(s string) bool {
	for i := range len(s) {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// TestParseResumeQuery pins the handshake's ?resume= rules the fuzzer
// explores.
func TestParseResumeQuery(t *testing.T) {
	for q, want := range map[string]uint64{"0": 0, "42": 42, "18446744073709551615": 1<<64 - 1} {
		seq, ok, err := parseResumeQuery(q)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, want, seq)
	}
	_, ok, err := parseResumeQuery("")
	require.NoError(t, err)
	require.False(t, ok)
	for _, q := range []string{"-1", "+1", "0x10", "1e3", " 1", "18446744073709551616", "abc"} {
		_, _, err := parseResumeQuery(q)
		require.Error(t, err, q)
	}
}
