import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeElement, installDOM } from "./fakes/dom.js";
import { formatClock } from "../js/format.js";
import { boundsOf, nearestRows, placeTip } from "../js/tooltip.js";
import { CLUSTER_LISTED, clusterMarkers, cursorIndex, flagSide, tipPlace, markerLabel, markerLines, markerPlugin, markersIn, markersNear, selectedSpan, tooltipContent, tooltipPlugin, zoomPlugin } from "../js/plugins.js";

// The tooltip's content and placement, and drag-to-zoom, with a fake uPlot.

installDOM();
const T = 1_700_000_000; // unix s

test("the tooltip names each shown line by its label values, with value, unit and time", () => {
  const lines = [
    { name: "0", hidden: false },
    { name: "1", hidden: true },
    { name: "2", hidden: false, stale: true },
  ];
  const c = tooltipContent(T, lines, [12.5, 3, null], { base: "percent" }, "cpu_percent {host=\"a\"}", 2);
  assert.equal(c.time, formatClock(T * 1000));
  assert.equal(c.title, 'cpu_percent {host="a"}');
  assert.deepEqual(c.rows, [
    { name: "0", value: "12.5%", color: { hue: 2, round: 0 }, stale: false, v: 12.5 },
    { name: "2", value: "no value", color: { hue: 4, round: 0 }, stale: true, v: null },
  ]);
  // Past the palette's eight colours, each line still has its own, as in the chart and the legend.
  const many = Array.from({ length: 12 }, (_, i) => ({ name: String(i), hidden: false }));
  const tips = tooltipContent(T, many, many.map(() => 1), { base: "percent" }, "cpu", 3).rows;
  assert.equal(new Set(tips.map((r) => `${r.color.hue}/${r.color.round}`)).size, 12);
  const lone = tooltipContent(T, [{ name: "", hidden: false }], [2048], { base: "bytes" }, "mem_bytes", 5);
  const tiny = [{ name: "", hidden: false }];
  assert.equal(tooltipContent(T, tiny, [2e-12], { base: "ratio" }, "r", 0, [], 0, 3.2e-12).rows[0].value, "2.0e-10%", "at the axis' size, a tiny value is data");
  assert.equal(tooltipContent(T, tiny, [2.2e-13], { base: "seconds", rate: true }, "c", 0, [], 0, 1).rows[0].value, "0%", "noise on an axis of 0–1");
  assert.deepEqual(lone.rows, [{ name: "value", value: "2 KiB", color: { hue: 5, round: 0 }, stale: false, v: 2048 }]);
});

test("a tooltip cut to its room keeps the lines nearest the pointer's value, in their order, and counts the rest", () => {
  const many = Array.from({ length: 12 }, (_, i) => ({ name: String(i), hidden: false }));
  const values = many.map((_, i) => (i === 5 ? null : i * 10));
  const c = tooltipContent(T, many, values, { base: "percent" }, "cpu", 0);
  const cut = nearestRows(c, 3, 71);
  assert.deepEqual(cut.rows.map((r) => r.name), ["6", "7", "8"]);
  assert.equal(cut.more, 9);
  assert.deepEqual(nearestRows(c, 4, 42).rows.map((r) => r.name), ["2", "3", "4", "6"], "a line with no value (5) goes first");
  assert.equal(nearestRows(c, 12, 0), c, "all fit: as it is");
  assert.deepEqual(nearestRows(c, 2, NaN).rows.map((r) => r.name), ["0", "1"], "no value under the pointer: the first ones");
});

function fakeU() {
  const over = document.createElement("div");
  Object.defineProperty(over, "clientWidth", { value: 300 });
  Object.defineProperty(over, "clientHeight", { value: 100 });
  over.getBoundingClientRect = () => ({ top: 0, bottom: 100, left: 0, right: 300 });
  return {
    over,
    cursor: { idx: null, left: -10, top: 0 },
    select: { left: 0, width: 0 },
    data: [[T, T + 1], [1, 2]],
    selects: [],
    setSelect(s, fire) {
      this.selects.push([s, fire]);
      this.select = s;
    },
    posToVal: (px) => T + px / 10, // 10 px a second
  };
}

test("the tooltip shows on the chart under the pointer only, and goes when it leaves", () => {
  const p = tooltipPlugin((u, i) => ({ time: `t${i}`, title: "m", rows: [{ name: "value", value: String(u.data[1][i]), color: 0, stale: false }] }));
  const u = fakeU();
  p.hooks.init[0](u);
  const tip = u.over.one("chart-tip");
  u.cursor = { idx: 1, left: 50, top: 20 };
  p.hooks.setCursor[0](u);
  assert.equal(tip.hidden, true, "a chart following the crosshair shows no tooltip");
  u.over.dispatch("mouseenter");
  p.hooks.setCursor[0](u);
  assert.equal(tip.hidden, false);
  assert.equal(tip.textContent, "t1mvalue2");
  assert.match(tip.style.transform, /^translate\(62px, 12px\)$/);
  u.cursor = { idx: null, left: -10, top: 0 };
  p.hooks.setCursor[0](u);
  assert.equal(tip.hidden, true, "no data under the pointer");
  u.cursor = { idx: 0, left: 10, top: 0 };
  p.hooks.setCursor[0](u);
  assert.equal(tip.hidden, false);
  u.over.dispatch("mouseleave");
  assert.equal(tip.hidden, true);
});

