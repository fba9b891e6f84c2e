import { test } from "node:test";
import assert from "node:assert/strict";
import { ChartManager, axisMoved } from "../js/charts.js";

// The chart manager's bookkeeping of what is in sight, with the browser's
// observers and uPlot replaced by fakes that record what they are asked.

// io: the one with a margin (near view), view: the viewport's.
const observers = { io: null, view: null, ro: null };
globalThis.IntersectionObserver = class {
  constructor(cb, opts) {
    this.cb = cb;
    this.watched = new Set();
    if (opts && opts.rootMargin) observers.io = this;
    else observers.view = this;
  }
  observe(el) {
    this.watched.add(el);
  }
  unobserve(el) {
    this.watched.delete(el);
  }
  show(el, on) {
    this.cb([{ target: el, isIntersecting: on }]);
  }
};
globalThis.ResizeObserver = class {
  constructor(cb) {
    this.cb = cb;
    observers.ro = this;
  }
  observe() {}
  unobserve() {}
  size(el, width, height) {
    this.cb([{ target: el, contentRect: { width, height } }]);
  }
};
globalThis.document = { documentElement: {} };
globalThis.getComputedStyle = () => ({ getPropertyValue: () => "" });
const plots = [];
globalThis.uPlot = class {
  // As uPlot.join: the tables' times merged, each line null where it has none.
  static join(tables) {
    const xs = [...new Set(tables.flatMap((t) => t[0]))].sort((a, b) => a - b);
    return [xs, ...tables.flatMap(([tx, ...cols]) => cols.map((ty) => xs.map((x) => (tx.includes(x) ? ty[tx.indexOf(x)] : null))))];
  }
  constructor(opts, data, el) {
    this.opts = opts;
    this.series = opts.series.map((s) => ({ ...s }));
    this.destroyed = false;
    this.el = el;
    this.data = data;
    this.sets = 0;
    plots.push(this);
  }
  // As uPlot's: the changes made in fn drawn at once.
  batch(fn) {
    fn(this);
  }
  setData(d) {
    this.data = d;
    this.sets++;
  }
  setSize() {}
  setSeries(i, o) {
    Object.assign(this.series[i], o);
  }
  destroy() {
    this.destroyed = true;
  }
};

// inSight scrolls a chart into the viewport (on: true) or out of it and its margin.
function inSight(el, on) {
  observers.io.show(el, on);
  observers.view.show(el, on);
}

function manager() {
  const shown = [];
  let frames = 0;
  const m = new ChartManager({ requestFrame: () => frames++, onShown: (id) => shown.push(id) });
  const el = { dataset: {} };
  m.add("a", { el, unit: {}, color: 0, data: () => [[[1, 2], [3, null]]], range: () => [1000, 2000] });
  return { m, el, shown, frames: () => frames };
}

test("a chart is drawn only in view, sized and not collapsed", () => {
  const { m, el } = manager();
  assert.equal(m.isShown("a"), false);
  assert.equal(m.draw(), 0, "not seen yet: not even created");
  inSight(el, true);
  assert.equal(m.draw(), 0, "no width yet");
  observers.ro.size(el, 300);
  assert.equal(m.draw(), 1);
  assert.equal(el.dataset.points, "1");
  assert.equal(m.draw(), 0, "nothing new");
  m.markAllDirty();
  m.setHidden("a", true);
  assert.equal(m.isShown("a"), false);
  assert.equal(m.draw(), 0, "collapsed");
  m.setHidden("a", false);
  assert.equal(m.draw(), 1);
  m.markDirty("a");
  inSight(el, false);
  assert.equal(m.draw(), 0, "out of view");
  m.remove("a");
  assert.equal(observers.io.watched.has(el), false);
  assert.equal(m.isShown("a"), false);
});

