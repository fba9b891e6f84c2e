import { test } from "node:test";
import assert from "node:assert/strict";
import { padRange, withThresholds } from "../js/charts.js";
import { alertPlugin, drawAlertSpans, drawThresholds } from "../js/plugins.js";

// What an alert draws on its chart: the firing span shaded under the
// lines, the threshold as a dashed horizontal line, kept in the y range.

// fakePlot: x in seconds over 100 px from x=10, y over 50 px from y=5
// (top is max); the context records rectangles filled and lines stroked.
function fakePlot(x, y) {
  const rects = [];
  const lines = [];
  let path = null;
  const ctx = {
    fillStyle: "",
    strokeStyle: "",
    globalAlpha: 1,
    dash: [],
    saved: 0,
    save() {
      this.saved++;
    },
    restore() {
      this.saved--;
      this.globalAlpha = 1;
    },
    setLineDash(d) {
      this.dash = d;
    },
    fillRect(x0, y0, w, h) {
      rects.push({ rect: [x0, y0, w, h], color: this.fillStyle, alpha: this.globalAlpha });
    },
    beginPath() {
      path = [];
    },
    moveTo(a, b) {
      path.push([a, b]);
    },
    lineTo(a, b) {
      path.push([a, b]);
    },
    stroke() {
      lines.push({ path, color: this.strokeStyle, dash: this.dash });
    },
  };
  return {
    rects,
    lines,
    ctx,
    bbox: { left: 10, top: 5, width: 100, height: 50 },
    scales: { x: { min: x[0], max: x[1] }, y: { min: y[0], max: y[1] } },
    valToPos(v, scale, canvas) {
      assert.equal(canvas, true);
      if (scale === "x") return 10 + ((v - x[0]) / (x[1] - x[0])) * 100;
      return 5 + 50 - ((v - y[0]) / (y[1] - y[0])) * 50;
    },
  };
}

const colors = { warning: "amber", critical: "red" };

test("drawAlertSpans shades each span in view, an open one to the end, clipped to the view", () => {
  const u = fakePlot([1000, 1100], [0, 100]);
  const n = drawAlertSpans(
    u,
    [
      { from: 900_000, to: 950_000, severity: "warning" }, // before the view
      { from: 990_000, to: 1_020_000, severity: "warning" }, // clipped at the start
      { from: 1_050_000, to: 0, severity: "critical" }, // still firing
    ],
    colors,
  );
  assert.equal(n, 2);
  assert.deepEqual(
    u.rects.map((r) => [r.rect, r.color]),
    [
      [[10, 5, 20, 50], "amber"],
      [[60, 5, 50, 50], "red"],
    ],
  );
  assert.ok(u.rects.every((r) => r.alpha < 0.5), "faint: the lines show through");
  assert.equal(u.ctx.saved, 0);
  assert.equal(drawAlertSpans(u, [], colors), 0);
});

test("drawThresholds draws a dashed line across the plot at each threshold in the y range", () => {
  const u = fakePlot([1000, 1100], [0, 100]);
  const n = drawThresholds(
    u,
    [
      { value: 80, severity: "warning" },
      { value: 95, severity: "critical" },
      { value: 150, severity: "critical" }, // above the scale
    ],
    colors,
  );
  assert.equal(n, 2);
  assert.deepEqual(
    u.lines.map((l) => [l.path, l.color]),
    [
      [
        [
          [10, 15],
          [110, 15],
        ],
        "amber",
      ],
      [
        [
          [10, 8],
          [110, 8],
        ],
        "red",
      ],
    ],
  );
  assert.ok(u.lines.every((l) => l.dash.length === 2 && l.dash[0] > 0), "dashed");
  assert.equal(u.ctx.saved, 0);
  assert.equal(drawThresholds(u, [], colors), 0);
});

test("alertPlugin shades before the lines are drawn, draws thresholds after, and reports both", () => {
  let overlay = { thresholds: [{ value: 50, severity: "warning" }], spans: [{ from: 1_010_000, to: 0, severity: "warning" }] };
  const seen = [];
  const p = alertPlugin(() => overlay, colors, (spans, thresholds) => seen.push([spans, thresholds]));
  const u = fakePlot([1000, 1100], [0, 100]);
  p.hooks.drawClear.forEach((f) => f(u));
  p.hooks.draw.forEach((f) => f(u));
  overlay = { thresholds: [], spans: [] };
  p.hooks.drawClear.forEach((f) => f(u));
  p.hooks.draw.forEach((f) => f(u));
  assert.deepEqual(seen, [
    [1, 1],
    [0, 0],
  ]);
});

test("withThresholds widens the y range to take in the thresholds", () => {
  assert.deepEqual(withThresholds(10, 40, []), [10, 40]);
  assert.deepEqual(withThresholds(10, 40, [{ value: 80 }]), [10, 80]);
  assert.deepEqual(withThresholds(10, 40, [{ value: -5 }, { value: 20 }]), [-5, 40]);
  assert.deepEqual(withThresholds(null, null, [{ value: 80 }]), [80, 80], "no data yet");
  assert.deepEqual(withThresholds(10, 40, [{ value: NaN }]), [10, 40]);
  const [lo, hi] = padRange(...withThresholds(10, 40, [{ value: 80 }]));
  assert.ok(lo >= 0 && hi > 80, "the line is inside the padded range");
});