test("one tooltip at a time: a chart's showing hides another's, even before the pointer's leaving it is told", () => {
  const content = (u, i) => ({ time: `t${i}`, title: "m", rows: [] });
  const [pa, pb] = [tooltipPlugin(content), tooltipPlugin(content)];
  const [a, b] = [fakeU(), fakeU()];
  pa.hooks.init[0](a);
  pb.hooks.init[0](b);
  const shown = () => [a, b].map((u) => !u.over.one("chart-tip").hidden);
  a.over.dispatch("mouseenter");
  a.cursor = { idx: 1, left: 50, top: 20 };
  pa.hooks.setCursor[0](a);
  assert.deepEqual(shown(), [true, false]);
  // The pointer is on b; a's mouseleave has not come yet.
  b.over.dispatch("mouseenter");
  b.cursor = { idx: 0, left: 20, top: 20 };
  pb.hooks.setCursor[0](b);
  assert.deepEqual(shown(), [false, true], "a's tooltip went when b's showed");
  a.over.dispatch("mouseleave"); // told late: b's stays
  assert.deepEqual(shown(), [false, true]);
  b.over.dispatch("mouseleave");
  assert.deepEqual(shown(), [false, false]);
  pa.hooks.destroy[0]();
  pb.hooks.destroy[0]();
});

test("a chart's keyboard tooltip gives way to the pointer's on another chart, whose crosshair it follows", () => {
  const chart = document.createElement("div");
  const content = (u, i) => ({ time: `t${i}`, title: "m", rows: [] });
  const pk = tooltipPlugin(content, chart);
  const k = keyedU(pk);
  pk.hooks.init[0](k);
  const pp = tooltipPlugin(content);
  const o = fakeU();
  pp.hooks.init[0](o);
  chart.dispatch("keydown", { key: "End", preventDefault() {} });
  assert.equal(k.over.one("chart-tip").hidden, false, "the keys' tooltip");
  // The pointer comes into the other chart: its move is published to the keyed one.
  o.over.dispatch("mouseenter");
  o.cursor = { idx: 1, left: 50, top: 20 };
  pp.hooks.setCursor[0](o);
  k.cursor = { idx: 1, left: 100, top: 0 };
  pk.hooks.setCursor[0](k);
  assert.deepEqual([k.over.one("chart-tip").hidden, o.over.one("chart-tip").hidden], [true, false], "the pointer's alone");
  o.over.dispatch("mouseleave");
  chart.dispatch("keydown", { key: "ArrowLeft", preventDefault() {} });
  assert.equal(k.over.one("chart-tip").hidden, false, "the keys again once the pointer has gone");
  pk.hooks.destroy[0]();
  pp.hooks.destroy[0]();
});

test("a drag zooms to the range selected and clears the box; a click or a double-click does not", () => {
  const zooms = [];
  let live = 0;
  // Drawn for [T, T + 30] s on a plot 300 px wide: 10 px a second.
  const p = zoomPlugin((from, to) => zooms.push([from, to]), () => live++, () => [T * 1000, (T + 30) * 1000]);
  const u = fakeU();
  // uPlot's scale on a chart drawn with no points was never ranged: the
  // zoom must not read it.
  u.posToVal = () => 0.25;
  u.cursor.event = { type: "mouseup" };
  p.hooks.init[0](u);
  u.select = { left: 100, width: 1 };
  p.hooks.setSelect[0](u);
  assert.deepEqual(zooms, [], "a click is not a drag");
  u.select = { left: 100, width: 50 };
  p.hooks.setSelect[0](u);
  assert.deepEqual(zooms, [[(T + 10) * 1000, (T + 15) * 1000]]);
  assert.deepEqual(u.selects.at(-1), [{ left: 0, top: 0, width: 0, height: 0 }, false]);
  u.over.dispatch("dblclick");
  assert.equal(live, 1);
});

test("a drag replayed on the other charts by the cursor sync clears their boxes and zooms nothing", () => {
  const zooms = [];
  const p = zoomPlugin((from, to) => zooms.push([from, to]), () => {}, () => [T * 1000, (T + 30) * 1000]);
  const u = fakeU();
  u.cursor.event = null; // uPlot's replay carries no event
  p.hooks.init[0](u);
  u.select = { left: 100, width: 50 };
  p.hooks.setSelect[0](u);
  assert.deepEqual(zooms, []);
  assert.deepEqual(u.selects.at(-1), [{ left: 0, top: 0, width: 0, height: 0 }, false]);
});

test("the span selected is read against the view drawn, within the plot; a view or plot of no extent selects nothing", () => {
  const view = [T * 1000, (T + 30) * 1000];
  assert.deepEqual(selectedSpan(view, 0, 300, 300), view);
  assert.deepEqual(selectedSpan(view, -20, 400, 300), view, "a box past the plot's edges stops at them");
  assert.deepEqual(selectedSpan(view, 150, 30, 300), [(T + 15) * 1000, (T + 18) * 1000]);
  assert.equal(selectedSpan(view, 0, 10, 0), null);
  assert.equal(selectedSpan([NaN, NaN], 0, 10, 300), null);
  assert.equal(selectedSpan(null, 0, 10, 300), null);
  assert.equal(selectedSpan([view[1], view[0]], 0, 10, 300), null);
});