test("a chart near the viewport is drawn once, ready for a scroll, and again only once in it", () => {
  const { m, el, frames } = manager();
  observers.ro.size(el, 300);
  observers.io.show(el, true); // within the margin, below the fold
  assert.equal(m.draw(), 1, "made and drawn while near");
  m.markDirty("a");
  assert.equal(m.draw(), 0, "new data: left until it shows");
  const asked = frames();
  observers.view.show(el, true);
  assert.equal(frames(), asked + 1, "scrolled in with new data: a frame");
  assert.equal(m.draw(), 1);
  observers.view.show(el, false);
  m.markDirty("a");
  assert.equal(m.draw(), 0, "out of the viewport again");
  observers.view.show(el, true);
  observers.io.show(el, false); // a jump far away before the frame: not drawn there
  assert.equal(m.draw(), 0);
});

test("a draw out of time leaves the other charts waiting for the next frame, at least one drawn a frame", () => {
  const { m, el } = manager();
  const el2 = { dataset: {} };
  m.add("b", { el: el2, unit: {}, color: 1, data: () => [[[1, 2], [3, 4]]], range: () => [1000, 2000] });
  for (const e of [el, el2]) {
    inSight(e, true);
    observers.ro.size(e, 300);
  }
  assert.equal(m.waiting(), true);
  assert.equal(m.draw(() => true), 1, "out of time at once: still one");
  assert.equal(m.waiting(), true, "the other waits");
  assert.equal(m.draw(() => true), 1);
  assert.equal(m.waiting(), false);
  assert.equal(m.draw(() => true), 0, "nothing left");
  m.markAllDirty();
  assert.equal(m.draw(), 2, "in time: all of them");
  observers.view.show(el, false);
  m.markAllDirty();
  m.draw();
  assert.equal(m.waiting(), false, "a chart out of the viewport is not waited for");
});

test("a draw counts each chart's points drawn (times × lines) into the frame's budget: a big chart leaves the next for the next frame", () => {
  const { m, el } = manager();
  const el2 = { dataset: {} };
  // Two lines of three times each: six points.
  m.add("b", { el: el2, unit: {}, color: 1, data: () => [[[1, 2, 3], [3, 4, 5]], [[1, 2, 3], [6, 7, 8]]], range: () => [1000, 2000] });
  for (const e of [el, el2]) {
    inSight(e, true);
    observers.ro.size(e, 300);
  }
  const drawn = [];
  let left = 7; // the first chart's points (2) fit; with the second's (6) the frame is due
  const due = Object.assign(() => left <= 0, { drew: (n) => (drawn.push(n), (left -= n)) });
  assert.equal(m.draw(due), 2);
  assert.deepEqual(drawn, [2, 6]);
  m.markAllDirty();
  left = 1;
  drawn.length = 0;
  assert.equal(m.draw(due), 1, "its points spent the frame: the other waits");
  assert.equal(m.waiting(), true);
});

test("a chart is as tall as its box (a wide family's is taller); a box with no height yet gets the default", () => {
  plots.length = 0;
  const { m, el } = manager();
  inSight(el, true);
  observers.ro.size(el, 300);
  m.draw();
  assert.equal(plots.at(-1).opts.height, 110);
  const sizes = [];
  plots.at(-1).setSize = (s) => sizes.push(s);
  observers.ro.size(el, 300, 220);
  assert.equal(m.draw(), 1, "a new height redraws");
  assert.deepEqual(sizes, [{ width: 300, height: 220 }]);
});

test("onShown is told when a chart comes into view or out of a collapsed group", () => {
  const { m, el, shown } = manager();
  inSight(el, true);
  assert.deepEqual(shown, ["a"]);
  inSight(el, true); // still in view: not again
  assert.deepEqual(shown, ["a"]);
  m.setHidden("a", true);
  inSight(el, false);
  inSight(el, true); // in view but collapsed
  assert.deepEqual(shown, ["a"]);
  m.setHidden("a", false);
  assert.deepEqual(shown, ["a", "a"]);
  m.setHidden("a", false); // no change
  inSight(el, false);
  m.setHidden("a", true);
  m.setHidden("a", false); // expanded out of view: not shown
  assert.deepEqual(shown, ["a", "a"]);
  m.setHidden("nope", false);
});

