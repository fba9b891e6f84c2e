package main

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// What the open page's charts cost, counted in ways that do not depend on
// the machine's load: how many charts are drawn a second, over how many
// points and how large a canvas, beside the time (which does) each draw,
// its canvas work and its frame took. It complements TestBrowserCPU, whose
// busy figure moves with whatever else the shared machine runs.
//
//	go test ./cmd/pulseboard -run 'TestBrowserChartDraws$' -v
//	PULSEBOARD_CPU_WINDOW=30s go test ./cmd/pulseboard -run 'TestBrowserChartDraws$' -v
//
// drawHook wraps uPlot before the page's scripts run, so that the page is
// measured as it is: a plugin first and one last in every chart's list
// time uPlot's canvas drawing (drawClear to the last draw hook: axes,
// lines, bands, the alert and marker plugins), and the instance's batch
// and setData are timed whole (data, scales, axes, drawing). Every
// requestAnimationFrame callback is timed too (the page's frame: data
// tables, chart updates, card text).
const drawHook = `(() => {
  const d = window.__draws = {draws: [], frames: [], made: 0};
  const now = () => performance.now();
  const count = (ys) => { let n = 0; for (const y of ys || []) if (y !== null && y !== undefined) n++; return n; };
  let U;
  Object.defineProperty(window, "uPlot", {configurable: true, get: () => U, set(orig) {
    U = new Proxy(orig, {construct(target, [opts, data, then]) {
      let t0 = 0, update = 0;
      const first = {hooks: {drawClear: [() => { t0 = now(); }]}};
      const last = {hooks: {draw: [(u) => {
        let points = 0, paths = 0;
        for (let i = 1; i < u.data.length; i++) if (u.series[i] && u.series[i].show) { points += count(u.data[i]); paths++; }
        d.draws.push({t: t0, canvas: now() - t0, update, points, paths, rows: u.data[0].length,
          px: u.ctx.canvas.width * u.ctx.canvas.height, plotW: u.bbox.width,
          chart: ((u.root.closest(".group") || {dataset: {}}).dataset.source || "") + "/" + ((u.root.closest(".card") || {}).id || "")});
        update = 0;
      }]}};
      opts.plugins = [first, ...(opts.plugins || []), last];
      const s = now();
      const u = new target(opts, data, then);
      d.made++;
      const timed = (name) => {
        const f = u[name];
        u[name] = function (...a) {
          const s = now();
          try { return f.apply(this, a); } finally { if (d.draws.length && d.draws.at(-1).t >= s) d.draws.at(-1).update = now() - s; }
        };
      };
      timed("batch");
      if (d.draws.length && d.draws.at(-1).t >= s) d.draws.at(-1).update = now() - s;
      return u;
    }});
  }});
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (fn) => raf((ts) => {
    const s = now();
    try { fn(ts); } finally { d.frames.push({t: s, ms: now() - s}); }
  });
})();`

// drawFigures sums what drawHook saw over a window of wall seconds.
type drawFigures struct {
	seconds                    float64
	draws, frames, drawFrames  int
	inView                     int
	medCanvas, medUpdate       float64 // ms per chart draw: canvas work; the whole update
	medPoints, medRows, medPx  float64 // per chart draw
	medPlotW                   float64 // device px
	sumCanvas, sumUpdate       float64 // ms a second
	sumFrames                  float64 // ms a second of frame callbacks
	medDrawFrame, maxDrawFrame float64 // ms per frame that drew a chart
}

func (f drawFigures) String() string {
	return fmt.Sprintf("%d charts in view; %.2f chart draws/s in %.2f frames/s (%.2f frames/s drew a chart); per chart draw (medians): "+
		"%.0f points in %.0f rows, plot %.0f device px wide, canvas %.0f kpx, canvas work %.2f ms, whole update %.2f ms; "+
		"a second: canvas %.1f ms, updates %.1f ms, frame callbacks %.1f ms; frame that drew: median %.1f ms, longest %.1f ms",
		f.inView, float64(f.draws)/f.seconds, float64(f.frames)/f.seconds, float64(f.drawFrames)/f.seconds,
		f.medPoints, f.medRows, f.medPlotW, f.medPx/1000, f.medCanvas, f.medUpdate,
		f.sumCanvas/f.seconds, f.sumUpdate/f.seconds, f.sumFrames/f.seconds, f.medDrawFrame, f.maxDrawFrame)
}