test("each marker in view has a flag at its line, labelled with what happened and when; its chart hears the labels", () => {
  const ctx = { save() {}, restore() {}, setLineDash() {}, beginPath() {}, moveTo() {}, lineTo() {}, stroke() {} };
  // A plot 200 px wide over [T, T + 100] s: 2 px a second.
  const u = { ...fakeU(), ctx, bbox: { left: 0, top: 0, width: 200, height: 50 }, scales: { x: { min: T, max: T + 100 } } };
  u.valToPos = (v) => (v - T) * 2;
  const alert = { ts: (T + 10) * 1000, ok: false, kind: "alert-firing", source: "spiky", text: "ShardHot firing (critical)" };
  const restart = { ts: (T + 90) * 1000, ok: true, kind: "server-restart", source: "", text: "server restarted" };
  let list = [alert, restart, { ts: (T + 200) * 1000, ok: true, kind: "reload", source: "", text: "out of view" }];
  const seen = [];
  const p = markerPlugin(() => list, { ok: "g", fail: "r" }, (n, labels) => seen.push([n, labels]));
  p.hooks.init[0](u);
  p.hooks.draw[0](u);
  const box = u.over.one("mark-flags");
  assert.equal(box.getAttribute("aria-hidden"), "true", "the chart's text alternative reads them");
  const labels = [`spiky: ShardHot firing (critical) at ${formatClock(alert.ts)}`, `server restarted at ${formatClock(restart.ts)}`];
  assert.deepEqual(seen, [[2, labels]]);
  assert.equal(markerLabel(alert), labels[0]);
  assert.deepEqual(box.children.map((f) => [f.textContent, f.style.transform, f.classList.contains("is-right"), f.classList.contains("is-bad")]), [
    [labels[0], "translateX(20px)", false, true],
    [labels[1], "translateX(180px)", true, false],
  ]);
  assert.deepEqual(box.children.map((f) => f.firstElementChild.style.maxWidth), ["172px", "172px"], "no wider than the plot on its side");
  list = [restart];
  p.hooks.draw[0](u);
  assert.deepEqual(box.children.map((f) => f.textContent), [labels[1]], "a flag per marker in view, no more");
  assert.deepEqual(seen.at(-1), [1, [labels[1]]]);
});

test("a marker's label opens toward the wider side of the plot and is no wider than it: never out of the card", () => {
  assert.deepEqual(flagSide(30, 300), { right: false, room: 262 });
  assert.deepEqual(flagSide(160, 300), { right: true, room: 152 });
  assert.deepEqual(flagSide(295, 300), { right: true, room: 287 });
  assert.deepEqual(flagSide(3, 4), { right: true, room: 0 }, "no room below zero");
});

test("the tooltip goes beside the pointer where it has room, else out of the plot: below it, or above when the card has no room below", () => {
  const plot = { width: 300, height: 110, above: 60, below: 80 };
  assert.deepEqual(tipPlace(50, 20, 120, 40, plot), { x: 62, y: 12, outside: false }, "right of the pointer");
  assert.deepEqual(tipPlace(250, 20, 120, 40, plot), { x: 118, y: 12, outside: false }, "left of it");
  // A phone: the tooltip as wide as the plot has no room either side.
  assert.deepEqual(tipPlace(150, 20, 280, 40, plot), { x: 10, y: 114, outside: true }, "below the plot, off the headline");
  assert.deepEqual(tipPlace(150, 20, 280, 60, { ...plot, above: 100, below: 50 }), { x: 10, y: -64, outside: true }, "too tall for below: above");
  assert.deepEqual(tipPlace(5, 20, 290, 40, plot), { x: 0, y: 114, outside: true }, "kept within the plot's width");
});

test("the tooltip is always wholly inside the viewport: it flips to the pointer's left by the page's right edge and is clamped on every side", () => {
  // 1280×900 with a scroll bar: the right column's plot starts at x 1004 and is 250 px wide; the viewport ends at 1265.
  const plot = { width: 250, height: 110, above: 60, below: 80 };
  const view = { left: 1004, top: 300, width: 1265, height: 900 };
  for (const left of [0, 60, 120, 200, 249]) {
    const at = tipPlace(left, 20, 200, 60, plot, view);
    assert.ok(view.left + at.x >= 0 && view.left + at.x + 200 <= view.width, `x ${view.left + at.x}..${view.left + at.x + 200} at pointer ${left}`);
  }
  assert.deepEqual(tipPlace(240, 20, 120, 40, plot, view), { x: 108, y: 12, outside: false }, "left of the pointer by the edge");
  assert.equal(tipPlace(150, 20, 120, 40, { ...plot, width: 300 }, view).x, 18, "the right side has the viewport's 257 px, not the plot's 300: left of it");
  // Near the bottom of the viewport it moves up; a tooltip wider than the viewport starts at its left edge.
  assert.equal(tipPlace(10, 100, 120, 60, plot, { left: 10, top: 820, width: 400, height: 900 }).y, 900 - 820 - 60 - 4);
  assert.equal(tipPlace(10, 20, 500, 40, plot, { left: 10, top: 100, width: 400, height: 900 }).x, -6);
});