test("a family's lines are aligned in one chart; hidden lines and new members are followed", () => {
  plots.length = 0;
  const shown = [];
  const m = new ChartManager({ requestFrame: () => {}, onShown: (id) => shown.push(id) });
  const el = { dataset: {} };
  let lines = [
    { id: "x", name: "0", hidden: false },
    { id: "y", name: "1", hidden: false },
  ];
  const tables = { x: [[1, 2], [5, 6]], y: [[2, 3], [7, null]], z: [[3], [9]] };
  m.add("fam", { el, unit: {}, color: 2, data: () => lines.map((l) => tables[l.id]), lines: () => lines, range: () => [0, 4000] });
  inSight(el, true);
  observers.ro.size(el, 300);
  assert.equal(m.draw(), 1);
  assert.equal(plots.length, 1);
  assert.deepEqual(plots[0].data, [[1, 2, 3], [5, 6, null], [null, 7, null]]);
  assert.deepEqual(plots[0].series.slice(1).map((s) => [s.label, s.show, s.fill]), [["0", true, undefined], ["1", true, undefined]], "no fill under several lines");
  assert.equal(el.dataset.points, "2");
  assert.equal(el.dataset.lines, "2");

  lines = [lines[0], { ...lines[1], hidden: true }];
  m.markDirty("fam");
  m.draw();
  assert.equal(plots.length, 1, "hiding a line keeps the chart");
  assert.equal(plots[0].series[2].show, false);
  assert.equal(el.dataset.lines, "1");

  lines = [...lines, { id: "z", name: "2", hidden: false }];
  m.markDirty("fam");
  m.draw();
  assert.equal(plots.length, 2, "a new member makes the chart anew");
  assert.ok(plots[0].destroyed);
  assert.deepEqual(plots[1].series.slice(1).map((s) => s.show), [true, false, true]);

  const hovers = [];
  m.entries.get("fam").onHover = (x, ys) => hovers.push([x, ys && Object.fromEntries(ys)]);
  const hook = plots[1].opts.hooks.setCursor[0];
  hook({ cursor: { idx: null }, data: plots[1].data });
  assert.deepEqual(hovers, [], "no hover to end");
  hook({ cursor: { idx: 1 }, data: plots[1].data });
  hook({ cursor: { idx: null }, data: plots[1].data });
  hook({ cursor: { idx: null }, data: plots[1].data });
  assert.deepEqual(hovers, [[2, { x: 6, y: 7, z: null }], [null, null]]);
});

test("a line gone stale keeps its look (nothing received while live is restyled, no rebuild); a NaN sample is a gap", () => {
  plots.length = 0;
  const m = new ChartManager({ requestFrame: () => {} });
  const el = { dataset: {} };
  let lines = [
    { id: "x", name: "0", hidden: false, stale: false },
    { id: "y", name: "1", hidden: false, stale: false },
  ];
  const tables = { x: [[1, 2, 3], [5, null, 6]], y: [[1, 2, 3], [7, 8, 9]] };
  m.add("fam", { el, unit: {}, color: 0, data: () => lines.map((l) => tables[l.id]), lines: () => lines, range: () => [0, 4000] });
  inSight(el, true);
  observers.ro.size(el, 300);
  m.draw();
  assert.equal(el.dataset.gaps, "1", "the null between 5 and 6");
  assert.equal(el.dataset.stale, "0");
  assert.deepEqual(plots[0].series.slice(1).map((s) => s.dash), [undefined, undefined]);
  assert.equal(plots[0].series[1].spanGaps, false, "a null is never bridged");
  const live = plots[0].series[2].stroke;

  lines = [lines[0], { ...lines[1], stale: true }];
  m.markDirty("fam");
  m.draw();
  assert.equal(plots.length, 1, "not rebuilt: its past is drawn as it was");
  assert.equal(el.dataset.stale, "1");
  assert.equal(plots[0].series[2].dash, undefined, "not dashed");
  assert.equal(plots[0].series[2].stroke, live, "not greyed");

  lines = [lines[0], { ...lines[1], stale: false }];
  m.markDirty("fam");
  m.draw();
  assert.equal(plots.length, 1);
  assert.equal(el.dataset.stale, "0");
});

