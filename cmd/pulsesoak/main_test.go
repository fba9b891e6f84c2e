package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pulseboard/pulseboard/configs"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, time.Minute, o.duration)
	t.Setenv("PULSESOAK_DURATION", "30m")
	o, err = parseFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 30*time.Minute, o.duration, "the environment sets the default")
	o, err = parseFlags([]string{"-duration", "90s"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 90*time.Second, o.duration, "the flag wins")
	o, err = parseFlags([]string{"-off", "reloads, hostile", "-server-env", "GOGC=100", "-server-env", "GODEBUG=gctrace=1", "-server-arg", "-storage.path="}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"reloads": true, "hostile": true}, o.off)
	require.Equal(t, []string{"GOGC=100", "GODEBUG=gctrace=1"}, o.serverEnv)
	require.Equal(t, []string{"-storage.path="}, o.serverArgs)
	for _, bad := range [][]string{{"-duration", "1s"}, {"-stalled", "-1"}, {"-churn", "0"}, {"-baseline", "0s"}, {"extra"},
		{"-off", "reloads,nope"}, {"-server-env", "GOGC"}, {"-server-env", "=1"}} {
		_, err := parseFlags(bad, io.Discard)
		require.Error(t, err, "%v", bad)
	}
	t.Setenv("PULSESOAK_DURATION", "soon")
	_, err = parseFlags(nil, io.Discard)
	require.ErrorContains(t, err, "PULSESOAK_DURATION")
	require.Equal(t, 2, realMain([]string{"-nope"}, io.Discard, io.Discard))
}

// TestReloadStepsAreWhatTheyClaim loads every file the soak saves over the
// config: the valid ones load, every other is refused, so a soak's reload
// counts mean what the report says.
func TestReloadStepsAreWhatTheyClaim(t *testing.T) {
	tg := &hostileTarget{addr: "127.0.0.1:9"}
	for v := range 2 {
		for _, st := range reloadSteps(18080, "tok", tg) {
			_, err := configs.Parse("soak.yaml", []byte(st.body(v)))
			if st.valid {
				require.NoError(t, err, "%s, variant %d", st.kind, v)
			} else {
				require.Error(t, err, "%s, variant %d", st.kind, v)
			}
		}
	}
	left := &hostileTarget{addr: tg.addr, left: true}
	cfg, err := configs.Parse("left.yaml", []byte(configText(1, "t", left, 1)))
	require.NoError(t, err, "-off hostile")
	for _, src := range cfg.Sources {
		require.NotContains(t, []string{"huge", "bomb", "slow"}, src.Name, "-off hostile leaves the hostile sources out")
	}
	a, err := configs.Parse("a.yaml", []byte(configText(1, "t", tg, 0)))
	require.NoError(t, err)
	b, err := configs.Parse("b.yaml", []byte(configText(1, "t", tg, 1)))
	require.NoError(t, err)
	for _, h := range healthy {
		i := indexOf(t, a, h.name)
		require.True(t, a.Sources[i].Equal(b.Sources[indexOf(t, b, h.name)]), "a reload never changes %s", h.name)
		require.Equal(t, time.Duration(h.interval*float64(time.Second)), time.Duration(a.Sources[i].Interval), h.name)
	}
	require.Greater(t, len(b.Sources), len(a.Sources), "variants differ")
}

func indexOf(t *testing.T, c *configs.Config, name string) int {
	t.Helper()
	for i, s := range c.Sources {
		if s.Name == name {
			return i
		}
	}
	t.Fatalf("no source %s", name)
	return -1
}

func TestHostileTarget(t *testing.T) {
	tg, err := startTarget()
	require.NoError(t, err)
	defer tg.close()
	// As the prometheus source does: ask for nothing, inflate nothing.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	get := func(path string) *http.Response {
		resp, err := client.Get(tg.url(path))
		require.NoError(t, err)
		return resp
	}
	resp := get("/huge")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, bytes.Count(body, []byte("\n"))-1)
	require.Greater(t, len(body), 2_000_000)

	resp = get("/bomb")
	require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	wire, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	zr, err := gzip.NewReader(bytes.NewReader(wire))
	require.NoError(t, err)
	n, err := io.Copy(io.Discard, zr)
	require.NoError(t, err)
	require.Equal(t, int64(64<<20), n)
	require.Less(t, len(wire), 1<<20)

	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, tg.url("/slow"), nil)
	resp, err = client.Do(req)
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.ErrorIs(t, err, context.DeadlineExceeded, "the body never ends")
}