test("the tooltip stays inside its card, which clips what it paints past its edges, though the viewport goes on", () => {
  // The right column at 1280: the card spans x 958..1256, the plot 974..1224; the viewport is 1265 wide.
  const o = { left: 974, top: 300, right: 1224, bottom: 410 };
  const card = { left: 958, top: 200, right: 1256, bottom: 520 };
  const bounds = boundsOf(o, card, { left: 974, top: 300, width: 1265, height: 900 });
  const plot = { width: 250, height: 110, above: 100, below: 110 };
  for (const left of [0, 60, 120, 200, 249]) {
    const at = tipPlace(left, 20, 200, 60, plot, bounds);
    assert.ok(o.left + at.x >= card.left && o.left + at.x + 200 <= card.right, `x ${o.left + at.x}..${o.left + at.x + 200} at pointer ${left}`);
  }
  const tall = tipPlace(100, 100, 200, 300, plot, bounds);
  assert.ok(o.top + tall.y >= card.top && o.top + tall.y + 300 <= card.bottom, `y ${o.top + tall.y}..${o.top + tall.y + 300}`);
  // A card cut by the viewport's bottom: the visible part bounds it.
  const low = boundsOf(o, { ...card, bottom: 1400 }, { left: 974, top: 300, width: 1265, height: 900 });
  const at = tipPlace(100, 100, 200, 300, plot, low);
  assert.ok(o.top + at.y + 300 <= 900, "inside the viewport too");
  assert.deepEqual(boundsOf(o, null, { left: 1, top: 2, width: 3, height: 4 }), { left: 1, top: 2, width: 3, height: 4 }, "no card: the viewport");
});

test("a tooltip at the bottom of the window shows whole: inside the viewport, under the top bar, off the card's title where the card has room", () => {
  // 1280 × 900, a top bar 53 px tall; a family card whose plot's top is at y 857, 76 px of the card on screen.
  const view = (o) => ({ left: o.left, top: o.top - 53, width: 1265, height: 900 - 53 });
  const o = { left: 385, top: 857, right: 907, bottom: 979 };
  const card = { left: 335, top: 824, right: 1256, bottom: 1125 };
  const plot = { width: 522, height: 122, above: 33, below: 146 };
  for (const h of [81, 104, 121]) {
    const at = placeTip(60, 28, 274, h, plot, o, card, view(o));
    assert.ok(o.top + at.y >= 53 && o.top + at.y + h <= 900, `${h} px tall: y ${o.top + at.y}..${o.top + at.y + h}`);
  }
  // The card further up: the tooltip stays below its title (the plot's top), inside the card.
  const up = { ...o, top: 700, bottom: 822 };
  const upCard = { ...card, top: 667, bottom: 968 };
  for (const top of [0, 60, 120]) {
    const at = placeTip(60, top, 274, 121, plot, up, upCard, view(up));
    assert.ok(up.top + at.y >= up.top && up.top + at.y + 121 <= 900, `pointer at ${top}: y ${up.top + at.y}`);
  }
  // A narrow plot's tooltip goes off it, above it if the card has no room below: the title's room is then used.
  const narrow = { width: 150, height: 110, above: 60, below: 20 };
  const n = { left: 20, top: 400, right: 170, bottom: 510 };
  const at = placeTip(75, 50, 140, 50, narrow, n, { left: 6, top: 340, right: 184, bottom: 530 }, { left: 20, top: 347, width: 390, height: 790 });
  assert.ok(at.outside && n.top + at.y + 50 <= n.top, `above the plot: ${at.y}`);
});

test("on a phone, a tooltip with no room whole above or below its plot goes on the roomier side, cut to the lines nearest the pointer", () => {
  globalThis.window = { innerWidth: 390, innerHeight: 600 };
  const rowHeight = Object.getOwnPropertyDescriptor(FakeElement.prototype, "offsetHeight");
  Object.defineProperty(FakeElement.prototype, "offsetHeight", { get: () => 20, configurable: true });
  try {
    const rows = Array.from({ length: 12 }, (_, i) => ({ name: String(i), value: String(i), color: { hue: i, round: 0 }, stale: false, v: i }));
    const p = tooltipPlugin(() => ({ time: "t", title: "m", rows, marks: [] }));
    const card = document.createElement("div");
    card.classList.add("card");
    const u = fakeU(); // 300 × 100
    card.append(u.over);
    u.over.getBoundingClientRect = () => ({ top: 250, bottom: 350, left: 45, right: 345 });
    card.getBoundingClientRect = () => ({ top: 200, bottom: 900, left: 15, right: 375 });
    u.posToVal = (px, scale) => (scale === "y" ? (100 - px) / 10 : T + px / 10); // 0..10 bottom to top
    p.hooks.init[0](u);
    const tip = u.over.one("chart-tip");
    Object.defineProperty(tip, "offsetWidth", { get: () => 250 });
    Object.defineProperty(tip, "offsetHeight", { get: () => 20 * tip.children.length });
    u.over.dispatch("mouseenter");
    u.cursor = { idx: 1, left: 150, top: 30 }; // at 7
    p.hooks.setCursor[0](u);
    const y = Number(/translate\(-?\d+px, (-?[\d.]+)px\)/.exec(tip.style.transform)[1]);
    const shown = tip.children.filter((el) => el.classList.contains("tip-row")).map((el) => el.textContent);
    // 250 px above it, 250 below, 260 of tooltip whole: 9 of its 12 lines, nearest 7.
    assert.deepEqual(shown, ["33", "44", "55", "66", "77", "88", "99", "1010", "1111"]);
    assert.equal(tip.one("tip-more").textContent, "+3 more lines: see the legend");
    assert.ok(y >= 100 + 4 || y + tip.offsetHeight <= -4, `off the plot: y ${y}`);
    assert.ok(250 + y + tip.offsetHeight <= 600, "inside the window");
    u.over.dispatch("mouseleave");
  } finally {
    delete globalThis.window;
    if (rowHeight) Object.defineProperty(FakeElement.prototype, "offsetHeight", rowHeight);
    else delete FakeElement.prototype.offsetHeight;
  }
});

