import { test } from "node:test";
import assert from "node:assert/strict";
import { countGaps, padRange } from "../js/charts.js";
import { drawMarkers, markerPlugin } from "../js/plugins.js";

test("padRange adds 8% each side and keeps non-negative series above 0", () => {
  assert.deepEqual(padRange(-10, 10), [-11.6, 11.6]);
  assert.deepEqual(padRange(100, 200), [92, 208]);
  assert.deepEqual(padRange(1, 101), [0, 109]);
});

test("padRange widens flat lines, float noise included", () => {
  assert.deepEqual(padRange(50, 50), [45, 55]);
  assert.deepEqual(padRange(50, 50.00000000000002), [45, 55]);
  assert.deepEqual(padRange(0, 0), [0, 1]);
  assert.deepEqual(padRange(-20, -20), [-22, -18]);
});

test("padRange scales to a tiny series, not to 0–1", () => {
  const [lo, hi] = padRange(1e-7, 3e-7);
  assert.ok(lo > 0.8e-7 && lo < 1e-7 && hi > 3e-7 && hi < 3.2e-7, `${lo}–${hi}`);
});

test("padRange without data", () => {
  assert.deepEqual(padRange(null, null), [0, 1]);
  assert.deepEqual(padRange(NaN, 3), [0, 1]);
});

// fakePlot is as much of a uPlot instance as drawMarkers uses: an x scale
// in seconds over a plot area 100 px wide from x=10, and a context that
// records the lines stroked.
function fakePlot(min, max) {
  const lines = [];
  let path = null;
  const ctx = {
    strokeStyle: "",
    lineWidth: 0,
    dash: [],
    saved: 0,
    save() {
      this.saved++;
    },
    restore() {
      this.saved--;
    },
    setLineDash(d) {
      this.dash = d;
    },
    beginPath() {
      path = [];
    },
    moveTo(x, y) {
      path.push([x, y]);
    },
    lineTo(x, y) {
      path.push([x, y]);
    },
    stroke() {
      lines.push({ path, color: this.strokeStyle, dash: this.dash });
    },
  };
  return {
    lines,
    ctx,
    bbox: { left: 10, top: 5, width: 100, height: 50 },
    scales: { x: { min, max } },
    valToPos(v, scale, canvas) {
      assert.equal(scale, "x");
      // Canvas pixels start at the plot's left (bbox.left); CSS pixels, which the marks are clustered by, at 0.
      return (canvas ? 10 : 0) + ((v - min) / (max - min)) * 100;
    },
  };
}

const colors = { ok: "green", fail: "red" };

test("drawMarkers draws a dashed line at each marker in view, by outcome", () => {
  const u = fakePlot(1000, 1100); // seconds
  const n = drawMarkers(
    u,
    [
      { ts: 999_000, ok: true }, // before the view
      { ts: 1_000_000, ok: true }, // at its start
      { ts: 1_050_000, ok: false },
      { ts: 1_100_001, ok: true }, // after it
    ],
    colors,
  );
  assert.equal(n, 2);
  assert.deepEqual(
    u.lines.map((l) => [l.path, l.color]),
    [
      [
        [
          [10.5, 5],
          [10.5, 55],
        ],
        "green",
      ],
      [
        [
          [60.5, 5],
          [60.5, 55],
        ],
        "red",
      ],
    ],
  );
  assert.ok(u.lines.every((l) => l.dash.length === 2 && l.dash[0] > 0), "dashed");
  assert.equal(u.ctx.saved, 0, "the context is restored");
});

test("drawMarkers draws nothing without markers in view", () => {
  const u = fakePlot(1000, 1100);
  assert.equal(drawMarkers(u, [], colors), 0);
  assert.equal(drawMarkers(u, [{ ts: 5_000_000, ok: true }], colors), 0);
  assert.equal(u.lines.length, 0);
});

test("markerPlugin reports how many markers it drew after each draw", () => {
  let list = [{ ts: 1_050_000, ok: true }];
  const seen = [];
  const plugin = markerPlugin(() => list, colors, (n) => seen.push(n));
  const u = fakePlot(1000, 1100);
  plugin.hooks.draw.forEach((f) => f(u));
  list = [];
  plugin.hooks.draw.forEach((f) => f(u));
  assert.deepEqual(seen, [1, 0]);
});

test("countGaps counts the null runs between values, not alignment holes or edges", () => {
  assert.equal(countGaps([1, null, 2, null, null, 3]), 2);
  assert.equal(countGaps([null, 1, 2, null]), 0, "no value on one side: not a gap drawn");
  assert.equal(countGaps([1, undefined, 2]), 0, "a time only another line has");
  assert.equal(countGaps([1, null, undefined, 2]), 1);
  assert.equal(countGaps([]), 0);
});

test("padRange draws a near-flat line as flat: round ticks, not float noise", () => {
  // A constant 27/s counter whose rate jitters in the fourth decimal.
  const [lo, hi] = padRange(26.999, 27.0001);
  assert.ok(Math.abs(lo - 24.3) < 1e-9 && Math.abs(hi - 29.7) < 1e-9, `${lo}–${hi}`);
  const [lo2, hi2] = padRange(31, 31.001);
  assert.ok(hi2 - lo2 > 6, `31.0000–31.0010 is drawn ±10%: ${lo2}–${hi2}`);
  // A near-flat negative line, and a small rate near 0 keeps its floor.
  const [lo3, hi3] = padRange(-0.0283, -0.02829);
  assert.ok(lo3 < -0.031 && hi3 > -0.0255, `${lo3}–${hi3}`);
  // A line that truly moves (2%) keeps the 8% pad of its span.
  assert.deepEqual(padRange(100, 102), [99.84, 102.16]);
});