test("stored history is drawn as each mean with a band from its min to its max; back to lines on the stream's points", () => {
  plots.length = 0;
  const m = new ChartManager({ requestFrame: () => {} });
  const el = { dataset: {} };
  const lines = [
    { id: "x", name: "0", hidden: false },
    { id: "y", name: "1", hidden: false },
  ];
  let history = { tier: "1m", step: 60_000 };
  let tables = [
    [[60, 120], [2, 3], [1, 2], [5, 4]],
    [[120], [7], [6], [8]],
  ];
  m.add("fam", { el, unit: {}, color: 0, data: () => tables, lines: () => lines, range: () => [0, 200_000], history: () => history });
  inSight(el, true);
  observers.ro.size(el, 300);
  assert.equal(m.widest(), 300);
  m.draw();
  const p = plots.at(-1);
  assert.deepEqual(p.data, [[60, 120], [2, 3], [null, 7], [1, 2], [5, 4], [null, 6], [null, 8]], "means first, then each line's min and max");
  assert.deepEqual(p.opts.bands.map((b) => b.series), [[4, 3], [6, 5]]);
  assert.equal(p.opts.series.length, 7);
  assert.equal(p.opts.series[1].fill, undefined);
  assert.equal(p.opts.cursor.points.size(p, 1), 7, "a mean has its dot under the cursor");
  assert.equal(p.opts.cursor.points.size(p, 3), 0, "a band's edge has none");
  assert.deepEqual([el.dataset.band, el.dataset.tier, el.dataset.step, el.dataset.points], ["1", "1m", "60000", "2"]);

  lines[1].hidden = true;
  m.markDirty("fam");
  m.draw();
  assert.deepEqual(
    p.series.map((s) => s.show),
    [undefined, true, false, true, true, false, false],
    "a hidden line's band goes with it",
  );

  history = null;
  tables = [
    [[1], [5]],
    [[1], [6]],
  ];
  m.markDirty("fam");
  m.draw();
  assert.equal(p.destroyed, true, "rebuilt without bands");
  assert.equal(plots.at(-1).opts.bands, undefined);
  assert.equal(el.dataset.band, undefined);
  assert.equal(el.dataset.tier, undefined);
});

test("the clock's tick redraws the charts not drawn within the given time, not those a point just redrew", () => {
  plots.length = 0;
  const m = new ChartManager({ requestFrame: () => {} });
  let now = 4000; // the view's end moves 1 s a tick: 75 px of a 300 px chart of 4 s
  const mk = (id) => {
    const el = { dataset: {} };
    m.add(id, { el, unit: {}, color: 0, data: () => [[[1, 2], [3, 4]]], lines: () => [{ id, name: "", hidden: false, stale: false }], range: () => [now - 4000, now] });
    inSight(el, true);
    observers.ro.size(el, 300);
  };
  mk("a");
  mk("b");
  assert.equal(m.draw(), 2);
  now += 1000;
  m.markAged(800);
  assert.equal(m.draw(), 0, "both drawn a moment ago");
  m.markAged(0);
  assert.equal(m.draw(), 2, "both drawn longer ago than 0 ms");
  m.entries.get("a").drawnAt -= 900; // drawn 0.9 s ago
  now += 1000;
  m.markAged(800);
  assert.equal(m.draw(), 1, "the one drawn 0.9 s ago");
});