test("the tooltip is placed by its size with the content it now shows, marker lines included, and lifts its card's clip while it shows", () => {
  globalThis.window = { innerWidth: 1280, innerHeight: 900 };
  try {
    let marks = [];
    const p = tooltipPlugin((u, i) => ({ time: `t${i}`, title: "m", rows: [{ name: "0", value: "1", color: { hue: 0, round: 0 }, stale: false }], marks }));
    const card = document.createElement("div");
    card.classList.add("card");
    const group = document.createElement("section");
    group.classList.add("group");
    group.append(card);
    const u = fakeU();
    card.append(u.over);
    // The plot's top at y 800: 100 px of the window below it.
    u.over.getBoundingClientRect = () => ({ top: 800, bottom: 900, left: 0, right: 300 });
    card.getBoundingClientRect = () => ({ top: 760, bottom: 1060, left: -10, right: 310 });
    p.hooks.init[0](u);
    const tip = u.over.one("chart-tip");
    Object.defineProperty(tip, "offsetWidth", { get: () => 150 });
    Object.defineProperty(tip, "offsetHeight", { get: () => 20 * tip.children.length });
    u.over.dispatch("mouseenter");
    u.cursor = { idx: 1, left: 50, top: 60 };
    p.hooks.setCursor[0](u);
    const y = () => Number(/translate\(-?\d+px, (-?[\d.]+)px\)/.exec(tip.style.transform)[1]);
    assert.ok(800 + y() + 40 <= 900, `two rows: ${y()}`);
    assert.equal(card.classList.contains("is-tipping"), true, "the card lets its tooltip paint past its edge");
    assert.equal(group.classList.contains("is-tipping"), true, "its source over the sources after it");
    marks = ["a: crashed at 09:00:00", "b: restarted at 09:00:01", "c: firing at 09:00:02"];
    p.hooks.setCursor[0](u);
    assert.ok(800 + y() + 100 <= 900, `with three marker lines, 100 px tall: bottom ${800 + y() + 100}`);
    u.over.dispatch("mouseleave");
    assert.equal(card.classList.contains("is-tipping"), false, "clipped again once the tooltip goes");
    assert.equal(group.classList.contains("is-tipping"), false, "its source back in its place");
  } finally {
    delete globalThis.window;
  }
});

test("a press hides the tooltip until the pointer moves again with no button held: none stays over the card after a drag", () => {
  const p = tooltipPlugin((u, i) => ({ time: `t${i}`, title: "m", rows: [], marks: [] }));
  const u = fakeU();
  p.hooks.init[0](u);
  const tip = u.over.one("chart-tip");
  u.over.dispatch("mouseenter");
  u.cursor = { idx: 1, left: 50, top: 20 };
  p.hooks.setCursor[0](u);
  assert.equal(tip.hidden, false);
  u.over.dispatch("mousedown", { buttons: 1 });
  assert.equal(tip.hidden, true, "hidden as the drag starts");
  u.over.dispatch("mousemove", { buttons: 1 });
  p.hooks.setCursor[0](u);
  assert.equal(tip.hidden, true, "hidden while dragging");
  // The drag ends: the charts zoom and redraw under the still pointer.
  p.hooks.setCursor[0](u);
  assert.equal(tip.hidden, true, "not back over the headline after the zoom");
  u.over.dispatch("mousemove", { buttons: 0 });
  p.hooks.setCursor[0](u);
  assert.equal(tip.hidden, false, "back with the pointer's next move");
  u.over.dispatch("mouseleave");
});