type drawRecord struct {
	T      float64 `json:"t"`
	Canvas float64 `json:"canvas"`
	Update float64 `json:"update"`
	Points float64 `json:"points"`
	Rows   float64 `json:"rows"`
	Px     float64 `json:"px"`
	PlotW  float64 `json:"plotW"`
}

type frameRecord struct {
	T  float64 `json:"t"`
	Ms float64 `json:"ms"`
}

// measureDraws counts the page's chart draws and frames over the next d.
func measureDraws(b *tab, d time.Duration) drawFigures {
	b.t.Helper()
	t0 := eval[float64](b, `performance.now()`)
	select {
	case <-time.After(d):
	case <-b.ctx.Done():
		b.t.Fatal("browser gone during the measurement")
	}
	t1 := eval[float64](b, `performance.now()`)
	draws := eval[[]drawRecord](b, fmt.Sprintf(`window.__draws.draws.filter((x) => x.t >= %f && x.t < %f)`, t0, t1))
	frames := eval[[]frameRecord](b, fmt.Sprintf(`window.__draws.frames.filter((x) => x.t >= %f && x.t < %f)`, t0, t1))
	f := drawFigures{
		seconds: (t1 - t0) / 1000,
		draws:   len(draws),
		frames:  len(frames),
		inView: eval[int](b, `[...document.querySelectorAll(".card .chart")].filter((el) => {
			const r = el.getBoundingClientRect();
			return r.height > 0 && r.bottom > 0 && r.top < innerHeight;
		}).length`),
	}
	pick := func(get func(drawRecord) float64) float64 {
		xs := make([]float64, 0, len(draws))
		for _, r := range draws {
			xs = append(xs, get(r))
		}
		return medianOr0(xs)
	}
	f.medCanvas = pick(func(r drawRecord) float64 { return r.Canvas })
	f.medUpdate = pick(func(r drawRecord) float64 { return r.Update })
	f.medPoints = pick(func(r drawRecord) float64 { return r.Points })
	f.medRows = pick(func(r drawRecord) float64 { return r.Rows })
	f.medPx = pick(func(r drawRecord) float64 { return r.Px })
	f.medPlotW = pick(func(r drawRecord) float64 { return r.PlotW })
	for _, r := range draws {
		f.sumCanvas += r.Canvas
		f.sumUpdate += r.Update
	}
	// A frame drew a chart when a draw began inside it.
	var drawFrames []float64
	for _, fr := range frames {
		f.sumFrames += fr.Ms
		if slices.ContainsFunc(draws, func(r drawRecord) bool { return r.T >= fr.T && r.T <= fr.T+fr.Ms }) {
			drawFrames = append(drawFrames, fr.Ms)
			f.maxDrawFrame = max(f.maxDrawFrame, fr.Ms)
		}
	}
	f.drawFrames = len(drawFrames)
	f.medDrawFrame = medianOr0(drawFrames)
	return f
}

func medianOr0(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return median(xs)
}

// TestBrowserChartDraws prints the demo's chart draws (drawFigures) and
// fails when the charts in view are drawn more than twice a second each
// on average, a count no machine's load changes: the clock moves the time
// axis once a second, and points come once a second at most.
func TestBrowserChartDraws(t *testing.T) {
	window := cpuWindow(t)
	b := openMeasuredPage(t, []string{drawHook}, "-listen", "127.0.0.1:0")
	live := measureDraws(b, window)
	t.Logf("demo, live, %s window: %s", window, live)
	if os.Getenv("PULSEBOARD_DRAWS_DUMP") != "" {
		t.Logf("draws: %s", eval[string](b, `JSON.stringify(window.__draws.draws.slice(-40))`))
	}
	if os.Getenv("PULSEBOARD_DRAWS_TRACE") != "" {
		t.Logf("demo, live, %s trace: %s", window, traceMainThread(b, window))
	}
	require.Positive(t, live.inView)
	require.LessOrEqual(t, float64(live.draws)/live.seconds, 2*float64(live.inView), "chart draws a second: gross regression")
	require.Empty(t, b.problems())
}