func TestExpositionValue(t *testing.T) {
	text := "# TYPE pulseboard_source_polls_total counter\n" +
		"pulseboard_source_polls_total{source=\"a\"} 10\npulseboard_source_polls_total{source=\"b\"} 5\n" +
		"# TYPE go_goroutines gauge\ngo_goroutines 42\n"
	e := parseExposition(t, text)
	require.Equal(t, 10.0, e.value("pulseboard_source_polls_total", "source", "a"))
	require.Equal(t, 15.0, e.value("pulseboard_source_polls_total"), "no labels asked: the sum")
	require.Equal(t, 0.0, e.value("pulseboard_source_polls_total", "source", "c"))
	require.Equal(t, 42.0, e.value("go_goroutines"))
	require.Equal(t, 0.0, e.value("missing"))
}

// TestEvaluate breaks each invariant in turn on a report that holds them all.
func TestEvaluate(t *testing.T) {
	good := func() *report {
		r := &report{BaselineP99Ms: 10, LoadP99Ms: 19, ReaderRounds: 1, ChurnRounds: 1, Scrapes: 1,
			Crashes: map[int]int{202: 3, 409: 1}, ReloadResults: map[string]float64{"success": 2, "failure": 3},
			Rhythm:       map[string]float64{},
			MemoryBefore: memory{Goroutines: 30, HeapInuseMiB: 20}, MemoryAfter: memory{Goroutines: 40, HeapInuseMiB: 29}}
		for _, h := range healthy {
			r.Rhythm[h.name] = 0.97
		}
		return r
	}
	r := good()
	r.evaluate()
	require.Empty(t, r.Failures)
	var out strings.Builder
	r.print(&out)
	require.Contains(t, out.String(), "PASS")

	for name, breakIt := range map[string]func(r *report){
		"rhythm":     func(r *report) { r.Rhythm[healthy[0].name] = 0.96 },
		"gap":        func(r *report) { r.Gaps = 1 },
		"p99":        func(r *report) { r.LoadP99Ms = 20.1 },
		"5xx":        func(r *report) { r.Crashes[500] = 1 },
		"no crash":   func(r *report) { delete(r.Crashes, 202) },
		"no refusal": func(r *report) { r.ReloadResults["failure"] = 0 },
		"errors":     func(r *report) { r.errorf("x") },
		"goroutines": func(r *report) { r.MemoryAfter.Goroutines = 41 },
		"heap":       func(r *report) { r.MemoryAfter.HeapInuseMiB = 29.1 },
		"exit":       func(r *report) { r.ExitCode = 1 },
		"no rounds":  func(r *report) { r.ChurnRounds = 0 },
		// A baseline of a busy machine: twice it would pass anything.
		"noisy baseline": func(r *report) { r.BaselineP99Ms, r.LoadP99Ms = 1369.5, 374.2 },
	} {
		r := good()
		breakIt(r)
		r.evaluate()
		require.Len(t, r.Failures, 1, name)
		out.Reset()
		r.print(&out)
		require.Contains(t, out.String(), "FAIL: ", name)
	}
	r = good()
	r.BaselineP99Ms, r.LoadP99Ms = 1, 6
	r.evaluate()
	require.Empty(t, r.Failures, "a 1 ms baseline allows 6 ms")
}

func parseExposition(t *testing.T, text string) exposition {
	t.Helper()
	e, err := parseText([]byte(text))
	require.NoError(t, err)
	return e
}

func TestHistQuantile(t *testing.T) {
	scrape := func(b1, b2, b3, inf int) exposition {
		text := fmt.Sprintf(`# TYPE pulseboard_ws_delivery_delay_seconds histogram
pulseboard_ws_delivery_delay_seconds_bucket{le="0.001"} %d
pulseboard_ws_delivery_delay_seconds_bucket{le="0.002"} %d
pulseboard_ws_delivery_delay_seconds_bucket{le="0.004"} %d
pulseboard_ws_delivery_delay_seconds_bucket{le="+Inf"} %d
pulseboard_ws_delivery_delay_seconds_sum 1
pulseboard_ws_delivery_delay_seconds_count %d
`, b1, b2, b3, inf, inf)
		e, err := parseText([]byte(text))
		require.NoError(t, err)
		return e
	}
	a := scrape(100, 100, 100, 100)
	// Between the scrapes: 90 under 1 ms, 9 under 2 ms, 1 under 4 ms.
	b := scrape(190, 199, 200, 200)
	require.Equal(t, 2.0, histQuantile(a, b, deliveryHist, 0.99))
	require.Equal(t, 1.0, histQuantile(a, b, deliveryHist, 0.9))
	require.Equal(t, 4.0, histQuantile(a, b, deliveryHist, 1))
	// One beyond the last bound.
	require.True(t, math.IsInf(histQuantile(a, scrape(100, 100, 100, 101), deliveryHist, 0.99), 1))
	require.Zero(t, histQuantile(a, a, deliveryHist, 0.99), "nothing observed")
	require.Zero(t, histQuantile(exposition{}, b, deliveryHist, 0.99), "a scrape without it")
}
