package collectors

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

func jsonFixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "stats.json"))
	require.NoError(t, err)
	return string(b)
}

func TestExtractJSON(t *testing.T) {
	fields := []jsonField{
		{"consumer_lag", "queue.consumers.0.lag"},
		{"consumers", "queue.consumers.#"},
		{"degraded", "degraded"},
		{"depth", "queue.depth"},
		{"healthy", "healthy"},
		{"last_lag", "queue.consumers.#.lag|@reverse|0"},
		{"missing", "queue.nope"},
		{"nested", "nested"},
		{"nothing", "nothing"},
		{"uptime", "uptime"},
		{"version", "version"},
	}
	samples, errs, err := extractJSON([]byte(jsonFixture(t)), fields, nowMs, nil)
	require.NoError(t, err)
	got := map[string]float64{}
	for _, s := range samples {
		require.Equal(t, nowMs, s.TimeMs)
		got[s.Metric] = s.Value
	}
	require.Equal(t, map[string]float64{
		"consumer_lag": 3.5,
		"consumers":    2,
		"degraded":     0,
		"depth":        17,
		"healthy":      1,
		"last_lag":     1,
		"uptime":       12345.5,
	}, got)
	require.Len(t, errs, 4)
	require.EqualError(t, errs[0], `field missing (path "queue.nope"): not found`)
	require.EqualError(t, errs[1], `field nested (path "nested"): not numeric: {"a": 1}`)
	require.EqualError(t, errs[2], `field nothing (path "nothing"): not numeric: null`)
	require.EqualError(t, errs[3], `field version (path "version"): not numeric: string "1.4.2"`)
}

func TestExtractJSONNaNIsAValueInfinityIsNot(t *testing.T) {
	fields := []jsonField{{"a", "a"}, {"b", "b"}, {"c", "c"}}
	samples, errs, err := extractJSON([]byte(`{"a":"NaN","b":"-Inf","c":1e999}`), fields, nowMs, nil)
	require.NoError(t, err)
	require.Len(t, samples, 1)
	require.Equal(t, "a", samples[0].Metric)
	require.True(t, math.IsNaN(samples[0].Value))
	require.Len(t, errs, 2)
	for _, e := range errs {
		require.ErrorContains(t, e, "not finite")
	}
}

func TestExtractJSONGarbage(t *testing.T) {
	for _, body := range []string{"", "{", "<html>", `{"a":1}{`, "\x00"} {
		_, _, err := extractJSON([]byte(body), []jsonField{{"a", "a"}}, nowMs, nil)
		require.ErrorContains(t, err, "not valid JSON", "%q", body)
	}
}

func TestJSONSourcePartialFailureIsNotAFailedPoll(t *testing.T) {
	srv := newTestServer(t, false)
	cfg := urlSource(configs.TypeJSON, srv.URL+"/stats")
	jsonSpec(cfg).Fields = map[string]string{"depth": "queue.depth", "gone": "queue.gone"}
	src, err := NewSource(cfg, testEnv(nil))
	require.NoError(t, err)
	defer closeSource(src, Env{}.logger(), nil)

	samples, err := src.Poll(t.Context())
	require.NoError(t, err)
	require.Len(t, samples, 1)
	require.Equal(t, "depth", samples[0].Metric)
	require.Equal(t, 17.0, samples[0].Value)
	p := src.(PartialReporter).LastPartial()
	require.Len(t, p.Errors, 1)
	require.ErrorContains(t, p.Errors[0], "field gone")
	h, _ := srv.lastRequest()
	require.Equal(t, "pulseboard/test", h.Get("User-Agent"))
}

func TestJSONSourceFailures(t *testing.T) {
	srv := newTestServer(t, false)
	cases := []struct {
		name, url string
		fields    map[string]string
		maxBody   int64
		is        error
		text      string
	}{
		{"no field works", srv.URL + "/stats", map[string]string{"a": "x.y", "b": "version"}, 0, ErrNoValues, `field a (path "x.y"): not found`},
		{"infinities only", srv.URL + "/nan.json", map[string]string{"b": "b", "c": "c"}, 0, ErrNoValues, "not finite"},
		{"garbage", srv.URL + "/garbage", map[string]string{"a": "a"}, 0, nil, "body is not valid JSON"},
		{"404", srv.URL + "/404", map[string]string{"a": "a"}, 0, ErrStatus, "404 Not Found"},
		{"500", srv.URL + "/500", map[string]string{"a": "a"}, 0, ErrStatus, "500"},
		{"huge", srv.URL + "/huge", map[string]string{"a": "a"}, 100, ErrBodyTooLarge, "body exceeds 100 bytes"},
		{"refused", refusedURL(t), map[string]string{"a": "a"}, 0, nil, "connection refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := urlSource(configs.TypeJSON, tc.url)
			jsonSpec(cfg).Fields = tc.fields
			if tc.maxBody > 0 {
				client(cfg).MaxBodyBytes = tc.maxBody
			}
			samples, err := pollWith(t, cfg, testEnv(nil), 5*time.Second)
			require.Empty(t, samples)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			require.ErrorContains(t, err, tc.text)
		})
	}
	cfg := urlSource(configs.TypeJSON, srv.URL+"/slow")
	jsonSpec(cfg).Fields = map[string]string{"a": "a"}
	_, err := pollWith(t, cfg, testEnv(nil), 200*time.Millisecond)
	require.ErrorIs(t, err, ErrTimeout)
}

// TestExtractJSONErrorsAreOneLine: a value that is not a number is quoted
// on one line, cut at a character boundary.
func TestExtractJSONErrorsAreOneLine(t *testing.T) {
	body := []byte("{\"o\": {\n\t\"a\": 1,\n\t\"b\": 2\n}, \"s\": \"" + strings.Repeat("é", 30) + "\"}")
	_, errs, err := extractJSON(body, []jsonField{{"o", "o"}, {"s", "s"}}, nowMs, nil)
	require.NoError(t, err)
	require.Len(t, errs, 2)
	require.EqualError(t, errs[0], `field o (path "o"): not numeric: { "a": 1, "b": 2 }`)
	require.EqualError(t, errs[1], `field s (path "s"): not numeric: string "`+strings.Repeat("é", 20)+`…"`)
}