test("the tooltip tells what a marker by the pointer marks, nearest first", () => {
  // 2 px a second from T.
  const u = { valToPos: (v) => (v - T) * 2 };
  const a = { ts: (T + 10) * 1000, ok: false, kind: "crash", source: "flaky", text: "crashed" };
  const b = { ts: (T + 13) * 1000, ok: true, kind: "server-restart", source: "", text: "server restarted" };
  const far = { ts: (T + 40) * 1000, ok: true, kind: "reload", source: "", text: "reload applied" };
  assert.deepEqual(markersNear(u, [a, b, far], 21), [a, b]);
  assert.deepEqual(markersNear(u, [a, b, far], 27), [b, a]);
  assert.deepEqual(markersNear(u, [a, b, far], 50), []);
  assert.deepEqual(markersNear(u, [a], -10), [], "no pointer, no marker");

  const c = tooltipContent(T, [{ name: "", hidden: false }], [1], { base: "plain" }, "m", 0, [markerLabel(a)]);
  assert.deepEqual(c.marks, [`flaky: crashed at ${formatClock(a.ts)}`]);
  const p = tooltipPlugin(() => c);
  const fu = fakeU();
  p.hooks.init[0](fu);
  fu.over.dispatch("mouseenter");
  fu.cursor = { idx: 0, left: 20, top: 20 };
  p.hooks.setCursor[0](fu);
  assert.equal(fu.over.one("tip-mark").textContent, `flaky: crashed at ${formatClock(a.ts)}`);
  fu.over.dispatch("mouseleave");
});

test("over a view of days the tooltip's time and the markers' labels carry the day, as the time axis does", () => {
  const at = new Date(2024, 0, 1, 14, 5, 12).getTime(); // Monday 1 January
  const day = 86_400_000;
  const line = [{ name: "", hidden: false }];
  assert.equal(tooltipContent(at / 1000, line, [1], { base: "plain" }, "m", 0, [], 15 * 60_000).time, "14:05:12");
  assert.equal(tooltipContent(at / 1000, line, [1], { base: "plain" }, "m", 0, [], 7 * day).time, "Mon 1 14:05:12");
  assert.equal(tooltipContent(at / 1000, line, [1], { base: "plain" }, "m", 0, [], 30 * day).time, "Jan 1 14:05");
  const crash = { ts: at, ok: false, kind: "crash", source: "flaky", text: "crashed" };
  assert.equal(markerLabel(crash, 3600_000), "flaky: crashed at 14:05:12");
  assert.equal(markerLabel(crash, 2 * day), "flaky: crashed at Mon 1 14:05:12");

  // The flags and the chart's text alternative: the plugin reads the span from the x scale (s).
  const ctx = { save() {}, restore() {}, setLineDash() {}, beginPath() {}, moveTo() {}, lineTo() {}, stroke() {} };
  const from = at / 1000 - 3 * 86_400;
  const u = { ...fakeU(), ctx, bbox: { left: 0, top: 0, width: 300, height: 50 }, scales: { x: { min: from, max: at / 1000 + 3600 } } };
  u.valToPos = (v) => ((v - from) * 300) / (3 * 86_400 + 3600);
  const seen = [];
  const p = markerPlugin(() => [crash], { ok: "g", fail: "r" }, (n, labels) => seen.push(labels));
  p.hooks.init[0](u);
  p.hooks.draw[0](u);
  assert.deepEqual(seen, [["flaky: crashed at Mon 1 14:05:12"]]);
  assert.equal(u.over.one("mark-label").textContent, "flaky: crashed at Mon 1 14:05:12");
});

test("keys move a chart's cursor a point, a tenth of the view, to its ends; Escape takes it away", () => {
  // A point every 10 s from 100 to 200 s; the view [95, 205] s (a tenth: 11 s).
  const times = Array.from({ length: 11 }, (_, i) => 100 + 10 * i);
  const key = (k, idx, shift = false) => cursorIndex(k, shift, idx, times, 95, 205);
  assert.equal(key("ArrowLeft", null), 10, "no cursor yet: the newest point");
  assert.equal(key("ArrowRight", null), 10);
  assert.equal(key("ArrowLeft", 5), 4);
  assert.equal(key("ArrowRight", 5), 6);
  assert.equal(key("ArrowLeft", 0), 0, "stops at the first point");
  assert.equal(key("ArrowRight", 10), 10, "and at the last");
  assert.equal(key("Home", 5), 0);
  assert.equal(key("End", 5), 10);
  assert.equal(key("Escape", 5), null);
  assert.equal(key("a", 5), undefined, "not a key of the cursor's");
  assert.equal(key("ArrowUp", 5), undefined, "Up and Down stay the page's");
  // A tenth of the view: 11 s, the nearest point; never less than one point.
  assert.equal(key("ArrowRight", 5, true), 6);
  assert.equal(key("PageUp", 5), 6);
  assert.equal(key("PageDown", 5), 4);
  const dense = Array.from({ length: 101 }, (_, i) => 100 + i); // a point a second
  assert.equal(cursorIndex("ArrowLeft", true, 50, dense, 100, 200), 40);
  assert.equal(cursorIndex("PageUp", false, 50, dense, 100, 200), 60);
  assert.equal(cursorIndex("PageUp", false, 95, dense, 100, 200), 100, "stops at the last point");
  // Only the points in view: a ring holds some before the window's start.
  assert.equal(cursorIndex("Home", false, null, dense, 120.5, 180), 21);
  assert.equal(cursorIndex("End", false, null, dense, 120.5, 180), 80);
  assert.equal(cursorIndex("ArrowLeft", false, 5, dense, 120.5, 180), 80, "a cursor out of view starts again at the newest point");
  assert.equal(cursorIndex("ArrowLeft", false, null, dense, 300, 400), undefined, "no point in view");
  assert.equal(cursorIndex("End", false, null, [], 0, 1), undefined);
  assert.equal(cursorIndex("End", false, null, dense, null, null), 100, "a scale not yet ranged: every point");
});

