import test from "node:test";
import assert from "node:assert/strict";
import { TIME_INCRS } from "../js/format.js";
import { axesOf } from "../js/axes.js";

globalThis.devicePixelRatio ??= 1;

// fakeU is a chart dim CSS px wide over [min, max] (unix s) whose axis font
// is 6.5 px a character, about 11 px system-ui's digits.
function fakeU(min, max, dim) {
  return {
    axes: [{ font: ["11px system-ui"] }],
    bbox: { width: dim },
    ctx: { save() {}, restore() {}, font: "", measureText: (t) => ({ width: t.length * 6.5 }) },
    valToPos: (v) => ((v - min) / (max - min)) * dim,
  };
}

// labelled is how many time labels uPlot would draw: the least step of
// TIME_INCRS at least space apart, its ticks in [min, max], those the
// filter keeps.
function labelled(min, max, dim) {
  const x = axesOf({ unit: {} }, {})[0];
  const u = fakeU(min, max, dim);
  const space = x.space(u, 0, min, max, dim);
  const incr = TIME_INCRS.find((i) => (i * dim) / (max - min) >= space);
  const splits = [];
  for (let t = Math.ceil(min / incr) * incr; t <= max; t += incr) splits.push(t);
  const kept = x.filter(u, splits).filter((s) => s !== null);
  return { incr, labels: x.values(u, kept, 0, space, incr) };
}

test("a one-hour chart at a desktop's column width has at least three labelled time ticks, none closer than its label", () => {
  const max = 1_795_000_000;
  for (const dim of [160, 200, 250]) {
    const { incr, labels } = labelled(max - 3600, max, dim);
    assert.ok(labels.length >= 3, `${dim} px: ${labels.length} labels (${labels.join(", ")}) every ${incr}s`);
    assert.ok((incr * dim) / 3600 >= "00:00".length * 6.5 + 8, `${dim} px: labels ${(incr * dim) / 3600} px apart`);
  }
  // Steps under a minute keep the room of "00:00:00".
  const { incr } = labelled(max - 60, max, 200);
  assert.ok((incr * 200) / 60 >= "00:00:00".length * 6.5 + 8);
});

test("a chart of any span 110 px wide or more has two time labels or more, never overlapping, whatever the phase of its ticks", () => {
  for (const span of [60, 300, 900, 3600]) {
    for (let dim = 110; dim <= 420; dim += 13) {
      for (let phase = 0; phase < span; phase += Math.max(1, span / 60)) {
        const max = 1_795_000_000 + phase;
        const x = axesOf({ unit: {} }, {})[0];
        const u = fakeU(max - span, max, dim);
        const space = x.space(u, 0, max - span, max, dim);
        const incr = TIME_INCRS.find((i) => (i * dim) / span >= space);
        const splits = [];
        for (let t = Math.ceil((max - span) / incr) * incr; t <= max; t += incr) splits.push(t);
        const kept = x.filter(u, splits).filter((s) => s !== null);
        const at = kept.map((s) => u.valToPos(s));
        const half = ((incr >= 60 ? "00:00" : "00:00:00").length * 6.5) / 2;
        const what = `${span}s on ${dim} px from ${max - span}: labels at ${at.map(Math.round)} every ${incr}s`;
        assert.ok(kept.length >= 2, what);
        for (let i = 1; i < at.length; i++) assert.ok(at[i] - at[i - 1] >= 2 * half + 8 - 1e-6, what);
        assert.ok(at[0] - half >= 0 && at.at(-1) + half <= dim + 26, what);
      }
    }
  }
});

test("the y axis fits its longest label, measured once per font and label and not on the chart's canvas when another can be made", () => {
  const y = axesOf({ unit: {} }, {})[1];
  let measured = 0;
  const u = fakeU(0, 60, 300);
  u.ctx.measureText = (t) => (measured++, { width: t.length * 6.5 });
  u.axes[1] = { gap: 5, font: ["11px test-font"], _size: 40 };
  // 5 gap + 6 + "12.5 k" (6 characters at 6.5 px)
  assert.equal(y.size(u, ["0", "12.5 k", "25 k"], 1, 0), Math.ceil(5 + 6 + 39));
  assert.equal(y.size(u, ["0", "12.5 k", "25 k"], 1, 1), 50);
  assert.equal(measured, 1, "the same label in the same font: measured once");
  assert.equal(y.size(u, ["0", "12.5 k"], 1, 2), 40, "uPlot's third cycle keeps the size it has");
  assert.equal(y.size(u, [], 1, 0), 11, "no labels: the gap alone");
});

test("withNeighbours: a zoom's y range takes in the segments that cross its edges, not only the points inside", async () => {
  const { withNeighbours } = await import("../js/axes.js");
  const xs = [10, 11, 12, 13, 14];
  const u = (ys, show = true) => ({ data: [xs, ys], series: [{}, { show, scale: "y" }] });
  // Inside [11.5, 13.5]: 12 and 13 (values 5, 6); the segments to 11 (90) and 14 (-40) are drawn too.
  assert.deepEqual(withNeighbours(u([0, 90, 5, 6, -40]), 11.5, 13.5, 5, 6), [-40, 90]);
  assert.deepEqual(withNeighbours(u([0, 90, 5, 6, -40]), 11, 13, 5, 90), [5, 90], "on an edge's point: the segment beyond it is not in the plot");
  assert.deepEqual(withNeighbours(u([0, 90, 5, 6, -40]), 12.2, 12.8, null, null), [5, 6], "between two samples: the one segment across");
  assert.deepEqual(withNeighbours(u([0, null, 5, 6, null]), 11.5, 13.5, 5, 6), [5, 6], "a gap's edge is no segment");
  assert.deepEqual(withNeighbours(u([0, 90, 5, 6, -40], false), 11.5, 13.5, 5, 6), [5, 6], "a hidden line counts for nothing");
  assert.deepEqual(withNeighbours(u([0, 90, 5, 6, -40]), 5, 20, -40, 90), [-40, 90], "all inside: the data's own range");
  assert.deepEqual(withNeighbours({ data: [[], []], series: [{}, {}] }, 0, 1, null, null), [null, null]);
});