test("new markers redraw the charts that show them: their source's, their series' alone, every chart for a marker of none", () => {
  const m = new ChartManager({ requestFrame: () => {} });
  const lines = { a: ["demo/x"], b: ["spiky/p", "spiky/q"], c: ["spiky/r"], d: ["host/cpu"] };
  for (const [id, source] of [["a", "demo"], ["b", "spiky"], ["c", "spiky"], ["d", undefined]]) {
    const el = { dataset: {} };
    m.add(id, { el, unit: {}, color: 0, source, data: () => [[[1, 2], [3, 4]]], lines: () => lines[id].map((l) => ({ id: l, name: l, hidden: false })), range: () => [0, 4000] });
    inSight(el, true);
    observers.ro.size(el, 300);
  }
  const dirty = () => [...m.entries.values()].filter((e) => e.dirty).map((e) => e.id);
  assert.equal(m.draw(), 4);
  m.markMarkersDirty([{ source: "demo" }, { source: "demo", series: "" }]);
  assert.deepEqual(dirty(), ["a"], "demo's chart alone");
  assert.equal(m.draw(), 1);
  m.markMarkersDirty([{ source: "spiky", series: "spiky/q" }]);
  assert.deepEqual(dirty(), ["b"], "an alert of one series: the chart that shows it");
  m.draw();
  m.markMarkersDirty([{ source: "spiky", series: "" }]);
  assert.deepEqual(dirty(), ["b", "c"], "a source's: all its charts");
  m.draw();
  m.markMarkersDirty([]);
  assert.equal(m.draw(), 0, "no marker: nothing");
  m.markMarkersDirty([{ source: "spiky" }, { source: "" }]);
  assert.equal(m.draw(), 4, "a marker of no source (the server's): every chart");
});

test("the clock leaves a chart whose time axis moved less than a pixel; a point or a pixel's move redraws it", () => {
  plots.length = 0;
  const m = new ChartManager({ requestFrame: () => {} });
  // 15 minutes over a plot 360 px wide: 2.5 s a pixel.
  let now = 900_000;
  const el = { dataset: {} };
  m.add("a", { el, unit: {}, color: 0, data: () => [[[1, 2], [3, 4]]], range: () => [now - 900_000, now] });
  inSight(el, true);
  observers.ro.size(el, 400);
  assert.equal(m.draw(), 1);
  plots.at(-1).bbox = { width: 360 };
  const tick = () => {
    now += 1000;
    m.entries.get("a").drawnAt -= 1000;
    m.markAged(800);
    return m.draw();
  };
  assert.equal(tick(), 0, "0.4 px: left as drawn");
  assert.equal(tick(), 0, "0.8 px");
  assert.equal(tick(), 1, "1.2 px: redrawn");
  assert.equal(tick(), 0);
  now += 1000;
  m.markDirty("a");
  assert.equal(m.draw(), 1, "a new point is drawn at once");
  assert.equal(tick(), 0);
  now += 60_000;
  assert.equal(tick(), 1, "a minute on (a tab shown again): redrawn");
});

test("axisMoved: a chart never drawn, or a view of another length, has moved", () => {
  assert.equal(axisMoved({ width: 300, range: () => [0, 1000] }), true, "never drawn");
  const drawn = { width: 300, plot: {}, view: [0, 1000] };
  assert.equal(axisMoved({ ...drawn, range: () => [0, 1000] }), false);
  assert.equal(axisMoved({ ...drawn, range: () => [3, 1003] }), false, "0.9 px");
  assert.equal(axisMoved({ ...drawn, range: () => [4, 1004] }), true, "1.2 px");
  assert.equal(axisMoved({ ...drawn, range: () => [0, 1001] }), true, "a view narrowed to the data grows");
});

test("a chart's y range takes in the points just outside its x range that its edge segments are drawn to", () => {
  plots.length = 0;
  const { m, el } = manager();
  inSight(el, true);
  observers.ro.size(el, 300);
  m.draw();
  const p = plots.at(-1);
  // The view is range() (1000–2000 ms); inside it one point at 1.5 s, 10; outside 0.5 s at 200 and 2.5 s at -100.
  const u = { data: [[0.5, 1.5, 2.5], [200, 10, -100]], series: [{}, { show: true, scale: "y" }] };
  const [lo, hi] = p.opts.scales.y.range(u, 10, 10);
  assert.ok(lo <= -100 && hi >= 200, `[${lo}, ${hi}] leaves the edge segments out of the plot`);
});