// keyedU is a fake uPlot whose setCursor does what uPlot's does for the
// plugin: the cursor's index nearest the position, then its hooks.
function keyedU(p) {
  const u = fakeU();
  u.data = [[T, T + 10, T + 20, T + 30], [1, 2, null, 4], [5, 6, 7, 8]];
  u.series = [{}, { show: true }, { show: true }];
  u.scales = { x: { min: T, max: T + 30 } };
  u.valToPos = (v, scale) => (scale === "x" ? (v - T) * 10 : 100 - v * 10);
  u.cursors = [];
  u.setCursor = (c, fire, pub) => {
    // uPlot publishes to the synced charts only when asked (pub), as its own pointer handler does.
    assert.deepEqual([fire, pub], [true, true], "fired and published");
    u.cursors.push(c);
    const idx = c.left < 0 ? null : Math.round(c.left / 100);
    u.cursor = { idx, left: c.left, top: c.top };
    p.hooks.setCursor[0](u);
  };
  return u;
}

test("a focused chart's keys show the tooltip at the cursor they move, as the pointer does; Escape and blur take it away", () => {
  const chart = document.createElement("div");
  const p = tooltipPlugin((u, i) => ({ time: `t${i}`, title: "m", rows: [{ name: "value", value: String(u.data[1][i]), color: 0, stale: false }] }), chart);
  const u = keyedU(p);
  p.hooks.init[0](u);
  const tip = u.over.one("chart-tip");
  assert.match(chart.getAttribute("aria-keyshortcuts"), /ArrowLeft ArrowRight .*Home End Escape/);
  let prevented = 0;
  let stopped = 0;
  const press = (key, more = {}) => chart.dispatch("keydown", { key, preventDefault: () => prevented++, stopPropagation: () => stopped++, ...more });

  press("End");
  assert.deepEqual(u.cursors.at(-1), { left: 300, top: 60 }, "at the last point, by its first line's value");
  assert.equal(tip.hidden, false, "the keyboard's cursor has a tooltip, though no pointer is in");
  assert.equal(tip.textContent, "t3mvalue4");
  press("ArrowLeft");
  // The first line has no value there: the cursor sits at the next line's.
  assert.deepEqual(u.cursors.at(-1), { left: 200, top: 30 });
  assert.equal(tip.textContent, "t2mvaluenull");
  press("Home");
  assert.equal(u.cursor.idx, 0);
  assert.equal(prevented, 3, "the page does not scroll");
  press("ArrowLeft", { ctrlKey: true });
  press("x");
  assert.equal(u.cursors.length, 3, "keys not the cursor's are the page's");
  assert.equal(prevented, 3);

  press("Escape");
  assert.deepEqual(u.cursors.at(-1), { left: -10, top: -10 }, "the crosshair goes too, on every chart it syncs");
  assert.equal(tip.hidden, true);
  assert.equal(stopped, 1, "not also the page's Escape (back to live)");
  press("Escape");
  assert.equal(stopped, 1, "with no cursor of the keyboard's, Escape is the page's");
  assert.equal(u.cursors.length, 4);

  press("ArrowRight");
  assert.equal(tip.hidden, false);
  chart.dispatch("blur");
  assert.equal(tip.hidden, true, "the focus gone, the tooltip goes");
  assert.equal(u.cursor.idx, null);

  // A chart that only follows the crosshair another chart's keys move shows none.
  const other = tooltipPlugin(() => ({ time: "t", title: "", rows: [] }), document.createElement("div"));
  const ou = keyedU(other);
  other.hooks.init[0](ou);
  ou.cursor = { idx: 1, left: 100, top: 0 };
  other.hooks.setCursor[0](ou);
  assert.equal(ou.over.one("chart-tip").hidden, true);

  // The pointer takes over from the keys: leaving, it takes the tooltip.
  press("End");
  u.over.dispatch("mouseenter");
  u.over.dispatch("mouseleave");
  u.cursor = { idx: 3, left: 300, top: 0 };
  p.hooks.setCursor[0](u);
  assert.equal(tip.hidden, true);

  p.hooks.destroy[0]();
  const n = u.cursors.length;
  press("Home");
  assert.equal(u.cursors.length, n, "a destroyed chart hears no key");
});

test("markers closer than 8 px are one mark that counts them; its flag and the tooltip list them", () => {
  const ctx = { save() {}, restore() {}, setLineDash() {}, beginPath() {}, moveTo() {}, lineTo() {}, stroke() {} };
  // A plot 200 px wide over [T, T + 400] s: 2 s a pixel, so that 15 flips a minute are 2 px apart.
  const u = { ...fakeU(), ctx, bbox: { left: 0, top: 0, width: 200, height: 50 }, scales: { x: { min: T, max: T + 400 } } };
  u.valToPos = (v) => (v - T) / 2;
  const flip = (i) => ({ ts: (T + 100 + 4 * i) * 1000, ok: i % 2 === 1, kind: i % 2 ? "alert-resolved" : "alert-firing", source: "spiky", text: i % 2 ? "ShardHot resolved" : "ShardHot firing" });
  const flips = Array.from({ length: 12 }, (_, i) => flip(i));
  const crash = { ts: (T + 300) * 1000, ok: false, kind: "crash", source: "spiky", text: "crashed" };
  const seen = [];
  const p = markerPlugin(() => [...flips, crash], { ok: "g", fail: "r" }, (n, labels) => seen.push([n, labels]));
  p.hooks.init[0](u);
  p.hooks.draw[0](u);
  const box = u.over.one("mark-flags");
  assert.equal(box.children.length, 4, "12 flips over 22 px: 3 marks of 4 (each under 8 px), and the crash");
  assert.equal(seen[0][0], 13, "the chart still counts every marker");
  assert.match(seen[0][1][0], /^spiky: 4 events from \d\d:\d\d:\d\d to \d\d:\d\d:\d\d$/);
  assert.equal(box.children[0].textContent.split("\n").length, 5, "the flag lists the mark's four events");
  assert.ok(box.children[0].classList.contains("is-cluster"));
  assert.equal(box.children[3].textContent, markerLabel(crash), "a marker alone stays itself");

  const many = clusterMarkers(Array.from({ length: 30 }, (_, i) => flip(i % 12)), () => 0);
  assert.equal(many.length, 1);
  const lines = markerLines(many[0]);
  assert.equal(lines[0].startsWith("spiky: 30 events"), true);
  assert.equal(lines.length, 1 + CLUSTER_LISTED + 1);
  assert.equal(lines.at(-1), `and ${30 - CLUSTER_LISTED} more`);
  assert.equal(many[0].ok, false, "not all went well");
  assert.equal(clusterMarkers([crash, { ...crash, ts: crash.ts + 20_000 }], (m) => u.valToPos(m.ts / 1000)).length, 2, "10 px apart: two marks");
});

test("the keys show the tooltip on a chart focused by a click: the press held by the click ends with the keyboard", () => {
  const chart = document.createElement("div");
  const p = tooltipPlugin((u, i) => ({ time: `t${i}`, title: "m", rows: [] }), chart);
  const u = keyedU(p);
  p.hooks.init[0](u);
  const tip = u.over.one("chart-tip");
  u.over.dispatch("mouseenter");
  u.over.dispatch("mousedown", { buttons: 1 }); // the click that gives the chart the focus
  u.over.dispatch("mouseleave"); // and the pointer goes aside
  chart.dispatch("keydown", { key: "ArrowLeft", preventDefault() {}, stopPropagation() {} });
  assert.equal(u.cursor.idx, 3);
  assert.equal(tip.hidden, false, "the keyboard's cursor has its tooltip");
  assert.equal(tip.textContent, "t3m");
});

test("a mark of events at one time says at, not from and to the same time", () => {
  const T = new Date(2024, 0, 1, 10, 33, 45).getTime();
  const m = { source: "spiky", text: "2 events", members: [{ ts: T }, { ts: T + 200 }] };
  assert.equal(markerLabel(m), "spiky: 2 events at 10:33:45");
  assert.equal(markerLabel({ ...m, members: [{ ts: T }, { ts: T + 5000 }] }), "spiky: 2 events from 10:33:45 to 10:33:50");
});

test("a folded burst of markers reaching into the view is marked at its first member there; one wholly outside is not", () => {
  const members = [10_000, 20_000, 30_000, 40_000].map((ts) => ({ ts, ok: false, kind: "alert-firing", source: "s", text: "Flap firing", series: "" }));
  const burst = { ts: 10_000, until: 40_000, ok: false, kind: "alert-firing", source: "s", text: "Flap: firing 4×", series: "", members };
  const crash = { ts: 25_000, ok: false, kind: "crash", source: "s", text: "crashed", series: "" };
  assert.deepEqual(markersIn([burst, crash], 5, 50).map((m) => m.ts), [10_000, 25_000], "all in view: as they are");
  const zoomed = markersIn([burst, crash], 22, 35);
  assert.deepEqual(zoomed.map((m) => m.ts), [25_000, 30_000], "a zoom into the burst keeps it, at 30 s, in time order");
  assert.equal(zoomed[1].members.length, 4, "with all it holds: the label still counts the burst");
  assert.deepEqual(markersIn([burst], 41, 50), [], "after the burst");
  assert.deepEqual(markersIn([burst], 21, 29), [], "between two of its members: none in view");
  assert.equal(markerLabel(burst), "s: Flap: firing 4× from " + formatClock(10_000) + " to " + formatClock(40_000));
});

test("a cluster holding a folded burst counts the burst's events and runs to its end", () => {
  const mk = (ts, kind = "alert-firing") => ({ ts, ok: false, kind, source: "osc", text: "Flapper firing", series: "" });
  const burst = { ...mk(2000), until: 40_000, text: "Flapper: normal → firing 10×", members: [2000, 6000, 10_000, 14_000, 18_000, 22_000, 26_000, 30_000, 34_000, 40_000].map((t) => mk(t)) };
  const restart = { ...mk(1000, "server-restart"), ok: true, source: "", text: "server restarted" };
  const [c] = clusterMarkers([restart, burst], (m) => m.ts / 1000);
  assert.equal(c.text, "11 events");
  assert.equal(markerLabel(c), `11 events from ${formatClock(1000)} to ${formatClock(40_000)}`);
});
